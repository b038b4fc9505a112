"""Telegram: python-telegram-bot's Bot (rate limited), raw long polling into the inbox,
inline buttons.

Updates are fetched as raw JSON and stored before the next getUpdates confirms them,
and parsed one by one later (bot/pipeline.py): an update the library cannot parse is
set aside instead of stopping the poller.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults

from bot.channels import DeliveryError, Parsed, polling_backoff, send_replies
from bot.channels.registry import capabilities_of
from bot.config import Config
from handlers.catalog import LANGUAGES, t
from handlers.engine import Engine
from handlers.messages import Choice, Inbound, PhotoRef, PhotoTooLarge, Reply, split_text

log = logging.getLogger(__name__)

CHANNEL = "telegram"
SEND_ATTEMPTS = 4
# Prompt messages remembered for an edit in place (per chat and prompt key); the
# oldest are forgotten first. After a restart a typed answer's prompt is not known:
# it keeps its buttons (they still work) and the answer goes on in a new message.
PROMPTS_REMEMBERED = 5000
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def _retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)


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


async def webhook_admin(config: Config, action: str, url: str, secret: str | None) -> str:
    """`fieldbot webhook set|delete|info` on Telegram: one line, never the token."""
    telegram = config.values["telegram"]
    async with Bot(telegram["token"], base_url=telegram["api_base_url"]) as bot:
        if action == "set":
            await bot.set_webhook(
                url, secret_token=secret, allowed_updates=["message", "callback_query"]
            )
        elif action == "delete":
            await bot.delete_webhook()
        info = await bot.get_webhook_info()
    error = f", last error: {info.last_error_message}" if info.last_error_message else ""
    return f"telegram: {info.url or '(none)'}, pending {info.pending_update_count}{error}"


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


class TelegramChannel:
    """The engine on Telegram: raw polling (or the webhook) into the inbox, replies out."""

    name = CHANNEL
    capabilities = capabilities_of(CHANNEL)

    def __init__(self, config: Config, engine: Engine, intake=None) -> None:
        self.config = config
        self.engine = engine
        self.intake = intake  # bot.pipeline.Intake, set by the runtime
        self.application = self._build()
        self._poller: asyncio.Task | None = None
        # (chat, prompt key) -> message id, for edits in place; chats with a location
        # keyboard showing, removed with the next message.
        self._prompts: dict[tuple[str, str], int] = {}
        self._keyboards: set[str] = set()

    def _build(self) -> Application:
        telegram = self.config.values["telegram"]
        return (
            ApplicationBuilder()
            .token(telegram["token"])
            .base_url(telegram["api_base_url"])
            .base_file_url(telegram["file_base_url"])
            .rate_limiter(AIORateLimiter(max_retries=5))
            .defaults(Defaults(tzinfo=self.config.timezone))
            .connection_pool_size(64)
            .updater(None)
            .build()
        )

    @property
    def bot(self):
        return self.application.bot

    # --- incoming -------------------------------------------------------------------

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

    # --- outgoing -------------------------------------------------------------------

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

    # --- running ----------------------------------------------------------------------

    async def open(self) -> None:
        """Connects (getMe), waiting out an unreachable API with a one-line log each time;
        a rejected token is raised at once."""
        failures = 0
        while True:
            try:
                await self.application.initialize()
                break
            except InvalidToken:
                raise
            except NetworkError as error:
                failures += 1
                delay = min(2.0 * 2 ** min(failures - 1, 4), 30.0)
                log.warning(
                    "Telegram unreachable at start (%s); again in %.0f s",
                    type(error).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
        me = self.bot
        self.engine.settings = replace(self.engine.settings, bot_username=me.username)
        commands = ["start", "help", "back", "skip", "cancel", "my", "lang"]
        try:
            await self.bot.set_my_commands(
                [BotCommand(c, t("vi", f"command_{c}")) for c in commands]
            )
        except TelegramError as error:  # a menu of commands is a comfort, not a must
            log.warning("could not set the command menu: %s", type(error).__name__)

    async def start_fetching(self, poll_timeout: int = 30) -> None:
        self._poller = asyncio.create_task(self._poll_forever(poll_timeout), name="tg-poll")

    async def stop_fetching(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None

    async def close(self) -> None:
        await self.stop_fetching()
        await self.application.shutdown()
