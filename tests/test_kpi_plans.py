"""The indicator queries read the indexes made for them (migration 0011), checked on
the query plans: a plan change costs no test time here, but at 1,000,000 checks it
was the difference between 98 ms and 619 ms."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from bot.cli import main
from storage.kpis import queries
from storage.kpis.scope import Scope
from storage.statistics import refresh_statistics
from tests.bench.bench_summary import load


async def sqlite_plan(database, query) -> str:
    """EXPLAIN QUERY PLAN of the statement ``query`` (a storage.kpis.queries
    function) sends, as one text."""
    sent: list[tuple[str, tuple]] = []

    def grab(_connection, _cursor, statement, parameters, _context, _many):
        sent.append((statement, parameters))

    sa.event.listen(database.engine.sync_engine, "before_cursor_execute", grab)
    try:
        async with database.session() as session:
            await query(session, Scope(year=2026))
    finally:
        sa.event.remove(database.engine.sync_engine, "before_cursor_execute", grab)
    statement, parameters = sent[-1]
    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        cursor = await raw.driver_connection.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(row[-1] for row in await cursor.fetchall())


async def test_with_the_bots_statistics_sqlite_reads_the_answers_from_their_own_indexes(
    sqlite_db,
):
    await load(sqlite_db, sites=200, checks=3_000)
    await refresh_statistics(sqlite_db)
    async with sqlite_db.engine.connect() as connection:
        analysed = await connection.execute(sa.text("SELECT count(*) FROM sqlite_stat1"))
        assert analysed.scalar() > 0
    activities = await sqlite_plan(sqlite_db, queries.activities)
    for question in ("facilities_reached", "eco_products", "suppliers"):
        assert f"COVERING INDEX ix_answer_q_{question}" in activities
    assert "sqlite_autoindex_answer" not in activities  # the table's unique index
    models = await sqlite_plan(sqlite_db, queries.models)
    # K2's runs in the window's order from their own index (no sort), then the stage.
    assert "COVERING INDEX ix_run_models" in models, models
    assert "TEMP B-TREE" not in models, models
    assert "COVERING INDEX ix_answer_q_stage" in models


async def test_fieldbot_summary_gathers_statistics_sqlite_never_had(
    sqlite_db, sqlite_target, monkeypatch, tmp_path, capsys
):
    """A database filled without `fieldbot run` (imports only) has no statistics, and
    SQLite then reads K2's stages through the unique answer index; the command
    line's summary gathers them first, and its plan is the bot's."""
    await load(sqlite_db, sites=200, checks=3_000)
    without = await sqlite_plan(sqlite_db, queries.models)
    assert "COVERING INDEX ix_answer_q_stage" not in without
    await sqlite_db.dispose()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FIELDBOT_CONFIG", raising=False)
    monkeypatch.setenv("FIELDBOT_DATABASE_URL", sqlite_target.url)
    code = await asyncio.to_thread(main, ["summary", "--year", "2026"])
    assert code == 0
    assert "K2" in capsys.readouterr().out
    database = sqlite_target.connect()
    try:
        with_them = await sqlite_plan(database, queries.models)
    finally:
        await database.dispose()
    assert "COVERING INDEX ix_answer_q_stage" in with_them
