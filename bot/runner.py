"""`fieldbot run`: every configured channel, the webhook server when an address is
configured, and the reminder clock, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import build_engine
from bot.config import Config
from bot.notify import Notifier
from bot.scheduler import ReminderClock, build_reminders
from storage.db import Database

log = logging.getLogger(__name__)


async def run_bot(config: Config, database: Database) -> None:
    from bot.channels.telegram import TelegramChannel
    from bot.channels.zalo import ZaloChannel
    from bot.webhook import WebhookServer, serve

    engine = build_engine(config, database)
    webhook_url = config.get("webhook", "url")
    channels: dict = {}
    if config.telegram_token:
        channels["telegram"] = TelegramChannel(config, engine)
        await channels["telegram"].start(polling=not webhook_url)
    if config.zalo_token:
        channels["zalo"] = ZaloChannel(config, engine)
        if not webhook_url:
            await channels["zalo"].start()
    clock = None
    if config.get("reminders", "enabled"):
        clock = ReminderClock(
            config, build_reminders(config, database), Notifier(database, channels)
        )
        await clock.start()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    log.info(
        "fieldbot is running: %s, %s",
        ", ".join(channels),
        f"webhook {webhook_url}" if webhook_url else "long polling",
    )
    try:
        if webhook_url:
            server = WebhookServer(
                database,
                config.get("webhook", "secret"),
                telegram=channels.get("telegram"),
                zalo=channels.get("zalo"),
            )
            await serve(server, config.get("webhook", "host"), config.get("webhook", "port"), stop)
        else:
            await stop.wait()
    finally:
        log.info("stopping")
        if clock is not None:
            clock.stop()
        for channel in channels.values():
            await channel.stop()
