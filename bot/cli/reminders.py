"""`fieldbot reminders`: what the reminder clock would send, and one tick by hand."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.cli.common import CommandError, print_table, run_with_database

if TYPE_CHECKING:
    from bot.config import Config

# How long run-once waits for a messenger that does not answer before going without it.
OPEN_TIMEOUT = 60.0


def add_reminders(subcommands: argparse._SubParsersAction) -> None:
    reminders = subcommands.add_parser("reminders", help="deadline reminders")
    actions = reminders.add_subparsers(dest="action", metavar="ACTION", required=True)
    preview = actions.add_parser("preview", help="show what would be sent on a day")
    preview.add_argument(
        "--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)"
    )
    preview.set_defaults(handler=cmd_reminders_preview)
    once = actions.add_parser("run-once", help="run one tick as if it were that moment")
    once.add_argument(
        "--now",
        type=datetime.fromisoformat,
        default=None,
        help="ISO 8601 moment (default: now); without an offset, local time",
    )
    once.set_defaults(handler=cmd_reminders_run_once)
    history = actions.add_parser("history", help="what was sent, to whom, when and how")
    history.add_argument("--year", type=int, default=None, help="default: this year")
    history.set_defaults(handler=cmd_reminders_history)


def cmd_reminders_preview(args: argparse.Namespace, config: Config) -> int:
    from bot.scheduler import build_reminders

    day = args.date or datetime.now(config.timezone).date()

    async def work(database):
        reminders = build_reminders(config, database)
        return await reminders.plan(day, only_new_slots=True), reminders.unheard

    planned, unheard = run_with_database(config, work)
    print(f"Reminders for {day.strftime('%d/%m/%Y')}: {len(planned)}")
    for note in unheard:  # an escalation nobody would read: someone must phone
        print(f"warning: {note}")
    if not planned:
        return 0
    print_table(
        ["to", "department", "kind", "already"],
        [
            [p.person.name, p.key["department_code"], p.key["kind"], p.already or ""]
            for p in planned
        ],
    )
    for item in planned:
        print(f"\n— {item.person.name} ({item.key['department_code']}):")
        for reply in item.replies:
            print(reply.text)
    return 0


def cmd_reminders_history(args: argparse.Namespace, config: Config) -> int:
    from handlers.reminders.history import HEADERS, history

    year = args.year or datetime.now(config.timezone).year
    rows = run_with_database(config, lambda database: history(database, year, config.timezone))
    print(f"Reminders in {year}: {len(rows)}")
    if rows:
        print_table(HEADERS, rows)
    return 0


def cmd_reminders_run_once(args: argparse.Namespace, config: Config) -> int:
    if not (config.telegram_token or config.zalo_token):
        raise CommandError(
            "reminders need a channel: set FIELDBOT_TELEGRAM_TOKEN or FIELDBOT_ZALO_TOKEN"
        )
    now = args.now or datetime.now(config.timezone)
    if now.tzinfo is None:
        now = now.replace(tzinfo=config.timezone)

    async def work(database):
        from bot.app import build_engine
        from bot.notify import Notifier
        from bot.runner import build_channels
        from bot.scheduler import build_reminders

        # Every configured channel, as `fieldbot run` has: a Zalo-only head is reachable.
        channels = build_channels(config, build_engine(config, database))
        opened = {}
        try:
            for name, channel in channels.items():
                try:
                    await asyncio.wait_for(channel.open(), OPEN_TIMEOUT)
                except TimeoutError:
                    print(f"{name} unreachable: reminders go through the other channels")
                    continue
                opened[name] = channel
            return await build_reminders(config, database).tick(now, Notifier(database, opened))
        finally:
            for channel in channels.values():
                await channel.close()

    report = run_with_database(config, work)
    print(
        f"sent {report.sent}, failed {report.failed}, unreachable {report.unreachable}, "
        f"already handled {report.skipped}"
    )
    return 1 if report.failed else 0
