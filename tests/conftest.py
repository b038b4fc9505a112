"""Databases for the tests: every test gets its own clean SQLite file and, where
parametrised, its own PostgreSQL database on 127.0.0.1:5432."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import asyncpg
import pytest

from storage.db import Database, upgrade

# No token and no typed text in any test's log or error output (issue 16).
pytest_plugins = ["tests.log_audit", "tests.known_failures"]

PG_HOST = os.environ.get("FIELDBOT_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("FIELDBOT_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("FIELDBOT_TEST_PG_USER", "postgres")
PG_ADMIN_DB = os.environ.get("FIELDBOT_TEST_PG_DB", "test")

_pg_reason: str | None = None
_pg_checked = False


async def _admin_connection() -> asyncpg.Connection:
    return await asyncpg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_ADMIN_DB, timeout=5
    )


async def _postgres_unavailable() -> str | None:
    global _pg_checked, _pg_reason
    if not _pg_checked:
        _pg_checked = True
        try:
            connection = await _admin_connection()
            await connection.close()
        except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
            _pg_reason = f"PostgreSQL at {PG_HOST}:{PG_PORT} unreachable: {error}"
    return _pg_reason


@dataclass
class DatabaseTarget:
    """Where a test's database lives; make as many Database objects on it as needed
    (a restart is a new Database on the same url)."""

    kind: str
    url: str

    def connect(self, **engine_kwargs) -> Database:
        return Database(self.url, **engine_kwargs)


async def _new_postgres_database() -> tuple[str, str]:
    reason = await _postgres_unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)
    name = f"fieldbot_t_{uuid.uuid4().hex[:16]}"
    connection = await _admin_connection()
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name, f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


async def _drop_postgres_database(name: str) -> None:
    connection = await _admin_connection()
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_database(request, tmp_path):
    """A database with no tables yet, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield DatabaseTarget("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'fieldbot.db'}")
        return
    name, url = await _new_postgres_database()
    try:
        yield DatabaseTarget("postgresql", url)
    finally:
        await _drop_postgres_database(name)


@pytest.fixture
async def sqlite_target(tmp_path):
    """An empty SQLite database only (for tests whose subject is not the database)."""
    return DatabaseTarget("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'fieldbot.db'}")


async def _upgraded(target: DatabaseTarget) -> Database:
    database = target.connect()
    await upgrade(database.engine)
    return database


@pytest.fixture
async def database_target(empty_database):
    """A migrated database on both engines; yields its target."""
    database = await _upgraded(empty_database)
    await database.dispose()
    yield empty_database


@pytest.fixture
async def db(database_target):
    """A migrated database on both engines, connected."""
    database = database_target.connect()
    yield database
    await database.dispose()


@pytest.fixture
async def sqlite_db(sqlite_target):
    """A migrated SQLite database, connected."""
    database = await _upgraded(sqlite_target)
    yield database
    await database.dispose()


# --- fake messengers and a running bot ------------------------------------------------


@pytest.fixture
async def tg():
    """A fake Telegram Bot API server on loopback."""
    from tests.fake_telegram import FakeTelegram

    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def zalo():
    """A fake Zalo Bot Platform on loopback."""
    from tests.fake_zalo import FakeZalo

    async with FakeZalo() as server:
        yield server


@pytest.fixture
async def bot(tg, sqlite_db, sqlite_target, tmp_path):
    """The real Application polling the fake Telegram, on a seeded SQLite database."""
    from tests.telegram_harness import running_bot, seed

    await seed(sqlite_db)
    async with running_bot(tg, sqlite_target.url, tmp_path / "media") as channel:
        yield channel


@pytest.fixture
async def bot_on_both(tg, db, database_target, tmp_path):
    """As ``bot``, on SQLite and on PostgreSQL."""
    from tests.telegram_harness import running_bot, seed

    await seed(db)
    async with running_bot(tg, database_target.url, tmp_path / "media") as channel:
        yield channel
