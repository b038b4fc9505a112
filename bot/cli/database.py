"""`fieldbot db`: the schema (upgrade), backups (backup, restore) and a health check."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import CommandError, current_and_head, open_database, print_table

if TYPE_CHECKING:
    from bot.config import Config


def add_db(subcommands: argparse._SubParsersAction) -> None:
    db = subcommands.add_parser("db", help="database schema")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="create or upgrade the tables (Alembic)")
    upgrade.set_defaults(handler=cmd_db_upgrade)
    add_db_maintenance(actions)


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


def add_db_maintenance(actions: argparse._SubParsersAction) -> None:
    backup = actions.add_parser(
        "backup",
        help="copy the database and the photos into one archive (safe while the bot runs)",
        description="SQLite: the online backup API; PostgreSQL: pg_dump (must be installed).",
    )
    backup.add_argument("file", metavar="FILE", help="the archive to write, e.g. backup.tar.gz")
    backup.set_defaults(handler=cmd_db_backup)
    restore = actions.add_parser(
        "restore", help="restore an archive into an empty database and photos folder"
    )
    restore.add_argument("file", metavar="FILE", help="an archive from `fieldbot db backup`")
    restore.set_defaults(handler=cmd_db_restore)
    check = actions.add_parser(
        "check", help="schema revision, row counts, photos, open drafts, stuck messages"
    )
    check.set_defaults(handler=cmd_db_check)


def _with_database(config: Config, work):
    async def run():
        database = open_database(config)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def cmd_db_backup(args: argparse.Namespace, config: Config) -> int:
    from storage.backup import BackupError, backup

    async def revision(database) -> str | None:
        return (await current_and_head(database))[0]

    try:
        manifest = backup(
            config.database_url, config.media_dir, Path(args.file), _with_database(config, revision)
        )
    except BackupError as error:
        raise CommandError(str(error), exit_code=1) from None
    print(
        f"backed up the {manifest['backend']} database (revision {manifest['revision']}) "
        f"and {manifest['media_files']} photo file(s) to {args.file}"
    )
    return 0


def cmd_db_restore(args: argparse.Namespace, config: Config) -> int:
    from storage.backup import BackupError, read_manifest, restore, target_of

    async def tables(database) -> list[str]:
        from sqlalchemy import inspect

        async with database.engine.connect() as connection:
            return await connection.run_sync(lambda sync: inspect(sync).get_table_names())

    try:
        read_manifest(Path(args.file))  # a wrong file is named before any connection
        target_of(config.database_url)  # a kind of database we can restore into
        existing = _with_database(config, tables)
        manifest = restore(Path(args.file), config.database_url, config.media_dir, existing)
    except BackupError as error:
        raise CommandError(str(error), exit_code=1) from None
    created = datetime.fromisoformat(manifest["created"]).astimezone(config.timezone)
    print(
        f"restored the database (revision {manifest['revision']}, backed up "
        f"{created:%d/%m/%Y %H:%M}) and {manifest['media_restored']} photo file(s) "
        f"into {config.media_dir}"
    )
    print("next: `fieldbot db upgrade` (if this fieldbot is newer), then `fieldbot db check`")
    return 0


def cmd_db_check(args: argparse.Namespace, config: Config) -> int:
    from storage.health import check

    async def work(database):
        current, head = await current_and_head(database)
        if current != head:
            return current, head, None
        async with database.session() as session:
            return current, head, await check(session, config.media_dir)

    current, head, health = _with_database(config, work)
    if current is None:
        raise CommandError("the database has no tables yet: run `fieldbot db upgrade` first")
    if health is None:
        print(f"schema: revision {current}; this fieldbot needs {head}: run `fieldbot db upgrade`")
        return 1
    print(f"schema: revision {current} (up to date)")
    print_table(["table", "rows"], [[name, count] for name, count in health.rows.items()])
    _print_health(health, config)
    return 1 if health.problems else 0


def _print_health(health, config: Config) -> None:
    from storage.health import STUCK_AFTER

    print(
        f"photos: {health.photos_on_disk} file(s) in {config.media_dir}, "
        f"{len(health.missing_photos)} missing, {len(health.orphan_files)} not named by any answer"
    )
    for key in health.missing_photos[:10]:
        print(f"  missing: {key}")
    for key in health.orphan_files[:10]:
        print(f"  orphan: {key}")
    oldest = (
        f" (oldest started {health.oldest_draft.astimezone(config.timezone):%d/%m/%Y %H:%M})"
        if health.oldest_draft
        else ""
    )
    print(f"open drafts: {health.open_drafts}{oldest}")
    minutes = f"waiting over {STUCK_AFTER.total_seconds() / 60:g} min"
    print(
        f"inbox: {health.stuck_inbox} {minutes}; outbox: {health.stuck_outbox} {minutes}, "
        f"{health.failed_outbox} failed"
    )
