"""The `fieldbot` command line.

Every top-level command is one entry in ``COMMANDS``: a function that adds its
argparse sub-parser and sets ``handler`` on it. A handler is
``handler(args: argparse.Namespace, config: Config) -> int`` (the exit code) and
runs its own async work with ``asyncio.run``. To add a command (``demo``, ``run``),
write ``_add_<name>(subcommands)`` plus its handler and list it in ``COMMANDS``.

Exit codes: 0 done, 1 the work failed (bad CSV rows, database trouble),
2 a usage or configuration problem — always one line ``fieldbot: error: ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot import cli_runtime
from bot.config import ConfigError, load_config
from bot.logs import RedactSecrets, setup_logging

if TYPE_CHECKING:
    from bot.config import Config
    from storage.db import Database

PROG = "fieldbot"
SECRET_VARIABLES = ("FIELDBOT_TELEGRAM_TOKEN", "FIELDBOT_ZALO_TOKEN")
T = TypeVar("T")


class CommandError(Exception):
    """A problem to report as one line; ``exit_code`` 2 for usage, 1 for failures."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# --- helpers shared by handlers ------------------------------------------------


def open_database(config: Config) -> Database:
    """The configured database; a SQLite file's folder must exist (SQLite would only
    say "unable to open database file")."""
    from sqlalchemy.engine import make_url

    from storage.db import Database, normalise_url

    url = make_url(normalise_url(config.database_url))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        folder = Path(url.database).absolute().parent
        if not folder.is_dir():
            raise CommandError(
                f"the folder of the SQLite database does not exist: {folder} "
                "(check [database] url or FIELDBOT_DATABASE_URL)"
            )
    return Database(config.database_url)


def run_with_database(config: Config, work: Callable[[Database], Awaitable[T]]) -> T:
    """Runs ``work(database)`` on a migrated database, then disposes the engine."""

    async def run() -> T:
        database = open_database(config)
        try:
            await _require_current_schema(database)
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _known_revisions(database: Database) -> list[str]:
    """This fieldbot's migrations, head first."""
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config(database.url))
    return [revision.revision for revision in script.walk_revisions()]


async def _current_and_head(database: Database) -> tuple[str | None, str | None]:
    from alembic.runtime.migration import MigrationContext

    async with database.engine.connect() as connection:
        current = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    return current, _known_revisions(database)[0]


async def _require_current_schema(database: Database) -> None:
    current, head = await _current_and_head(database)
    if current is None:
        raise CommandError("the database has no tables yet: run `fieldbot db upgrade` first")
    if current not in _known_revisions(database):
        raise CommandError(
            f"the database is at revision {current}, which this fieldbot does not know "
            "(was it upgraded by a newer version?)",
            exit_code=1,
        )
    if current != head:
        raise CommandError(
            f"the database is at revision {current}, this fieldbot needs {head}: "
            "run `fieldbot db upgrade` first"
        )


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[("" if value is None else str(value)) for value in row] for row in rows]
    widths = [
        max([len(header)] + [len(row[i]) for row in cells]) for i, header in enumerate(headers)
    ]

    def line(values: list[str]) -> str:
        return "  ".join(value.ljust(width) for value, width in zip(values, widths, strict=True))

    print(line(headers).rstrip())
    print(line(["-" * width for width in widths]))
    for row in cells:
        print(line(row).rstrip())


# --- db ------------------------------------------------------------------------


def _add_db(subcommands: argparse._SubParsersAction) -> None:
    db = subcommands.add_parser("db", help="database schema")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="create or upgrade the tables (Alembic)")
    upgrade.set_defaults(handler=cmd_db_upgrade)


def cmd_db_upgrade(args: argparse.Namespace, config: Config) -> int:
    async def run() -> tuple[str | None, str | None]:
        from storage.db import upgrade

        database = open_database(config)
        try:
            before, _head = await _current_and_head(database)
            await upgrade(database.engine)
            after, _head = await _current_and_head(database)
            return before, after
        finally:
            await database.dispose()

    before, after = asyncio.run(run())
    if before != after:
        print(f"Upgraded the database from {before or 'an empty database'} to {after}")
    print(f"Database is up to date (revision {after})")
    return 0


# --- sites ---------------------------------------------------------------------


def _add_sites(subcommands: argparse._SubParsersAction) -> None:
    from storage.models import SITE_KINDS

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


def cmd_sites_import(args: argparse.Namespace, config: Config) -> int:
    from storage.sites import import_sites, parse_sites_csv, sample_sites_csv

    if args.sample:
        name, text = "sample", sample_sites_csv()
    else:
        name = args.file
        try:
            with open(args.file, encoding="utf-8", newline="") as file:
                text = file.read()
        except FileNotFoundError:
            raise CommandError(f"{args.file}: file not found") from None
        except UnicodeDecodeError:
            raise CommandError(
                f'{args.file}: not UTF-8 text (save the CSV as "CSV UTF-8")'
            ) from None
        except OSError as error:
            raise CommandError(f"{args.file}: {error.strerror}") from None

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


def _add_users(subcommands: argparse._SubParsersAction) -> None:
    from storage.models import ROLES

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


def _add_invite(subcommands: argparse._SubParsersAction) -> None:
    from storage.models import ROLES

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


# --- the command table ---------------------------------------------------------

# name -> function adding the sub-parser (which sets `handler`). Add `demo`, `run` here.
COMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "db": _add_db,
    "sites": _add_sites,
    "users": _add_users,
    "invite": _add_invite,
    "demo": cli_runtime.add_demo,
    "run": cli_runtime.add_run,
    "reminders": cli_runtime.add_reminders,
    "deadlines": cli_runtime.add_deadlines,
    "reports": cli_runtime.add_reports,
    "webhook": cli_runtime.add_webhook,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Field-reporting chatbot of the Quảng Ngãi Department of Industry and Trade.",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML configuration (default: $FIELDBOT_CONFIG, else ./config.toml if present)",
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS.values():
        add(subcommands)
    return parser


def _fail(message: str, code: int) -> int:
    # Redact tokens even when the configuration never loaded: the environment's
    # tokens, and anything shaped like one (a token pasted into a URL key).
    from_environment = [os.environ.get(name, "") for name in SECRET_VARIABLES]
    message = RedactSecrets(from_environment).redact(message)
    one_line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    print(f"{PROG}: error: {one_line}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        config = load_config(args.config)
    except ConfigError as error:
        return _fail(str(error), 2)
    setup_logging(config.secrets())
    # Alembic narrates every step at INFO; `db upgrade` prints its own summary.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    redact = RedactSecrets(config.secrets()).redact

    from alembic.util import CommandError as AlembicError
    from asyncpg import PostgresError
    from sqlalchemy.exc import DBAPIError

    from storage.people import PeopleError

    try:
        return handler(args, config)
    except (CommandError, ConfigError, PeopleError) as error:
        return _fail(redact(str(error)), getattr(error, "exit_code", 2))
    except (DBAPIError, PostgresError, OSError) as error:
        detail = getattr(error, "orig", None) or error
        first_line = (str(detail).strip().splitlines() or [type(detail).__name__])[0]
        return _fail(redact(f"database: {first_line}"), 1)
    except AlembicError as error:
        # E.g. a database stamped with a revision this version of fieldbot does not know.
        return _fail(redact(f"migrations: {error}"), 1)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        # A token the platform refused: one line naming the key, never the token.
        rejected = cli_runtime.rejected_token(error)
        if rejected is None:
            raise
        return _fail(rejected, 2)
