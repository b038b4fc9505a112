"""Zalo: long polling or the webhook into the inbox, numbered choices out.

Zalo's Bot API looks like Telegram's but has no buttons, no files and no update
offsets: choices are numbered lists, repeated deliveries are recognised by the
message id (the inbox key, channel "zalo"), and errors may come with HTTP 200,
so every answer's ``ok`` is checked (bot/channels/zalo_client.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from bot.channels import Parsed, polling_backoff, send_replies
from bot.channels.numbered import render_numbered
from bot.channels.registry import capabilities_of
from bot.channels.zalo_client import (
    DEFAULT_API_BASE_URL,
    MAX_PHOTO_BYTES,
    ZALO_TEXT_LIMIT,
    ZaloClient,
    ZaloError,
)
from bot.config import Config
from handlers.catalog import t
from handlers.engine import Engine
from handlers.messages import Inbound, PhotoRef, Reply, split_text

__all__ = ["DEFAULT_API_BASE_URL", "MAX_PHOTO_BYTES", "ZaloChannel", "ZaloClient", "ZaloError"]

log = logging.getLogger(__name__)

CHANNEL = "zalo"
TEXT_EVENT = "message.text.received"
IMAGE_EVENT = "message.image.received"


def unwrap(update: dict) -> dict | None:
    """The event from a webhook or getUpdates body: ``{"ok": true, "result": {...}}``
    as documented, or ``{"event_name": ..., "message": {...}}`` as delivered."""
    if not isinstance(update, dict):
        return None
    if "event_name" not in update and isinstance(update.get("result"), dict):
        update = update["result"]
    if not isinstance(update.get("event_name"), str) or not isinstance(update.get("message"), dict):
        return None
    return update


def _sender(event: dict) -> tuple[str, str, str] | None:
    """(sender id, display name, chat id) of a private message from a person."""
    message = event["message"]
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    sender_id = sender.get("id") or chat.get("id")
    if not sender_id or sender.get("is_bot"):
        return None
    if str(chat.get("chat_type") or "PRIVATE").upper() != "PRIVATE":
        return None  # the bot talks one-to-one
    return str(sender_id), str(sender.get("display_name") or ""), str(chat.get("id") or sender_id)


def inbox_row(update: Any) -> tuple[str, str, Any]:
    """(update key, sender key, raw) for the inbox: the message id when there is one,
    else a digest of the body (a repeated body is then a repeated delivery)."""
    event = unwrap(update)
    message = event["message"] if event else {}
    key = message.get("message_id") if isinstance(message, dict) else None
    if not key:
        body = json.dumps(update, sort_keys=True, ensure_ascii=False, default=str)
        key = "sha256:" + hashlib.sha256(body.encode()).hexdigest()[:48]
    who = _sender(event) if event else None
    return str(key), who[0] if who else "", update


def webhook_row(body: Any) -> tuple[str, str, Any] | None:
    """The inbox row of a webhook body; None when it carries no message. The
    documented wrapped {"ok":..,"result":{..}} and the unwrapped shape both occur."""
    if not isinstance(body, dict):
        return None
    event = body.get("result") if isinstance(body.get("result"), dict) else body
    if not event or not isinstance(event.get("message"), dict):
        return None
    return inbox_row(body)


async def webhook_admin(config: Config, action: str, url: str, secret: str | None) -> str:
    """`fieldbot webhook set|delete|info` on Zalo: one line, never the token."""
    zalo = config.values["zalo"]
    async with ZaloClient(zalo["token"], zalo["api_base_url"]) as client:
        if action == "set":
            await client.set_webhook(url, secret)
        elif action == "delete":
            await client.delete_webhook()
        info = await client.get_webhook_info() or {}
    return f"zalo: {info.get('url') or '(none)'}"


class ZaloChannel:
    """The engine on Zalo: polling (start_fetching) or the webhook (process_update)."""

    name = CHANNEL
    capabilities = capabilities_of(CHANNEL)

    def __init__(
        self, config: Config, engine: Engine, client: ZaloClient | None = None, intake=None
    ) -> None:
        self.config = config
        self.engine = engine
        self.intake = intake  # bot.pipeline.Intake, set by the runtime
        zalo = config.values["zalo"]
        self.client = client or ZaloClient(zalo["token"], zalo["api_base_url"])
        self._own_client = client is None
        self._poller: asyncio.Task | None = None
        self.poll_timeout = 30

    # --- incoming ----------------------------------------------------------------

    def parse(self, raw: Any) -> Parsed:
        event = unwrap(raw)
        if event is None:
            raise ValueError("a Zalo update without an event")
        who = _sender(event)
        if who is None:
            return Parsed("", None, None)
        sender_id, _name, chat_id = who
        inbound = self.to_inbound(event)
        if inbound is None:
            unsupported = event["event_name"].startswith("message.")
            return Parsed(sender_id, chat_id, None, "zalo_unsupported" if unsupported else None)
        return Parsed(sender_id, chat_id, inbound)

    def to_inbound(self, update: dict) -> Inbound | None:
        """An Inbound for text and photos; None for anything the engine cannot use."""
        event = unwrap(update)
        if event is None:
            return None
        who = _sender(event)
        if who is None:
            return None
        sender_id, name, _chat_id = who
        message = event["message"]
        key = message.get("message_id")
        common = dict(
            channel=CHANNEL,
            sender_id=sender_id,
            sender_name=name,
            update_key=str(key) if key else None,
            can_receive_files=self.capabilities.files,
            can_show_buttons=self.capabilities.buttons,
        )
        name_of_event = event["event_name"]
        if name_of_event == TEXT_EVENT:
            text = message.get("text")
            return Inbound(text=text if isinstance(text, str) else "", **common)
        if name_of_event == IMAGE_EVENT:
            url = message.get("photo_url") or message.get("photo")
            if not isinstance(url, str) or not url:
                return None
            client, limit = self.client, self.engine.settings.max_photo_bytes

            async def download(path: Path) -> None:
                await client.download(url, path, max_bytes=limit)

            caption = message.get("caption") or message.get("text")
            return Inbound(
                photo=PhotoRef(str(key or url), download),
                text=caption if isinstance(caption, str) else None,
                **common,
            )
        return None

    async def acknowledge(self, raw: Any) -> None:
        return None  # Zalo has nothing like a button to stop spinning

    async def process_update(self, update: dict) -> None:
        """One update from the webhook (or a test): stored in the inbox, applied after."""
        await self.intake.store(CHANNEL, [inbox_row(update)])

    # --- outgoing ----------------------------------------------------------------

    def texts_for(self, replies: list[Reply], language: str) -> list[str]:
        """The messages that carry ``replies`` on Zalo, each at most 2,000 characters."""
        texts: list[str] = []
        number = 1  # the engine numbers the choices of all replies in a row
        for reply in replies:
            if reply.edit_only:
                continue  # Zalo cannot edit a sent message: the record would be a copy
            start, number = number, number + len(reply.choices)
            if reply.file is not None:
                # Zalo cannot send documents: say where to get them instead.
                texts.append(t(language, "files_elsewhere"))
                continue
            # A picture would need a public URL for sendPhoto: its text goes alone.
            rendered = render_numbered(reply, language, start=start)
            if rendered.strip():
                texts += [p for p in split_text(rendered, ZALO_TEXT_LIMIT) if p.strip()]
        return texts

    render = texts_for

    async def send_part(self, chat_id: str, part: str) -> None:
        await self.client.send_message(chat_id, part)  # ZaloError is a DeliveryError

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        """Sends the replies in order; raises when one cannot be delivered
        (so a reminder can fall back to another channel)."""
        await send_replies(self, self.engine, str(chat_id), replies)

    # --- running ------------------------------------------------------------------

    async def open(self) -> None:
        """Checks the token (getMe); a rejected one is raised, an outage only logged."""
        try:
            me = await self.client.get_me()
            log.info("Zalo bot %s is ready", me.get("account_name") if me else "?")
        except ZaloError as error:
            if error.code in (401, 403):
                raise
            log.warning("Zalo getMe failed (%s); going on", f"error {error.code}")

    async def start_fetching(self, poll_timeout: int = 30, delete_webhook: bool = False) -> None:
        """Long polling in a task. Polling and a webhook exclude each other:
        ``delete_webhook`` removes one."""
        self.poll_timeout = poll_timeout
        if delete_webhook:
            await self.client.delete_webhook()
        self._poller = asyncio.create_task(self._poll_forever(), name="zalo-polling")

    async def _poll_forever(self) -> None:
        failures = 0
        while True:
            try:
                updates = await self.client.poll(self.poll_timeout)
                await self._store_until_stored([inbox_row(u) for u in updates])
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - polling must outlive any failure
                failures += 1
                delay = polling_backoff(failures)
                log.warning(
                    "Zalo getUpdates failed (%s); again in %.1f s", type(error).__name__, delay
                )
                await asyncio.sleep(delay)
                continue
            failures = 0

    async def _store_until_stored(self, rows: list) -> None:
        """Zalo has no offsets: what getUpdates returned is gone from the platform, so a
        failed write is tried again until it lands instead of dropping the batch."""
        failures = 0
        while True:
            try:
                await self.intake.store(CHANNEL, rows)
                return
            except Exception as error:  # noqa: BLE001 - the database may be away briefly
                failures += 1
                delay = polling_backoff(failures)
                log.warning(
                    "Zalo updates not stored yet (%s); again in %.1f s", type(error).__name__, delay
                )
                await asyncio.sleep(delay)

    async def stop_fetching(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None

    async def close(self) -> None:
        await self.stop_fetching()
        if self._own_client:
            await self.client.aclose()
