"""`fieldbot run`: every configured channel, the webhook server when an address is
configured, and the reminder clock, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import build_engine
from bot.channels import registry
from bot.config import Config
from bot.liveness import Liveness
from bot.runtime import Runtime
from handlers import report_worker
from storage.db import Database
from storage.statistics import keep_statistics_fresh

log = logging.getLogger(__name__)


def build_channels(config: Config, engine) -> dict:
    """Every registered channel whose token is configured (bot/channels/registry.py)."""
    return registry.build_channels(config, engine)


async def run_bot(config: Config, database: Database) -> None:
    engine = build_engine(config, database)
    webhook_url = config.get("webhook", "url")
    channels = build_channels(config, engine)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runtime = Runtime(engine, channels)
    liveness = Liveness(polling=not webhook_url)
    liveness.watch(runtime.intake, channels)
    clock = nudges = statistics = None
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
        # Once polling: the worker's imports (a second process, matplotlib, openpyxl)
        # would otherwise share the CPU with ours and delay the first poll by a second;
        # started now, the first /summary still does not wait for them.
        report_worker.warm_up()
        statistics = asyncio.create_task(keep_statistics_fresh(database))
        if config.get("reminders", "enabled"):
            # Imported once the channels poll: the clock (APScheduler) can wait a moment.
            from bot.notify import Notifier
            from bot.scheduler import ReminderClock, build_reminders

            notifier = Notifier(database, channels)
            clock = ReminderClock(config, build_reminders(config, database), notifier)
            await clock.start()
            from bot.review_clock import ReviewNudgeClock

            nudges = ReviewNudgeClock(config, database, notifier)
            await nudges.start()
        log.info(
            "fieldbot is running: %s, %s",
            ", ".join(channels),
            f"webhook {webhook_url}" if webhook_url else "long polling",
        )
        await _serve(config, database, runtime, liveness, stop)
    finally:
        log.info("stopping")
        if statistics is not None:
            statistics.cancel()
        if clock is not None:
            clock.stop()
        if nudges is not None:
            nudges.stop()
        await runtime.stop()


async def _serve(
    config: Config, database: Database, runtime: Runtime, liveness: Liveness, stop: asyncio.Event
) -> None:
    """The HTTP side until stop: the webhooks (with /healthz and, if enabled, the web
    console); while polling, the console and /healthz on their own ports if asked."""
    from bot.webhook import WebhookServer, serve

    def health_server(secret: str = "", accept: list[str] | None = None) -> WebhookServer:
        return WebhookServer(
            database,
            secret,
            runtime.intake,
            accept=accept or [],
            max_body=config.get("webhook", "max_body"),
            liveness=liveness,
            stale_after=config.get("health", "stale_after"),
        )

    channels = runtime.channels
    servers = []
    if config.get("webhook", "url"):
        server = health_server(config.get("webhook", "secret"), accept=list(channels))
        if config.get("web", "enabled"):
            from bot.web.serve import mount_beside

            mount_beside(server.app.router, config, database)
        host, port = config.get("webhook", "host"), config.get("webhook", "port")
        servers.append(serve(server, host, port, stop, config.get("webhook", "read_timeout")))
    else:
        if config.get("web", "enabled"):
            from bot.web.app import create_app
            from bot.web.serve import serve_console

            web = create_app(config, database)
            servers.append(
                serve_console(web, config.get("web", "host"), config.get("web", "port"), stop)
            )
        if config.get("health", "port"):
            host = config.get("webhook", "host")
            port, read_timeout = config.get("health", "port"), config.get("webhook", "read_timeout")
            servers.append(serve(health_server(), host, port, stop, read_timeout))
    if servers:
        await asyncio.gather(*servers)
    else:
        await stop.wait()
