"""Running the bot: `fieldbot run` (the messengers and the reminder clock) and
`fieldbot demo` (the terminal, no token, no network)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.common import CommandError, check_webhook_secret, run_with_database

if TYPE_CHECKING:
    from bot.config import Config


def add_demo(subcommands: argparse._SubParsersAction) -> None:
    demo = subcommands.add_parser("demo", help="try the bot in this terminal: no token, no network")
    demo.add_argument(
        "--as",
        dest="as_role",
        choices=["inspector", "admin"],
        default="inspector",
        help="who you are in the demo",
    )
    demo.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    from bot.app import build_engine
    from bot.channels.demo import demo_database_url, main_demo
    from storage.db import Database

    # The demo keeps its own SQLite file so it never touches a real database.
    engine = build_engine(config, Database(demo_database_url()))
    return main_demo(engine, args.as_role)


def add_run(subcommands: argparse._SubParsersAction) -> None:
    run = subcommands.add_parser("run", help="run the bot (Telegram) and the reminder clock")
    run.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    from bot.channels import registry

    if not registry.configured(config):
        raise CommandError(
            "no channel is configured: set FIELDBOT_TELEGRAM_TOKEN (a token from @BotFather) "
            "and/or FIELDBOT_ZALO_TOKEN (Zalo Bot Platform), or [telegram]/[zalo] token in "
            "config.toml; to try the bot without one, run `fieldbot demo`"
        )
    if config.get("webhook", "url"):
        check_webhook_secret(config)
    if config.get("reminders", "enabled"):
        from bot.scheduler import reminder_settings

        # A tick_time the clock cannot use stops here, before any channel is opened.
        reminder_settings(config)
    from bot.runner import run_bot

    run_with_database(config, lambda database: run_bot(config, database))
    return 0
