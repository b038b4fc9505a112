"""What every command shares: the one-line error, the migrated database, tables.

Nothing heavy at import time: ``fieldbot --help`` imports this module, so SQLAlchemy,
Alembic and the messenger libraries are imported inside the functions that use them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from bot.config import Config
    from storage.db import Database

T = TypeVar("T")

TELEGRAM_REJECTED = (
    "Telegram rejected the bot token ([telegram] token / FIELDBOT_TELEGRAM_TOKEN); "
    "check it with @BotFather"
)
ZALO_REJECTED = (
    "Zalo rejected the bot token ([zalo] token / FIELDBOT_ZALO_TOKEN); "
    "check it in the Zalo Bot Platform"
)


class CommandError(Exception):
    """A problem to report as one line; ``exit_code`` 2 for usage, 1 for failures."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


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
            await require_current_schema(database)
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def known_revisions(database: Database) -> list[str]:
    """This fieldbot's migrations, head first."""
    from storage.db import migration_revisions

    return migration_revisions()


async def current_and_head(database: Database) -> tuple[str | None, str | None]:
    from storage.db import current_revision

    return await current_revision(database.engine), known_revisions(database)[0]


async def require_current_schema(database: Database) -> None:
    current, head = await current_and_head(database)
    if current is None:
        raise CommandError("the database has no tables yet: run `fieldbot db upgrade` first")
    if current not in known_revisions(database):
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


def check_webhook_secret(config: Config) -> str:
    secret = config.get("webhook", "secret")
    if not re.fullmatch(r"[A-Za-z0-9_-]{8,256}", secret):
        raise CommandError(
            "[webhook] secret (or FIELDBOT_WEBHOOK_SECRET) must be 8-256 letters, digits, _ or -"
        )
    return secret


def rejected_token(error: BaseException) -> str | None:
    """The one line to print when ``error`` means a platform refused the bot token
    (found anywhere among its causes and in exception groups), else None. The
    platform's own message is never shown: python-telegram-bot's quotes the token."""
    from telegram.error import InvalidToken

    pending: list[BaseException | None] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, InvalidToken):
            return TELEGRAM_REJECTED
        # bot.channels.zalo.ZaloError, by name: the channel modules may change freely.
        if type(current).__name__ == "ZaloError" and getattr(current, "code", None) in (401, 403):
            return ZALO_REJECTED
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend((current.__cause__, current.__context__))
    return None
