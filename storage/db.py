"""The async engine, sessions, and schema upgrades through Alembic."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"
# `revision = "0002"` and `down_revision = "0001"` (or None) in a migration file.
_REVISION_LINE = re.compile(
    r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(?:[\"']([\w-]+)[\"']|None)", re.MULTILINE
)


def normalise_url(url: str) -> str:
    """Accept plain sqlite:// and postgresql:// URLs and pick the async drivers."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers work while a writer commits; the busy timeout makes a
    # second writer wait instead of failing; SQLite leaves foreign keys off unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Turns applied at once and messages sent at once by one bot process (bot/pipeline.py),
# however many people write: the PostgreSQL pool is sized from them.
TURNS_AT_ONCE = 8
SENDS_AT_ONCE = 8


def pool_for(turns: int = TURNS_AT_ONCE, sends: int = SENDS_AT_ONCE) -> dict[str, int]:
    """A connection per turn and per send (a send holds its chat's lock), a few for the
    sweeps, the intake and the marks of sent messages; the overflow serves reports,
    exports and the web pages beside them."""
    return {"pool_size": turns + sends + 4, "max_overflow": turns + sends}


def create_engine(url: str, **kwargs) -> AsyncEngine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 10}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    for name, value in pool_for().items():
        kwargs.setdefault(name, value)
    if url.startswith("postgresql+asyncpg"):
        # No JIT: our queries are short, and the planner's cost of /summary's
        # per-site lookups passed jit_above_cost, so each one spent ~20 ms compiling
        # (EXPLAIN ANALYZE of K2 at 1,000,000 checks) to save nothing.
        kwargs.setdefault("connect_args", {"server_settings": {"jit": "off"}})
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """An engine and its session factory; one per process."""

    def __init__(self, url: str, **engine_kwargs) -> None:
        self.url = normalise_url(url)
        self.engine = create_engine(self.url, **engine_kwargs)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(url: str) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


async def _run_alembic(engine: AsyncEngine, action, *args) -> None:
    async with engine.begin() as connection:

        def run(sync_connection) -> None:
            config = alembic_config(str(engine.url))
            config.attributes["connection"] = sync_connection
            action(config, *args)

        await connection.run_sync(run)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    from alembic import command

    await _run_alembic(engine, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    from alembic import command

    await _run_alembic(engine, command.downgrade, revision)


def migration_revisions() -> list[str]:
    """This fieldbot's migrations, head first, read from the files themselves: importing
    Alembic (and its template engine) costs seconds, and every command checks the
    schema before it starts. Several heads (a branch) are left to Alembic."""
    parent: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if found.get("revision"):
            parent[found["revision"]] = found.get("down_revision") or None
    heads = set(parent) - set(parent.values())
    if len(heads) != 1:
        from alembic.script import ScriptDirectory

        script = ScriptDirectory(str(MIGRATIONS))
        return [revision.revision for revision in script.walk_revisions()]
    walk, current = [], heads.pop()
    while current is not None and current not in walk:
        walk.append(current)
        current = parent.get(current)
    return walk


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (what Alembic stamps), None before any."""

    def read(connection) -> str | None:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()

    async with engine.connect() as connection:
        return await connection.run_sync(read)
