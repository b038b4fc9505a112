"""Setting the bot up: `fieldbot sites`, `fieldbot users` and `fieldbot invite`."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from bot.cli.common import CommandError, print_table, run_with_database
from storage.vocabulary import ROLES, SITE_KINDS

if TYPE_CHECKING:
    from bot.config import Config
    from storage.db import Database


# --- sites ---------------------------------------------------------------------


def add_sites(subcommands: argparse._SubParsersAction) -> None:
    sites = subcommands.add_parser("sites", help="supermarkets, trade centres, clusters")
    actions = sites.add_subparsers(dest="sites_command", metavar="ACTION", required=True)

    import_ = actions.add_parser(
        "import",
        help="add or update sites from a CSV (all rows or none)",
        description="Columns: code,name,kind,commune,old_district,province,status,note "
        "and optionally lat,lon. Sites are matched by code.",
    )
    source = import_.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", metavar="FILE.csv", help="the CSV file (UTF-8)")
    source.add_argument(
        "--sample", action="store_true", help="import the starter Quảng Ngãi list shipped inside"
    )
    import_.set_defaults(handler=cmd_sites_import)

    list_ = actions.add_parser("list", help="show the sites")
    list_.add_argument("--kind", choices=SITE_KINDS)
    list_.set_defaults(handler=cmd_sites_list)


def _read_csv(path: str) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as file:
            return file.read()
    except FileNotFoundError:
        raise CommandError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise CommandError(f'{path}: not UTF-8 text (save the CSV as "CSV UTF-8")') from None
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror}") from None


def cmd_sites_import(args: argparse.Namespace, config: Config) -> int:
    from storage.sites import import_sites, parse_sites_csv, sample_sites_csv

    if args.sample:
        name, text = "sample", sample_sites_csv()
    else:
        name, text = args.file, _read_csv(args.file)

    rows, errors = parse_sites_csv(text)
    if errors:
        for error in errors:
            print(f"{name}: {error}", file=sys.stderr)
        print(
            f"{name}: nothing imported ({len(errors)} problem(s); fix them and run again)",
            file=sys.stderr,
        )
        return 1

    async def work(database: Database) -> tuple[int, int, int]:
        async with database.session() as session:
            counts = await import_sites(session, rows)
            await session.commit()
            return counts

    created, updated, unchanged = run_with_database(config, work)
    print(f"created {created}, updated {updated}, unchanged {unchanged}")
    return 0


def cmd_sites_list(args: argparse.Namespace, config: Config) -> int:
    from storage.sites import list_sites

    async def work(database: Database) -> list:
        async with database.session() as session:
            return await list_sites(session, kind=args.kind)

    sites = run_with_database(config, work)
    print_table(
        ["code", "kind", "status", "name", "commune"],
        [[s.code, s.kind, s.status, s.name, s.commune] for s in sites],
    )
    return 0


# --- users ---------------------------------------------------------------------


def _telegram_id(text: str) -> str:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"a Telegram user id is a number, got {text!r}")
    return text.strip()


def add_users(subcommands: argparse._SubParsersAction) -> None:
    users = subcommands.add_parser("users", help="people who use the bot")
    actions = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add a person")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--department", required=True, metavar="CODE", help="e.g. QLTM")
    add.add_argument("--telegram-id", type=_telegram_id, metavar="ID")
    add.add_argument("--zalo-id", metavar="ID")
    add.add_argument("--language", choices=("vi", "en"), help="default: [bot] language")
    add.set_defaults(handler=cmd_users_add)

    list_ = actions.add_parser("list", help="show everyone")
    list_.set_defaults(handler=cmd_users_list)

    for action, active in (("deactivate", False), ("activate", True)):
        parser = actions.add_parser(
            action, help=f"{'allow' if active else 'stop'} a person using the bot"
        )
        parser.add_argument("ids", nargs="+", type=int, metavar="ID")
        parser.set_defaults(handler=cmd_users_set_active, active=active)


def cmd_users_add(args: argparse.Namespace, config: Config) -> int:
    from storage.people import add_person

    accounts = {}
    if args.telegram_id:
        accounts["telegram"] = args.telegram_id
    if args.zalo_id:
        accounts["zalo"] = args.zalo_id.strip()

    async def work(database: Database):
        async with database.session() as session:
            person = await add_person(
                session,
                name=args.name,
                role=args.role,
                department_code=args.department,
                language=args.language or config.language,
                accounts=accounts,
            )
            await session.commit()
            return person

    person = run_with_database(config, work)
    where = "".join(f", {channel} {external}" for channel, external in accounts.items())
    print(
        f"added person {person.id}: {person.name} ({person.role}, {person.department_code}{where})"
    )
    return 0


def cmd_users_list(args: argparse.Namespace, config: Config) -> int:
    from storage.people import list_people

    async def work(database: Database):
        async with database.session() as session:
            return await list_people(session)

    people = run_with_database(config, work)
    print_table(
        ["id", "name", "role", "department", "language", "active", "accounts"],
        [
            [
                person.id,
                person.name,
                person.role,
                person.department_code,
                person.language,
                "yes" if person.active else "no",
                ", ".join(f"{a.channel}:{a.external_id}" for a in accounts),
            ]
            for person, accounts in people
        ],
    )
    return 0


def cmd_users_set_active(args: argparse.Namespace, config: Config) -> int:
    from storage.people import set_active

    async def work(database: Database):
        async with database.session() as session:
            people = [await set_active(session, pid, args.active) for pid in args.ids]
            await session.commit()
            return people

    for person in run_with_database(config, work):
        state = "activated" if args.active else "deactivated"
        print(f"person {person.id} ({person.name}) {state}")
    return 0


# --- invite --------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of days above 0, got {text!r}")
    return value


def add_invite(subcommands: argparse._SubParsersAction) -> None:
    invite = subcommands.add_parser("invite", help="make a one-time code to join the bot")
    invite.add_argument("--role", required=True, choices=ROLES)
    invite.add_argument("--department", required=True, metavar="CODE")
    invite.add_argument("--days", type=_positive_int, help="days the code stays valid (default: 7)")
    invite.set_defaults(handler=cmd_invite)


def cmd_invite(args: argparse.Namespace, config: Config) -> int:
    from storage.people import create_invite

    days = args.days or config.get("bot", "invite_valid_days")

    async def work(database: Database):
        async with database.session() as session:
            invite = await create_invite(
                session, role=args.role, department_code=args.department, valid_days=days
            )
            await session.commit()
            return invite

    invite = run_with_database(config, work)
    expires: datetime = invite.expires_at.astimezone(config.timezone)
    print(f"Invite code: {invite.code}")
    print(
        f"For: {invite.role}, {invite.department_code}; valid until "
        f"{expires:%d/%m/%Y %H:%M} ({config.get('bot', 'timezone')})"
    )
    # Until the bot's username is known the link cannot be built; a later change adds it.
    print(f"Telegram: send /start {invite.code} to the bot")
    return 0
