"""`fieldbot web`: the office web console alone (bot/web)."""

from __future__ import annotations

import argparse

from bot.cli.common import run_with_database
from bot.config import Config


def add_web(subcommands: argparse._SubParsersAction) -> None:
    web = subcommands.add_parser(
        "web", help="serve the office web console on [web] host:port (sign in with /web)"
    )
    web.set_defaults(handler=cmd_web)


def cmd_web(args: argparse.Namespace, config: Config) -> int:
    from bot.web.serve import run_console

    run_with_database(config, lambda database: run_console(config, database))
    return 0
