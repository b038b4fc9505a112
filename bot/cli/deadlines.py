"""`fieldbot deadlines`: the reporting deadlines the reminders count down to."""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING

from bot.cli.common import CommandError, print_table, run_with_database

if TYPE_CHECKING:
    from bot.config import Config


def add_deadlines(subcommands: argparse._SubParsersAction) -> None:
    deadlines = subcommands.add_parser("deadlines", help="reporting deadlines")
    actions = deadlines.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="show the deadlines").set_defaults(handler=cmd_deadlines_list)
    add = actions.add_parser("add", help="add a deadline")
    add.add_argument("--title", required=True, help="title in Vietnamese")
    add.add_argument("--title-en", default=None, help="title in English")
    when = add.add_mutually_exclusive_group(required=True)
    when.add_argument("--due", type=date.fromisoformat, help="fixed due date YYYY-MM-DD")
    when.add_argument("--yearly", metavar="DD-MM", help="every year on this day, e.g. 10-12")
    add.add_argument("--departments", default="", help="codes separated by commas (default all)")
    add.add_argument("--offsets", default="30,14,7,3,1,0", help="days before the due date")
    add.add_argument("--no-overdue", action="store_true", help="no daily reminders after it")
    add.add_argument("--escalate-to", default="KTATMT", help="department told about overdue ones")
    add.set_defaults(handler=cmd_deadlines_add)
    remove = actions.add_parser("remove", help="stop a deadline's reminders")
    remove.add_argument("id", type=int)
    remove.set_defaults(handler=cmd_deadlines_remove)


def cmd_deadlines_list(args: argparse.Namespace, config: Config) -> int:
    from storage import reminders

    async def work(database):
        async with database.session() as session:
            return await reminders.active_deadlines(session)

    rows = []
    for d in run_with_database(config, work):
        due = (
            d.due_date.strftime("%d/%m/%Y")
            if d.due_date
            else f"{d.yearly_day:02d}/{d.yearly_month:02d} yearly"
        )
        rows.append(
            [
                d.id,
                d.title_vi,
                due,
                ",".join(d.departments) or "all",
                ",".join(map(str, d.offsets)),
                "yes" if d.repeat_overdue else "no",
                d.escalate_to or "",
            ]
        )
    print_table(["id", "title", "due", "departments", "offsets", "overdue", "escalate"], rows)
    return 0


def _parse_schedule(args: argparse.Namespace) -> tuple[list[int], int | None, int | None]:
    """The offsets (largest first) and the yearly day and month, checked."""
    try:
        offsets = sorted({int(x) for x in args.offsets.split(",") if x.strip()}, reverse=True)
    except ValueError:
        raise CommandError("--offsets must be whole numbers separated by commas") from None
    if any(o < 0 for o in offsets):
        raise CommandError("--offsets must not be negative")
    day = month = None
    if args.yearly:
        try:
            day, month = (int(x) for x in args.yearly.split("-"))
            date(2024, month, day)
        except ValueError:
            raise CommandError("--yearly must be DD-MM, e.g. 10-12") from None
    return offsets, day, month


def cmd_deadlines_add(args: argparse.Namespace, config: Config) -> int:
    from storage import reminders
    from storage.models import Deadline

    offsets, day, month = _parse_schedule(args)
    codes = [c.strip().upper() for c in args.departments.split(",") if c.strip()]

    async def work(database):
        async with database.session() as session:
            known = {d.code for d in await reminders.all_departments(session)}
            unknown = [c for c in codes + [args.escalate_to] if c and c not in known]
            if unknown:
                raise CommandError(f"unknown department(s): {', '.join(unknown)}")
            deadline = await reminders.add_deadline(
                session,
                Deadline(
                    title_vi=args.title,
                    title_en=args.title_en or args.title,
                    due_date=args.due,
                    yearly_month=month,
                    yearly_day=day,
                    departments=codes,
                    offsets=offsets,
                    repeat_overdue=not args.no_overdue,
                    escalate_to=args.escalate_to or None,
                ),
            )
            await session.commit()
            return deadline.id

    print(f"deadline {run_with_database(config, work)} added")
    return 0


def cmd_deadlines_remove(args: argparse.Namespace, config: Config) -> int:
    from storage import reminders

    async def work(database):
        async with database.session() as session:
            removed = await reminders.remove_deadline(session, args.id)
            await session.commit()
            return removed

    if not run_with_database(config, work):
        raise CommandError(f"no active deadline with id {args.id}", exit_code=1)
    print(f"deadline {args.id} removed")
    return 0
