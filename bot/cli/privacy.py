"""`fieldbot data purge` and `fieldbot data access-log`: retention and who looked.

The purge counts first and changes nothing unless ``--yes`` is given, so an operator sees
what goes before it goes (the configured [privacy] periods; Law 91/2025/QH15 asks that
personal data be kept no longer than needed).
"""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.cli.common import print_table, run_with_database

if TYPE_CHECKING:
    from bot.config import Config

PURGE_LINES = (
    ("photos", "photos older than {years} years"),
    ("photo_files", "  their files in the media folder (and folders of removed runs)"),
    ("locations", "locations older than {years} years"),
    ("drafts", "drafts untouched for {draft_days} days"),
    ("messages", "handled messages older than {message_days} days (inbox and outbox)"),
)


def operator_name() -> str:
    """Who is at the command line, for the access log (the login, else "cli")."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in a bare container
        return "cli"


def add_data(subcommands: argparse._SubParsersAction) -> None:
    data = subcommands.add_parser("data", help="personal data: retention purge, access log")
    actions = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    purge = actions.add_parser(
        "purge", help="count (or with --yes remove) what is older than the [privacy] periods"
    )
    purge.add_argument("--yes", action="store_true", help="remove it (default: only count)")
    purge.set_defaults(handler=cmd_data_purge)
    log = actions.add_parser("access-log", help="who exported or viewed what, newest first")
    log.add_argument("--limit", type=int, default=50)
    log.set_defaults(handler=cmd_data_access_log)


def cmd_data_purge(args: argparse.Namespace, config: Config) -> int:
    from handlers.checklist import ChecklistRegistry
    from handlers.privacy import PrivacySettings, photo_questions
    from storage import privacy, retention

    settings = PrivacySettings.from_config(config.values["privacy"])
    photos = photo_questions(ChecklistRegistry.load())

    async def work(database):
        async with database.session() as session:
            plan = await retention.plan_purge(
                session,
                now=datetime.now(UTC),
                retention_years=settings.retention_years,
                draft_days=settings.draft_days,
                message_days=settings.message_days,
                photo_questions=photos,
                media_dir=config.media_dir,
            )
            if args.yes:
                await retention.apply_purge(session, plan)
                counts = plan.counts()
                detail = " ".join(f"{key}={value}" for key, value in counts.items())
                await privacy.record_access(session, operator_name(), "purge", detail)
                await session.commit()
        return plan

    plan = run_with_database(config, work)
    counts = plan.counts()
    removed = retention.remove_files(plan) if args.yes else None
    print("Removed:" if args.yes else "Would remove (dry run; add --yes to remove):")
    for key, text in PURGE_LINES:
        label = text.format(
            years=settings.retention_years,
            draft_days=settings.draft_days,
            message_days=settings.message_days,
        )
        value = removed if key == "photo_files" and removed is not None else counts[key]
        print(f"  {value:>6}  {label}")
    return 0


def cmd_data_access_log(args: argparse.Namespace, config: Config) -> int:
    from storage.privacy import access_entries

    async def work(database):
        async with database.session() as session:
            return await access_entries(session, args.limit)

    rows = []
    for entry, who in run_with_database(config, work):
        when = entry.at.astimezone(config.timezone).strftime("%d/%m/%Y %H:%M")
        rows.append([when, who, entry.source, entry.action, entry.detail])
    print_table(["when", "who", "where", "action", "detail"], rows)
    return 0
