"""Telegram in: raw updates, read without parsing for the inbox's keys (long polling
or the webhook's body), then parsed one by one into an Inbound.

Updates are fetched as raw JSON and stored before the next getUpdates confirms them,
and parsed one by one later (bot/pipeline.py): an update the library cannot parse is
set aside instead of stopping the poller.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.channels import Parsed, polling_backoff
from handlers.catalog import LANGUAGES
from handlers.messages import Inbound, PhotoRef, PhotoTooLarge

# The channel's one logger, whichever of its modules writes.
log = logging.getLogger("bot.channels.telegram")

CHANNEL = "telegram"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def sender_of(raw: Any) -> str:
    """The Telegram user id of a raw update, read without parsing it ("" if none)."""
    if not isinstance(raw, dict):
        return ""
    for kind in ("message", "edited_message", "callback_query"):
        part = raw.get(kind)
        if isinstance(part, dict) and isinstance(part.get("from"), dict):
            return str(part["from"].get("id", ""))
    return ""


def update_key_of(raw: Any) -> str | None:
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    return str(update_id) if isinstance(update_id, int) else None


def webhook_row(body: Any) -> tuple[str, str, Any] | None:
    """The inbox row of a webhook body; None when it is not an update."""
    key = update_key_of(body)
    return (key, sender_of(body), body) if key is not None else None


class Incoming:
    """TelegramChannel's incoming half (it provides ``bot``, ``engine``, ``intake`` and
    ``capabilities``)."""

    def parse(self, raw: Any) -> Parsed:
        if not isinstance(raw, dict):
            raise ValueError("an update that is not an object")
        update = Update.de_json(raw, self.bot)
        user, chat = update.effective_user, update.effective_chat
        sender = str(user.id) if user else ""
        if user is None or chat is None or chat.type != "private":
            return Parsed(sender, None, None)  # the bot talks one-to-one
        if update.edited_message is not None:
            return Parsed(sender, str(chat.id), None, notice="edit_not_taken")
        return Parsed(sender, str(chat.id), self.to_inbound(update))

    def to_inbound(self, update: Update) -> Inbound | None:
        user = update.effective_user
        language = (user.language_code or "")[:2]
        common = dict(
            channel=CHANNEL,
            sender_id=str(user.id),
            sender_name=user.full_name,
            language_hint=language if language in LANGUAGES else None,
            update_key=str(update.update_id),
            can_receive_files=self.capabilities.files,
            can_show_buttons=self.capabilities.buttons,
        )
        if update.callback_query is not None:
            pressed = update.callback_query.message
            ref = str(pressed.message_id) if pressed is not None else None
            return Inbound(payload=update.callback_query.data or "", message_ref=ref, **common)
        message = update.message
        if message is None:
            return None
        if message.photo:
            largest = message.photo[-1]
            bot, limit = self.bot, self.engine.settings.max_photo_bytes

            async def download(path: Path) -> None:
                telegram_file = await bot.get_file(largest.file_id)
                # The update may not say the size; getFile does, before any byte is read.
                if (telegram_file.file_size or 0) > limit:
                    raise PhotoTooLarge(telegram_file.file_size)
                await telegram_file.download_to_drive(path)

            photo = PhotoRef(largest.file_id, download, size=largest.file_size)
            return Inbound(photo=photo, text=message.caption, **common)
        if message.location:
            location = (message.location.latitude, message.location.longitude)
            return Inbound(location=location, **common)
        return Inbound(text=message.text or "", **common)

    async def acknowledge(self, raw: Any) -> None:
        """A tapped button stops spinning before the turn runs (best effort)."""
        query = raw.get("callback_query") if isinstance(raw, dict) else None
        if not isinstance(query, dict) or not query.get("id"):
            return
        try:
            await self.bot.answer_callback_query(str(query["id"]))
        except TelegramError as error:  # an old query cannot be answered; harmless
            log.info("callback query not answered: %s", type(error).__name__)

    async def _poll_forever(self, timeout: int) -> None:
        """getUpdates, store, and only then confirm (the next call's offset)."""
        offset: int | None = None
        failures = 0
        while True:
            try:
                # Bot._post is what Bot.get_updates calls before parsing: the raw JSON
                # is what the inbox stores, parsed one update at a time later.
                batch = await self.bot._post(
                    "getUpdates",
                    {"offset": offset, "timeout": timeout, "allowed_updates": ALLOWED_UPDATES},
                    read_timeout=timeout + 15,
                )
                if not isinstance(batch, list):
                    raise NetworkError("getUpdates answered something that is not a list")
                rows = [
                    (update_key_of(raw) or "", sender_of(raw), raw)
                    for raw in batch
                    if update_key_of(raw) is not None
                ]
                await self.intake.store(CHANNEL, rows)
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                raise
            except Exception as error:  # noqa: BLE001 - polling outlives any outage
                failures += 1
                delay = polling_backoff(failures)
                log.warning(
                    "Telegram getUpdates failed (%s); again in %.1f s", type(error).__name__, delay
                )
                await asyncio.sleep(delay)
                continue
            failures = 0
            ids = [raw["update_id"] for raw in batch if update_key_of(raw) is not None]
            if ids:
                offset = max(ids) + 1
