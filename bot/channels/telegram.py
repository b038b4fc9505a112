"""Telegram: python-telegram-bot's Application, long polling, inline buttons."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import replace
from pathlib import Path
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    Defaults,
    TypeHandler,
)

from bot.config import Config
from handlers.catalog import LANGUAGES, t
from handlers.engine import Engine
from handlers.messages import Choice, Inbound, PhotoRef, Reply, split_text
from storage import people

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 4


class OnePersonInOrder(BaseUpdateProcessor):
    """Updates of different people run concurrently; one person's strictly in order,
    since each answer moves that person's checklist to the next question."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            await coroutine
            return
        lock = self._locks.setdefault(user.id, asyncio.Lock())
        self._waiting[user.id] = self._waiting.get(user.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[user.id] -= 1
            if not self._waiting[user.id]:  # forget idle people so memory stays flat
                del self._waiting[user.id]
                del self._locks[user.id]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


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


class TelegramChannel:
    def __init__(self, config: Config, engine: Engine) -> None:
        self.config = config
        self.engine = engine
        self.application = self._build()

    def _build(self) -> Application:
        telegram = self.config.values["telegram"]
        application = (
            ApplicationBuilder()
            .token(telegram["token"])
            .base_url(telegram["api_base_url"])
            .base_file_url(telegram["file_base_url"])
            .rate_limiter(AIORateLimiter(max_retries=5))
            .defaults(Defaults(tzinfo=self.config.timezone))
            .concurrent_updates(OnePersonInOrder(256))
            .connection_pool_size(64)
            .build()
        )
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)
        return application

    async def _post_init(self, application: Application) -> None:
        me = application.bot
        self.engine.settings = replace(self.engine.settings, bot_username=me.username)
        commands = ["start", "help", "back", "skip", "cancel", "my", "lang"]
        try:
            await application.bot.set_my_commands(
                [BotCommand(c, t("vi", f"command_{c}")) for c in commands]
            )
        except TelegramError as error:  # a menu of commands is a comfort, not a must
            log.warning("could not set the command menu: %s", error)

    def to_inbound(self, update: Update) -> Inbound | None:
        user = update.effective_user
        if user is None or update.effective_chat is None:
            return None
        if update.effective_chat.type != "private":
            return None  # the bot talks one-to-one
        language = (user.language_code or "")[:2]
        common = dict(
            channel="telegram",
            sender_id=str(user.id),
            sender_name=user.full_name,
            language_hint=language if language in LANGUAGES else None,
            update_key=str(update.update_id),
        )
        if update.callback_query is not None:
            return Inbound(payload=update.callback_query.data or "", **common)
        message = update.message
        if message is None:
            return None
        if message.photo:
            file_id = message.photo[-1].file_id
            bot = self.application.bot

            async def download(path: Path) -> None:
                telegram_file = await bot.get_file(file_id)
                await telegram_file.download_to_drive(path)

            return Inbound(photo=PhotoRef(file_id, download), text=message.caption, **common)
        if message.location:
            location = (message.location.latitude, message.location.longitude)
            return Inbound(location=location, **common)
        return Inbound(text=message.text or "", **common)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        inbound = self.to_inbound(update)
        if inbound is None:
            return
        if update.callback_query is not None:
            await self._answer_callback(update)
        replies = await self.engine.handle(inbound)
        try:
            await self.send(update.effective_chat.id, replies)
        except TelegramError as error:
            # The answer is stored; the person sees the question again on their next message.
            log.warning("reply to chat %s not delivered: %s", update.effective_chat.id, error)

    async def _answer_callback(self, update: Update) -> None:
        try:
            await update.callback_query.answer()
        except TelegramError as error:  # an old query cannot be answered; harmless
            log.info("callback query not answered: %s", error)

    async def send(self, chat_id: int | str, replies: list[Reply]) -> None:
        bot = self.application.bot
        for reply in replies:
            if reply.picture is not None:
                await self._with_retries(
                    bot.send_photo,
                    chat_id=chat_id,
                    photo=reply.picture.read_bytes(),
                    caption=reply.text[:1024] or None,
                )
                continue
            if reply.file is not None:
                await self._with_retries(
                    bot.send_document,
                    chat_id=chat_id,
                    document=reply.file.read_bytes(),
                    filename=reply.file_name or reply.file.name,
                    caption=reply.text[:1024] or None,
                )
                continue
            parts = split_text(reply.text)
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                await self._with_retries(
                    bot.send_message,
                    chat_id=chat_id,
                    text=part,
                    reply_markup=keyboard(reply.choices) if last else None,
                )

    async def _with_retries(self, send, **kwargs) -> None:
        """The rate limiter already waits out 429s; here 5xx and time-outs get a
        few more tries before the failure is logged (the answer is already saved)."""
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                await send(**kwargs)
                return
            except Forbidden:  # the person blocked the bot: retrying cannot help
                raise
            except RetryAfter as error:
                await asyncio.sleep(
                    float(
                        error.retry_after.total_seconds()
                        if hasattr(error.retry_after, "total_seconds")
                        else error.retry_after
                    )
                )
            except NetworkError as error:
                if attempt == SEND_ATTEMPTS:
                    log.error(
                        "sending to chat %s failed after %d attempts: %s",
                        kwargs.get("chat_id"),
                        attempt,
                        error,
                    )
                    raise
                await asyncio.sleep(0.2 * 2**attempt)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error while handling an update", exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        language = await self._language_of(update)
        try:
            await context.bot.send_message(update.effective_chat.id, t(language, "error_generic"))
        except TelegramError:
            log.warning("could not tell chat %s about the error", update.effective_chat.id)

    async def _language_of(self, update: Update) -> str:
        """The person's chosen language (/lang), else the Telegram app's, else Vietnamese."""
        user = update.effective_user
        if user is None:
            return self.engine.settings.default_language
        try:
            async with self.engine.db.session() as session:
                person = await people.find_by_account(session, "telegram", str(user.id))
        except Exception:  # noqa: BLE001 - the database may be why we are here
            person = None
        if person is not None:
            return person.language
        hint = (user.language_code or "")[:2]
        return hint if hint in LANGUAGES else self.engine.settings.default_language

    # --- running ------------------------------------------------------------------

    async def start(self, poll_timeout: int = 30, polling: bool = True) -> None:
        """Without polling, updates come from the webhook server (bot/webhook.py),
        which puts them on the Application's update queue."""
        await self.application.initialize()
        # Application.post_init only runs under run_polling/run_webhook, not here.
        await self._post_init(self.application)
        await self.application.start()
        if not polling:
            return
        await self.application.updater.start_polling(
            poll_interval=0.0,
            timeout=poll_timeout,
            drop_pending_updates=False,
            allowed_updates=["message", "callback_query"],
        )

    async def stop(self) -> None:
        if self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
