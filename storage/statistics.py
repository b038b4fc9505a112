"""The query planner's statistics on SQLite, which never gathers them by itself.

Without them SQLite weighs indexes by their shape alone, and for "the answer of
run R to question Q" it took the unique (run_id, question_id) index and a lookup in
the 9.4 M-row answer table over migration 0011's small covering index of that
question: /summary's K6/K7 took 619 ms instead of 98 ms at 1,000,000 checks. A
sampled ANALYZE (analysis_limit rows per index) takes ~10 ms at that size, so the
bot runs one at start and then every hour, as the data grows from nothing, and the
command line's summary, export and report run one first when there are none (a
database filled by imports that `fieldbot run` never served). PostgreSQL's
autovacuum keeps its own statistics: nothing to do there.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text

from storage.db import Database

log = logging.getLogger(__name__)

# Rows sampled per index: enough to tell a covering index of one question from the
# table's unique index, cheap at any size.
ANALYSIS_LIMIT = 400
REFRESH_SECONDS = 3600


async def refresh_statistics(database: Database) -> None:
    """A sampled ANALYZE on SQLite (connections opened later, such as the report
    worker's, read the new statistics); nothing on PostgreSQL."""
    if not database.is_sqlite:
        return
    async with database.engine.begin() as connection:
        await connection.execute(text(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}"))
        await connection.execute(text("ANALYZE"))


async def statistics_before_reading(database: Database) -> None:
    """For a one-off reader: the sampled ANALYZE when SQLite has no statistics yet.
    Best effort: a read-only file or a writer holding the database past the busy
    timeout leaves the planner as it was, and the reading goes on."""
    if not database.is_sqlite:
        return
    try:
        async with database.engine.connect() as connection:
            known = await connection.execute(
                text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            )
            if known.first() is not None:
                return
        await refresh_statistics(database)
    except Exception as error:  # noqa: BLE001 - the statistics only make it faster
        log.info("planner statistics not gathered: %s", type(error).__name__)


async def keep_statistics_fresh(database: Database, every: float = REFRESH_SECONDS) -> None:
    """refresh_statistics now and every ``every`` seconds until cancelled; a failure
    (the database busy for longer than its timeout) waits for the next round."""
    while True:
        try:
            await refresh_statistics(database)
        except Exception as error:  # statistics can wait; the bot must not stop
            log.warning("planner statistics not refreshed: %s", type(error).__name__)
        await asyncio.sleep(every)
