"""`fieldbot webhook set|delete|info`: the addresses registered with the platforms."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from bot.cli.common import CommandError, check_webhook_secret

if TYPE_CHECKING:
    from bot.config import Config


def add_webhook(subcommands: argparse._SubParsersAction) -> None:
    from bot.channels import registry

    names = [e.name.capitalize() for e in registry.entries() if e.webhook is not None]
    platforms = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    webhook = subcommands.add_parser("webhook", help="register the webhook with the platforms")
    actions = webhook.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, helptext in (
        ("set", f"register [webhook] url with {platforms}"),
        ("delete", "remove the webhooks (back to long polling)"),
        ("info", "show what the platforms have registered"),
    ):
        actions.add_parser(name, help=helptext).set_defaults(
            handler=cmd_webhook, webhook_action=name
        )


def cmd_webhook(args: argparse.Namespace, config: Config) -> int:
    """Talks to each configured channel with a webhook route (bot/channels/registry.py),
    in the registry's order. Tokens never appear in what is printed."""
    from bot.channels import registry

    action = args.webhook_action
    base = config.get("webhook", "url").rstrip("/")
    secret = None
    if action == "set":
        if not base.startswith("https://"):
            raise CommandError("[webhook] url must be a public https:// address")
        secret = check_webhook_secret(config)
    channels = [e for e in registry.configured(config) if e.webhook is not None]
    if not channels:
        raise CommandError("no channel token is configured")

    async def work() -> list[str]:
        lines = []
        for channel in channels:
            admin = registry.load(channel.webhook.admin)
            lines.append(await admin(config, action, base + channel.webhook.path, secret))
        return lines

    for line in asyncio.run(work()):
        print(line)
    return 0
