"""The webhook server: one ASGI application for Telegram and Zalo, plus /healthz.

It answers fast and processes after: an accepted update is handed to a
background task, so a slow database never makes a platform retry (and resend).
Several workers may serve the same address; the engine serialises one person's
turns in the database.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from telegram import Update

from storage.db import Database

log = logging.getLogger(__name__)

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_SECRET_HEADER = "X-Bot-Api-Secret-Token"
# A real update is a few kilobytes; anything far larger is not one.
MAX_BODY = 1_000_000


def secret_matches(given: str | None, expected: str) -> bool:
    return (
        bool(expected)
        and given is not None
        and hmac.compare_digest(given.encode(), expected.encode())
    )


class WebhookServer:
    def __init__(self, database: Database, secret: str, telegram=None, zalo=None) -> None:
        self.database = database
        self.secret = secret
        self.telegram = telegram  # a TelegramChannel whose Application is started
        self.zalo = zalo  # a ZaloChannel with process_update(update: dict)
        self.tasks: set[asyncio.Task] = set()
        self.app = Starlette(
            routes=[
                Route("/telegram", self.telegram_update, methods=["POST"]),
                Route("/zalo", self.zalo_update, methods=["POST"]),
                Route("/healthz", self.healthz, methods=["GET"]),
            ]
        )

    async def _body(self, request: Request) -> dict[str, Any] | None:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return None
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return None
        return body if isinstance(body, dict) else None

    def _later(self, work: Callable[[], Awaitable[None]]) -> None:
        async def run() -> None:
            try:
                await work()
            except Exception:  # logged, never lost silently; the platform got its 200
                log.exception("processing a webhook update failed")

        task = asyncio.get_running_loop().create_task(run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def telegram_update(self, request: Request):
        if self.telegram is None:
            return PlainTextResponse("not found", status_code=404)
        if not secret_matches(request.headers.get(TELEGRAM_SECRET_HEADER), self.secret):
            return PlainTextResponse("forbidden", status_code=403)
        body = await self._body(request)
        if body is None or not isinstance(body.get("update_id"), int):
            return PlainTextResponse("bad request", status_code=400)
        application = self.telegram.application
        update = Update.de_json(body, application.bot)
        await application.update_queue.put(update)
        return PlainTextResponse("ok")

    async def zalo_update(self, request: Request):
        if self.zalo is None:
            return PlainTextResponse("not found", status_code=404)
        if not secret_matches(request.headers.get(ZALO_SECRET_HEADER), self.secret):
            return PlainTextResponse("forbidden", status_code=403)
        body = await self._body(request)
        # Documented wrapped {"ok":..,"result":{..}} and the unwrapped shape both occur.
        event = body.get("result") if body and isinstance(body.get("result"), dict) else body
        if not event or not isinstance(event.get("message"), dict):
            return PlainTextResponse("bad request", status_code=400)
        self._later(lambda: self.zalo.process_update(body))
        return JSONResponse({"ok": True})

    async def healthz(self, request: Request):
        try:
            async with self.database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - any failure means unhealthy
            return JSONResponse({"ok": False, "database": type(error).__name__}, status_code=503)
        return JSONResponse({"ok": True})

    async def drain(self) -> None:
        """Waits for updates still being processed (used at shutdown and in tests)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


async def serve(server: WebhookServer, host: str, port: int, stop: asyncio.Event) -> None:
    import uvicorn

    config = uvicorn.Config(
        server.app, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
    )
    runner = uvicorn.Server(config)
    runner.install_signal_handlers = lambda: None  # fieldbot run owns the signals
    task = asyncio.create_task(runner.serve())
    await stop.wait()
    runner.should_exit = True
    await task
    await server.drain()
