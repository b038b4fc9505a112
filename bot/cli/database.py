"""`fieldbot db`: the schema (upgrade)."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from bot.cli.common import current_and_head, open_database

if TYPE_CHECKING:
    from bot.config import Config


def add_db(subcommands: argparse._SubParsersAction) -> None:
    db = subcommands.add_parser("db", help="database schema")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="create or upgrade the tables (Alembic)")
    upgrade.set_defaults(handler=cmd_db_upgrade)


def cmd_db_upgrade(args: argparse.Namespace, config: Config) -> int:
    async def run() -> tuple[str | None, str | None]:
        from storage.db import upgrade

        database = open_database(config)
        try:
            before, _head = await current_and_head(database)
            await upgrade(database.engine)
            after, _head = await current_and_head(database)
            return before, after
        finally:
            await database.dispose()

    before, after = asyncio.run(run())
    if before != after:
        print(f"Upgraded the database from {before or 'an empty database'} to {after}")
    print(f"Database is up to date (revision {after})")
    return 0
