"""A webhook worker (uvicorn on a loopback port) in front of the real Application."""

from __future__ import annotations

import asyncio
import socket
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import build_engine
from bot.channels.telegram import TelegramChannel
from bot.webhook import WebhookServer, serve
from storage.db import Database
from tests.fake_telegram import FakeTelegram
from tests.telegram_harness import bot_config

SECRET = "s3cret-webhook-token_42"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def webhook_worker(tg: FakeTelegram, database_url: str, media_dir: Path, zalo=None):
    """Yields (base url, WebhookServer); Telegram replies go to the fake server."""
    config = bot_config(tg, database_url, media_dir)
    database = Database(database_url)
    channel = TelegramChannel(config, build_engine(config, database))
    await channel.start(polling=False)
    server = WebhookServer(database, SECRET, telegram=channel, zalo=zalo)
    port = free_port()
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(server, "127.0.0.1", port, stop))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):  # wait until uvicorn listens
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        yield base, server
    finally:
        stop.set()
        await serving
        await channel.stop()
        await database.dispose()
