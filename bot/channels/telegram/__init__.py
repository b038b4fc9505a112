"""Telegram: python-telegram-bot's Bot (rate limited), raw long polling into the inbox,
inline buttons. The channel is put together and run here; what comes in is read in
inbound.py, what goes out is sent in outbound.py.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from telegram import Bot, BotCommand
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults

from bot.channels.registry import capabilities_of
from bot.channels.telegram.inbound import (
    ALLOWED_UPDATES,
    CHANNEL,
    Incoming,
    sender_of,
    update_key_of,
    webhook_row,
)
from bot.channels.telegram.outbound import (
    PROMPTS_REMEMBERED,
    SEND_ATTEMPTS,
    Outgoing,
    Part,
    keyboard,
    location_keyboard,
)
from bot.config import Config
from handlers.catalog import t
from handlers.engine import Engine

log = logging.getLogger(__name__)

__all__ = [
    "ALLOWED_UPDATES",
    "CHANNEL",
    "PROMPTS_REMEMBERED",
    "SEND_ATTEMPTS",
    "Part",
    "TelegramChannel",
    "keyboard",
    "location_keyboard",
    "sender_of",
    "update_key_of",
    "webhook_admin",
    "webhook_row",
]


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


class TelegramChannel(Incoming, Outgoing):
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
