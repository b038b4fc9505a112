"""The webhook server: one ASGI application for every channel with a webhook route
in the registry (bot/channels/registry.py: POST /telegram, POST /zalo), plus /healthz.

An accepted update is written to the inbox before the 200 (bot/pipeline.py applies
it after), so a crash after the answer loses nothing. Several workers may serve the
same address; the inbox applies one person's updates in order, once.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from bot.channels import registry
from bot.channels.registry import ChannelEntry
from bot.liveness import Liveness
from storage.db import Database
from storage.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

# A real update is a few kilobytes; anything far larger is not one ([webhook] max_body).
MAX_BODY = 1_000_000
# /healthz answers 503 when a channel has not heard from its messenger, or a reply has
# waited to leave, for longer than this ([health] stale_after).
STALE_AFTER = 300.0
# Seconds a client has for a whole request once it begins ([webhook] read_timeout).
READ_TIMEOUT = 10.0


class TooLarge(Exception):
    """A request body over the limit (answered 413 before the rest is read)."""


def secret_matches(given: str | None, expected: str) -> bool:
    return (
        bool(expected)
        and given is not None
        and hmac.compare_digest(given.encode(), expected.encode())
    )


class WebhookServer:
    """POST <route> of each registered channel stores the update in the inbox and
    answers 200 only once it is committed (a failure answers 500 and the platform
    sends it again). Only the channels in ``accept`` (or named ``<channel>=True``)
    take updates; the others' routes answer 404."""

    def __init__(
        self,
        database: Database,
        secret: str,
        intake,
        *,
        accept: list[str] | tuple[str, ...] = (),
        max_body: int = MAX_BODY,
        liveness: Liveness | None = None,
        stale_after: float = STALE_AFTER,
        **accepting: bool,
    ) -> None:
        unknown = [name for name in accepting if registry.entry(name) is None]
        if unknown:
            raise TypeError(f"no registered channel named {', '.join(unknown)}")
        self.database = database
        self.max_body = max_body
        self.liveness = liveness
        self.stale_after = stale_after
        self.secret = secret
        self.intake = intake  # bot.pipeline.Intake
        self.accepting = {*accept, *(name for name, on in accepting.items() if on)}
        routes = [
            Route(known.webhook.path, self._receiver(known), methods=["POST"])
            for known in registry.entries()
            if known.webhook is not None
        ]
        self.app = Starlette(
            routes=[*routes, Route("/healthz", self.healthz, methods=["GET"])],
            exception_handlers={TooLarge: self._too_large},
        )

    async def _read_limited(self, request: Request) -> bytes:
        """The body, refused (TooLarge) as soon as it is known to exceed the limit: from
        Content-Length before reading, else while reading, never held whole."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise TooLarge
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                raise TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    async def _body(self, request: Request) -> dict[str, Any] | None:
        try:
            raw = await self._read_limited(request)
        except ClientDisconnect:  # gone (or cut for being too slow): nobody to answer
            return None
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return None
        return body if isinstance(body, dict) else None

    @staticmethod
    async def _too_large(request: Request, error: Exception):
        return PlainTextResponse("payload too large", status_code=413)

    async def _store(self, channel: str, row: tuple[str, str, Any]):
        try:
            await self.intake.store(channel, [row])
        except Exception as error:  # noqa: BLE001 - not stored: let the platform retry
            log.error("a %s webhook update could not be stored: %s", channel, type(error).__name__)
            return PlainTextResponse("try again", status_code=500)
        return None

    def _receiver(self, channel: ChannelEntry):
        route = channel.webhook

        async def receive(request: Request):
            if channel.name not in self.accepting:
                return PlainTextResponse("not found", status_code=404)
            if not secret_matches(request.headers.get(route.secret_header), self.secret):
                return PlainTextResponse("forbidden", status_code=403)
            body = await self._body(request)
            row = registry.load(route.row_of)(body) if body is not None else None
            if row is None:
                return PlainTextResponse("bad request", status_code=400)
            failed = await self._store(channel.name, row)
            if failed:
                return failed
            if route.answer is not None:
                return JSONResponse(route.answer)
            return PlainTextResponse("ok")

        return receive

    async def healthz(self, request: Request):
        """200 or 503 with the database's state and, in `fieldbot run`, per channel the
        seconds since it last heard from its messenger and last delivered, and how long
        its oldest unsent reply has waited."""
        try:
            async with self.database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
                waiting = await self._oldest_unsent(connection) if self.liveness else {}
        except Exception as error:  # noqa: BLE001 - any failure means unhealthy
            return JSONResponse({"ok": False, "database": type(error).__name__}, status_code=503)
        if self.liveness is None:
            return JSONResponse({"ok": True})
        channels = {name: self._channel_health(name, waiting) for name in self.liveness.channels}
        ok = not any(entry["stale"] for entry in channels.values())
        body = {"ok": ok, "database": "ok", "channels": channels}
        return JSONResponse(body, status_code=200 if ok else 503)

    def _channel_health(self, name: str, waiting: dict[str, float]) -> dict[str, Any]:
        live = self.liveness
        unsent = waiting.get(name)
        stale = (unsent is not None and unsent > self.stale_after) or (
            live.polling and live.silent_for(name) > self.stale_after
        )
        return {
            "last_poll_s" if live.polling else "last_update_s": live.age(live.heard, name),
            "last_send_s": live.age(live.sent, name),
            "oldest_unsent_s": unsent,
            "stale": stale,
        }

    @staticmethod
    async def _oldest_unsent(connection) -> dict[str, float]:
        rows = await connection.execute(
            select(OutboxMessage.channel, func.min(OutboxMessage.created_at))
            .where(OutboxMessage.status == "pending")
            .group_by(OutboxMessage.channel)
        )
        now = utcnow()
        return {channel: _seconds_since(oldest, now) for channel, oldest in rows}


def _seconds_since(moment, now) -> float:
    if isinstance(moment, str):  # SQLite's min() may come back as text
        from datetime import datetime

        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    return round(max(now - moment, timedelta(0)).total_seconds(), 1)


def deadline_protocol(read_timeout: float):
    """uvicorn's h11 protocol with a deadline on each request: from the moment a
    connection opens, or its next request begins, the whole request (headers and
    body) must arrive within ``read_timeout`` seconds, or the connection is closed.
    uvicorn itself only times out idle keep-alive connections: a client that sends
    its headers, or its body, a byte at a time would hold a connection for ever."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class DeadlineH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._deadline is None and not self._receiving():
                self._arm()  # the first bytes of the next request on this connection
            super().data_received(data)
            if self._receiving() and not self.cycle.more_body:
                self._disarm()  # all in: the app has it, however long it takes

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _receiving(self) -> bool:
            return self.cycle is not None and not self.cycle.response_complete

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(read_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                log.info("a webhook client sent its request too slowly: disconnected")
                self.transport.close()

    return DeadlineH11Protocol


async def serve(
    server: WebhookServer,
    host: str,
    port: int,
    stop: asyncio.Event,
    read_timeout: float = READ_TIMEOUT,
) -> None:
    import uvicorn

    config = uvicorn.Config(
        server.app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        http=deadline_protocol(read_timeout),
        # Platforms and reverse proxies keep connections open between updates: closing
        # an idle one after uvicorn's default 5 s races the next request on it.
        timeout_keep_alive=75,
    )
    runner = uvicorn.Server(config)
    runner.install_signal_handlers = lambda: None  # fieldbot run owns the signals
    task = asyncio.create_task(runner.serve())
    await stop.wait()
    runner.should_exit = True
    await task
