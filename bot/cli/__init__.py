"""The `fieldbot` command line: one module per command group.

Every top-level command is one entry in ``COMMANDS``: a function that adds its
argparse sub-parser and sets ``handler`` on it. A handler is
``handler(args: argparse.Namespace, config: Config) -> int`` (the exit code) and
runs its own async work with ``asyncio.run``. To add a command, write
``add_<name>(subcommands)`` plus its handler in the group's module (or a new one)
and list it in ``COMMANDS``. The group modules import only ``bot.cli.common``,
never this package, and import heavy libraries inside the handlers, so that
``fieldbot --help`` starts at once.

Exit codes: 0 done, 1 the work failed (bad CSV rows, database trouble),
2 a usage or configuration problem — always one line ``fieldbot: error: ...``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

from bot.cli.common import (
    CommandError,
    open_database,
    print_table,
    rejected_token,
    run_with_database,
)
from bot.cli.database import add_db
from bot.cli.deadlines import add_deadlines
from bot.cli.privacy import add_data
from bot.cli.reminders import add_reminders
from bot.cli.reports import add_reports
from bot.cli.running import add_demo, add_run
from bot.cli.setup import add_invite, add_sites, add_users
from bot.cli.web import add_web
from bot.cli.webhook import add_webhook
from bot.config import ENVIRONMENT, SECRET_KEYS, ConfigError, load_config
from bot.logs import RedactSecrets, setup_logging

__all__ = [
    "COMMANDS",
    "CommandError",
    "build_parser",
    "main",
    "open_database",
    "print_table",
    "run_with_database",
]

PROG = "fieldbot"
# The environment variables that hold secrets, for errors raised before the
# configuration loaded (the bot tokens and the webhook secret).
SECRET_VARIABLES = tuple(name for name, key in ENVIRONMENT.items() if key in SECRET_KEYS)

# name -> function adding the sub-parser (which sets `handler`).
COMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "db": add_db,
    "sites": add_sites,
    "users": add_users,
    "invite": add_invite,
    "demo": add_demo,
    "run": add_run,
    "reminders": add_reminders,
    "deadlines": add_deadlines,
    "reports": add_reports,
    "webhook": add_webhook,
    "data": add_data,
    "web": add_web,
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
    # Redact secrets even when the configuration never loaded: the environment's
    # secrets, and anything shaped like a token (a token pasted into a URL key).
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

    try:
        return handler(args, config)
    except CommandError as error:
        return _fail(redact(str(error)), error.exit_code)
    except ConfigError as error:
        return _fail(redact(str(error)), 2)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        return _fail_for(error, redact)


def _loaded(module: str, name: str) -> type | None:
    """An exception class of a library the command imported, else None: a library
    never imported raised nothing, and importing it here would cost `fieldbot` its
    quick start (SQLAlchemy and Alembic take seconds)."""
    loaded = sys.modules.get(module)
    return getattr(loaded, name, None) if loaded is not None else None


def _fail_for(error: Exception, redact: Callable[[str], str]) -> int:
    """The one line for a failure of the database, the migrations, a person's data or
    a refused token; anything else is a bug and goes up with its traceback."""
    people_error = _loaded("storage.people", "PeopleError")
    if people_error is not None and isinstance(error, people_error):
        return _fail(redact(str(error)), getattr(error, "exit_code", 2))
    database_errors = tuple(
        found
        for found in (
            _loaded("sqlalchemy.exc", "DBAPIError"),
            _loaded("asyncpg", "PostgresError"),
            OSError,
        )
        if found is not None
    )
    if isinstance(error, database_errors):
        detail = getattr(error, "orig", None) or error
        first_line = (str(detail).strip().splitlines() or [type(detail).__name__])[0]
        return _fail(redact(f"database: {first_line}"), 1)
    alembic_error = _loaded("alembic.util", "CommandError")
    if alembic_error is not None and isinstance(error, alembic_error):
        # E.g. a database stamped with a revision this version of fieldbot does not know.
        return _fail(redact(f"migrations: {error}"), 1)
    # A token the platform refused: one line naming the key, never the token.
    rejected = rejected_token(error)
    if rejected is None:
        raise error
    return _fail(rejected, 2)
