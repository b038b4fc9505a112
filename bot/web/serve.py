"""Serving the console: alone (`fieldbot web`) or beside the webhooks (`fieldbot run`)."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.config import Config
from storage.db import Database

log = logging.getLogger(__name__)


def mount_beside(router, config: Config, database: Database) -> None:
    """Adds the console after the webhook routes (/telegram, /zalo, /healthz match first)."""
    from bot.web.app import create_app

    router.mount("/", create_app(config, database))


async def serve_console(app, host: str, port: int, stop: asyncio.Event) -> None:
    import uvicorn

    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # the caller owns the signals
    task = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await task


async def run_console(config: Config, database: Database) -> None:
    """`fieldbot web`: the console on [web] host:port until SIGINT or SIGTERM."""
    from bot.web.app import create_app

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    host, port = config.get("web", "host"), config.get("web", "port")
    log.info("web console on %s:%s (people open %s)", host, port, config.web_base_url)
    await serve_console(create_app(config, database), host, port, stop)
