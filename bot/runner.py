"""`fieldbot run`: every configured channel, the webhook server when an address is
configured, and the reminder clock, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import build_engine
from bot.config import Config
from bot.runtime import Runtime
from storage.db import Database

log = logging.getLogger(__name__)


def build_channels(config: Config, engine) -> dict:
    channels: dict = {}
    if config.telegram_token:
        from bot.channels.telegram import TelegramChannel

        channels["telegram"] = TelegramChannel(config, engine)
    if config.zalo_token:
        from bot.channels.zalo import ZaloChannel

        channels["zalo"] = ZaloChannel(config, engine)
    return channels


async def run_bot(config: Config, database: Database) -> None:
    engine = build_engine(config, database)
    webhook_url = config.get("webhook", "url")
    channels = build_channels(config, engine)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runtime = Runtime(engine, channels)
    clock = None
    try:
        starting = asyncio.create_task(runtime.start(polling=not webhook_url))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():  # SIGTERM while still waiting for the messenger
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            return
        stopping.cancel()
        starting.result()  # a rejected token is raised here
        if config.get("reminders", "enabled"):
            # Imported once the channels poll: the clock (APScheduler) can wait a moment.
            from bot.notify import Notifier
            from bot.scheduler import ReminderClock, build_reminders

            notifier = Notifier(database, channels)
            clock = ReminderClock(config, build_reminders(config, database), notifier)
            await clock.start()
        log.info(
            "fieldbot is running: %s, %s",
            ", ".join(channels),
            f"webhook {webhook_url}" if webhook_url else "long polling",
        )
        if webhook_url:
            from bot.webhook import WebhookServer, serve

            server = WebhookServer(
                database,
                config.get("webhook", "secret"),
                runtime.intake,
                telegram="telegram" in channels,
                zalo="zalo" in channels,
            )
            if config.get("web", "enabled"):
                from bot.web.serve import mount_beside

                mount_beside(server.app.router, config, database)
            await serve(server, config.get("webhook", "host"), config.get("webhook", "port"), stop)
        elif config.get("web", "enabled"):
            from bot.web.app import create_app
            from bot.web.serve import serve_console

            web = create_app(config, database)
            await serve_console(web, config.get("web", "host"), config.get("web", "port"), stop)
        else:
            await stop.wait()
    finally:
        log.info("stopping")
        if clock is not None:
            clock.stop()
        await runtime.stop()
