"""Telegram out: replies rendered as Telegram messages (inline buttons, a location
keyboard, a prompt edited in place) and sent with retries."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.channels import DeliveryError, send_replies
from handlers.catalog import t
from handlers.messages import Choice, Reply, split_text

# The channel's one logger, whichever of its modules writes.
log = logging.getLogger("bot.channels.telegram")

SEND_ATTEMPTS = 4
# Prompt messages remembered for an edit in place (per chat and prompt key); the
# oldest are forgotten first. After a restart a typed answer's prompt is not known:
# it keeps its buttons (they still work) and the answer goes on in a new message.
PROMPTS_REMEMBERED = 5000


def _retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)


@dataclass(frozen=True)
class Part:
    """One Telegram message: text with optional buttons, a photo or a document."""

    kind: str
    text: str
    choices: tuple[Choice, ...] = ()
    path: Path | None = None
    file_name: str | None = None
    # Edit in place: a message id, or the key of a remembered prompt (Reply.replaces).
    replaces: str | None = None
    edit_only: bool = False
    key: str | None = None
    # A reply keyboard with a request_location button labelled so (Reply.asks_location).
    location_label: str | None = None


def keyboard(choices: list[Choice]) -> InlineKeyboardMarkup | None:
    """Short labels share a row (up to four when very short); long ones stand alone."""
    if not choices:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    row: list[InlineKeyboardButton] = []
    for choice in choices:
        button = InlineKeyboardButton(choice.label, callback_data=choice.payload)
        if len(choice.label) > 14:
            if row:
                rows.append(row)
                row = []
            rows.append([button])
            continue
        row.append(button)
        width = 4 if all(len(b.text) <= 7 for b in row) else 3
        if len(row) >= width:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    return InlineKeyboardMarkup(rows)


def location_keyboard(label: str, choices: tuple[Choice, ...]) -> ReplyKeyboardMarkup:
    """ "📍 Gửi vị trí" above the question's other choices as typed words (a message
    cannot carry a reply keyboard and inline buttons at once; the engine reads the
    words as it reads typed choices)."""
    rows = [[KeyboardButton(label, request_location=True)]]
    rows += [[KeyboardButton(choice.label) for choice in choices]] if choices else []
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)


class _NotEditable(Exception):
    """Telegram refused to edit a message (gone, too old, not text)."""


class Outgoing:
    """TelegramChannel's outgoing half (it provides ``bot``, ``engine`` and the
    remembered ``_prompts`` and ``_keyboards``)."""

    def render(self, replies: list[Reply], language: str) -> list[Part]:
        parts: list[Part] = []
        for reply in replies:
            if reply.picture is not None:
                parts.append(Part("photo", reply.text[:1024], path=reply.picture))
            elif reply.file is not None:
                name = reply.file_name or reply.file.name
                parts.append(Part("document", reply.text[:1024], path=reply.file, file_name=name))
            else:
                texts = split_text(reply.text)
                parts += [Part("text", text) for text in texts[:-1]]
                one = len(texts) == 1  # a long text is sent anew, never edited
                location = t(language, "button_location") if reply.asks_location else None
                parts.append(
                    Part(
                        "text",
                        texts[-1],
                        tuple(reply.choices),
                        replaces=reply.replaces if one else None,
                        edit_only=reply.edit_only,
                        key=reply.key,
                        location_label=location,
                    )
                )
        return parts

    async def send_part(self, chat_id: str, part: Part) -> None:
        bot = self.bot
        if part.kind == "photo":
            await self._with_retries(
                bot.send_photo,
                chat_id=chat_id,
                photo=part.path.read_bytes(),
                caption=part.text or None,
            )
        elif part.kind == "document":
            await self._with_retries(
                bot.send_document,
                chat_id=chat_id,
                document=part.path.read_bytes(),
                filename=part.file_name,
                caption=part.text or None,
            )
        else:
            await self._send_text(chat_id, part)

    async def _send_text(self, chat_id: str, part: Part) -> None:
        """A text part: edited in place when it replaces a known message (and no location
        keyboard must go first), else sent; an answered question's record that cannot
        take its prompt's place is left out, or sent anew in its place (keyboard)."""
        target = self._target(chat_id, part.replaces)
        keyboard_up = chat_id in self._keyboards
        if target is not None and not keyboard_up and await self._edit(chat_id, target, part):
            self._remember(chat_id, part.key, target)
            return
        if part.edit_only and not keyboard_up:
            return
        if part.location_label:
            markup = location_keyboard(part.location_label, part.choices)
        elif keyboard_up and not part.choices:
            markup = ReplyKeyboardRemove()
        else:
            markup = keyboard(list(part.choices))
        sent = await self._with_retries(
            self.bot.send_message, chat_id=chat_id, text=part.text, reply_markup=markup
        )
        if part.location_label:
            self._keyboards.add(chat_id)
        elif isinstance(markup, ReplyKeyboardRemove):
            self._keyboards.discard(chat_id)
        if sent is not None:
            self._remember(chat_id, part.key, sent.message_id)
            if part.edit_only and target is not None:
                await self._delete(chat_id, target)

    async def _delete(self, chat_id: str, message_id: int) -> None:
        """A record that had to come anew (it takes the location keyboard away) stands
        for its prompt: the prompt goes, so the chat keeps one message per question. A
        prompt Telegram will not delete (too old) just stays."""
        try:
            await self.bot.delete_message(chat_id=chat_id, message_id=message_id)
        except TelegramError:
            log.info("telegram: an answered prompt could not be deleted")

    def _target(self, chat_id: str, replaces: str | None) -> int | None:
        if not replaces:
            return None
        if replaces.isdigit():
            return int(replaces)
        return self._prompts.get((chat_id, replaces))

    def _remember(self, chat_id: str, key: str | None, message_id: int) -> None:
        if key is None:
            return
        self._prompts.pop((chat_id, key), None)
        self._prompts[(chat_id, key)] = message_id
        while len(self._prompts) > PROMPTS_REMEMBERED:
            self._prompts.pop(next(iter(self._prompts)))

    async def _edit(self, chat_id: str, message_id: int, part: Part) -> bool:
        """editMessageText; False when Telegram will not edit that message (gone, too
        old, not text), so the caller sends a new one. "Not modified" is done."""

        async def edit(**kwargs) -> None:
            try:
                await self.bot.edit_message_text(**kwargs)
            except BadRequest as error:
                if "not modified" not in error.message.lower():
                    raise _NotEditable from None

        try:
            await self._with_retries(
                edit,
                chat_id=chat_id,
                message_id=message_id,
                text=part.text,
                reply_markup=keyboard(list(part.choices)),
            )
        except _NotEditable:
            return False
        return True

    async def send(self, chat_id: int | str, replies: list[Reply]) -> None:
        await send_replies(self, self.engine, str(chat_id), replies)

    async def _with_retries(self, send, **kwargs):
        """The rate limiter already waits out 429s; here 429, 5xx and time-outs get a few
        more tries. Every way out either returns (delivered) or raises DeliveryError."""
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                return await send(**kwargs)
            except Forbidden:  # the person blocked the bot: retrying cannot help
                raise DeliveryError(
                    "Telegram: the person blocked the bot", permanent=True
                ) from None
            except BadRequest as error:
                raise DeliveryError(
                    f"Telegram refused the message: {error.message[:80]}", permanent=True
                ) from None
            except RetryAfter as error:
                if attempt == SEND_ATTEMPTS:
                    raise DeliveryError("Telegram: still rate limited (429)") from None
                await asyncio.sleep(_retry_seconds(error))
            except (NetworkError, InvalidToken, OSError) as error:
                if attempt == SEND_ATTEMPTS:
                    raise DeliveryError(
                        f"Telegram: {type(error).__name__} after {attempt} attempts"
                    ) from None
                await asyncio.sleep(0.2 * 2**attempt)
        raise DeliveryError("Telegram: not delivered")  # pragma: no cover
