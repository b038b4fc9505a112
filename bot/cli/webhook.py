"""`fieldbot webhook set|delete|info`: the addresses registered with the platforms."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from bot.cli.common import CommandError, check_webhook_secret

if TYPE_CHECKING:
    from bot.config import Config


def add_webhook(subcommands: argparse._SubParsersAction) -> None:
    webhook = subcommands.add_parser("webhook", help="register the webhook with the platforms")
    actions = webhook.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, helptext in (
        ("set", "register [webhook] url with Telegram and Zalo"),
        ("delete", "remove the webhooks (back to long polling)"),
        ("info", "show what the platforms have registered"),
    ):
        actions.add_parser(name, help=helptext).set_defaults(
            handler=cmd_webhook, webhook_action=name
        )


async def _telegram(config: Config, action: str, base: str, secret: str | None) -> str:
    from telegram import Bot

    telegram = config.values["telegram"]
    async with Bot(telegram["token"], base_url=telegram["api_base_url"]) as bot:
        if action == "set":
            await bot.set_webhook(
                f"{base}/telegram",
                secret_token=secret,
                allowed_updates=["message", "callback_query"],
            )
        elif action == "delete":
            await bot.delete_webhook()
        info = await bot.get_webhook_info()
    error = f", last error: {info.last_error_message}" if info.last_error_message else ""
    return f"telegram: {info.url or '(none)'}, pending {info.pending_update_count}{error}"


async def _zalo(config: Config, action: str, base: str, secret: str | None) -> str:
    from bot.channels.zalo import ZaloClient

    zalo = config.values["zalo"]
    async with ZaloClient(zalo["token"], zalo["api_base_url"]) as client:
        if action == "set":
            await client.set_webhook(f"{base}/zalo", secret)
        elif action == "delete":
            await client.delete_webhook()
        info = await client.get_webhook_info() or {}
    return f"zalo: {info.get('url') or '(none)'}"


def cmd_webhook(args: argparse.Namespace, config: Config) -> int:
    """Talks to each platform that has a token: Telegram via python-telegram-bot,
    Zalo via our client. Tokens never appear in what is printed."""
    action = args.webhook_action
    base = config.get("webhook", "url").rstrip("/")
    secret = None
    if action == "set":
        if not base.startswith("https://"):
            raise CommandError("[webhook] url must be a public https:// address")
        secret = check_webhook_secret(config)
    if not config.telegram_token and not config.zalo_token:
        raise CommandError("no channel token is configured")

    async def work() -> list[str]:
        lines = []
        if config.telegram_token:
            lines.append(await _telegram(config, action, base, secret))
        if config.zalo_token:
            lines.append(await _zalo(config, action, base, secret))
        return lines

    for line in asyncio.run(work()):
        print(line)
    return 0
