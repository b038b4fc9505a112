"""Webhook workers (uvicorn on a loopback port) in front of the real channels."""

from __future__ import annotations

import asyncio
import socket
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import build_engine
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel, ZaloClient
from bot.runtime import running
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
async def serving(server: WebhookServer):
    """Runs the ASGI app under uvicorn until exit; yields its base URL."""
    port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(serve(server, "127.0.0.1", port, stop))
    try:
        for _ in range(600):  # until uvicorn listens (a loaded machine may take seconds)
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"the webhook server did not start on port {port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        await task


@asynccontextmanager
async def webhook_worker(tg: FakeTelegram, database_url: str, media_dir: Path):
    """A Telegram webhook worker; yields (base url, WebhookServer)."""
    config = bot_config(tg, database_url, media_dir)
    database = Database(database_url)
    engine = build_engine(config, database)
    channel = TelegramChannel(config, engine)
    try:
        async with running(engine, {"telegram": channel}, polling=False) as runtime:
            server = WebhookServer(database, SECRET, runtime.intake, telegram=True)
            server.runtime = runtime
            async with serving(server) as base:
                yield base, server
    finally:
        await database.dispose()


@asynccontextmanager
async def zalo_webhook_worker(zalo, database_url: str, media_dir: Path):
    """A Zalo webhook worker (no polling); yields (base url, WebhookServer)."""
    from tests.test_zalo import zalo_config

    config = zalo_config(zalo, database_url, media_dir)
    database = Database(database_url)
    engine = build_engine(config, database)
    client = ZaloClient(zalo.token, zalo.api_base_url, backoff=0.05)
    channel = ZaloChannel(config, engine, client)
    try:
        async with running(engine, {"zalo": channel}, polling=False) as runtime:
            server = WebhookServer(database, SECRET, runtime.intake, zalo=True)
            server.runtime = runtime
            async with serving(server) as base:
                yield base, server
    finally:
        await client.aclose()
        await database.dispose()
