"""`fieldbot run`: every configured channel plus the reminder clock, until a signal."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import build_engine
from bot.channels.telegram import TelegramChannel
from bot.config import Config
from bot.notify import Notifier
from bot.scheduler import ReminderClock, build_reminders
from storage.db import Database

log = logging.getLogger(__name__)


async def run_bot(config: Config, database: Database) -> None:
    engine = build_engine(config, database)
    telegram = TelegramChannel(config, engine)
    await telegram.start()
    clock = None
    if config.get("reminders", "enabled"):
        notifier = Notifier(database, {"telegram": telegram})
        clock = ReminderClock(config, build_reminders(config, database), notifier)
        await clock.start()
    log.info("fieldbot is running (Telegram @%s); Ctrl+C stops it",
             engine.settings.bot_username)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        if clock is not None:
            clock.stop()
        await telegram.stop()
