"""Benchmark: the full /summary on 10,000 sites and 200,000 submitted checks.

    python -m tests.bench.bench_summary             # SQLite (a temporary file)
    python -m tests.bench.bench_summary --postgres  # PostgreSQL on 127.0.0.1:5432
    python -m tests.bench.bench_summary --million   # issue 11's size: 1,000,000 checks
    python -m tests.bench.bench_summary --million --url sqlite+aiosqlite:////tmp/m.db
        # loads into that database once and keeps it; later runs measure it again

Rows are inserted in bulk (SQLAlchemy core insert, executemany), not through the
engine. Half the checks fall in the year summarised (2026), half in 2025, which is
harsher than real use (a year's checks are a sixth of the programme's). The
summary (compute_kpis, its queries running concurrently, + the text) is timed 5
times after one warm-up run; the median is compared with a plain SELECT count(*)
FROM answer timed the same way. The indicators computed one query after another
(concurrent=False) are shown for reference. On PostgreSQL the loaded tables are
VACUUM ANALYZEd first, as autovacuum would have after such a load (--no-analyze:
not); SQLite gets the sampled ANALYZE the bot runs at start and every hour
(storage/statistics.py; --analyze: a full ANALYZE instead).
Goal: summary <= 0.5 s on both databases. Not collected by pytest (norecursedirs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from handlers.reports import ReportSettings, build_summary
from storage.db import Database, upgrade
from storage.kpis import compute_kpis
from storage.kpis.keys import enterprise_key
from storage.models import Answer, ChecklistRun, Person, Site
from storage.statistics import refresh_statistics
from tests.bench.common import record

YEAR = 2026
BATCH = 20_000
PG = "postgresql+asyncpg://{user}@{host}:{port}/{name}"
PG_HOST = os.environ.get("FIELDBOT_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("FIELDBOT_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("FIELDBOT_TEST_PG_USER", "postgres")
PG_ADMIN_DB = os.environ.get("FIELDBOT_TEST_PG_DB", "test")

# checklist -> share of the checks
MIX = {
    "supermarket": 0.70,
    "cluster_awareness": 0.15,
    "cleaner_production": 0.05,
    "energy_efficiency": 0.05,
    "trade_promotion": 0.05,
}
DEPARTMENT_OF = {
    "supermarket": "QLTM",
    "cluster_awareness": "QLCN",
    "cleaner_production": "TTKC",
    "energy_efficiency": "QLNL",
    "trade_promotion": "TTKC",
}


def _answer(
    run_id, question_id, moment, *, text=None, number=None, day=None, json=None, skipped=False
) -> dict:
    return {
        "run_id": run_id,
        "question_id": question_id,
        "value_text": text,
        "value_number": number,
        "value_date": day,
        "value_json": json,
        "skipped": skipped,
        "answered_at": moment,
    }


def answers_for(checklist: str, run_id: int, moment: datetime, rng: random.Random) -> list[dict]:
    day = moment.date()
    if checklist == "supermarket":
        eco = rng.random() < 0.3
        rows = [
            _answer(run_id, "nonbio_bags", moment, text=rng.choice(("yes", "no", "unknown"))),
            _answer(run_id, "bag_types", moment, json=["paper", "cloth"]),
            _answer(run_id, "eco_bag_share", moment, number=float(rng.randrange(0, 101, 5))),
            _answer(
                run_id, "packaging_replaced", moment, text=rng.choice(("full", "partial", "none"))
            ),
            _answer(run_id, "foam_trays", moment, text=rng.choice(("yes", "no"))),
            _answer(run_id, "eco_label", moment, text="yes" if eco else "no"),
            _answer(run_id, "awareness_materials", moment, text="yes"),
            _answer(run_id, "photo", moment, skipped=True),
            _answer(run_id, "location", moment, skipped=True),
            _answer(run_id, "note", moment, skipped=True),
        ]
        if eco:
            rows.append(_answer(run_id, "eco_label_count", moment, number=rng.randint(1, 40)))
        return rows
    if checklist == "cluster_awareness":
        if rng.random() < 0.3:
            return [
                _answer(run_id, "aware", moment, text="no"),
                _answer(run_id, "photo", moment, skipped=True),
                _answer(run_id, "note", moment, skipped=True),
            ]
        return [
            _answer(run_id, "aware", moment, text="yes"),
            _answer(run_id, "session_date", moment, day=day),
            _answer(run_id, "session_form", moment, text="training"),
            _answer(run_id, "enterprises", moment, number=rng.randint(1, 30)),
            _answer(run_id, "participants", moment, number=rng.randint(5, 200)),
            _answer(run_id, "photo", moment, skipped=True),
            _answer(run_id, "note", moment, skipped=True),
        ]
    if checklist == "cleaner_production":
        return [
            _answer(run_id, "enterprise", moment, text=f"Công ty {rng.randint(1, 5)}"),
            _answer(run_id, "model_kind", moment, text="cleaner_production"),
            _answer(run_id, "stage", moment, text=rng.choice(("building", "applied"))),
            _answer(run_id, "model_date", moment, day=day),
            _answer(run_id, "photo", moment, skipped=True),
            _answer(run_id, "note", moment, skipped=True),
        ]
    if checklist == "energy_efficiency":
        return [
            _answer(run_id, "facility", moment, text="Nhà máy"),
            _answer(run_id, "practices", moment, json=["led"]),
            _answer(run_id, "facilities_reached", moment, number=rng.randint(1, 20)),
            _answer(run_id, "activity_date", moment, day=day),
            _answer(run_id, "note", moment, skipped=True),
        ]
    return [
        _answer(run_id, "event_name", moment, text="Hội chợ"),
        _answer(run_id, "event_date", moment, day=day),
        _answer(run_id, "eco_products", moment, number=rng.randint(0, 300)),
        _answer(run_id, "suppliers", moment, number=rng.randint(0, 30)),
        _answer(run_id, "note", moment, skipped=True),
    ]


async def insert(database: Database, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        async with database.engine.begin() as connection:
            await connection.execute(sa.insert(table), rows[start : start + BATCH])


async def load(database: Database, sites: int, checks: int, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    people = []
    person_id = 0
    by_department: dict[str, list[int]] = {}
    for department in ("QLTM", "QLCN", "TTKC", "QLNL", "KTATMT"):
        for n in range(10):
            person_id += 1
            people.append(
                {
                    "id": person_id,
                    "name": f"Cán bộ {department} {n}",
                    "role": "inspector",
                    "department_code": department,
                    "language": "vi",
                    "active": True,
                    "created_at": now,
                }
            )
            by_department.setdefault(department, []).append(person_id)
    await insert(database, Person.__table__, people)

    site_rows = []
    kinds_by_id: dict[int, str] = {}
    for site_id in range(1, sites + 1):
        roll = rng.random()
        kind = (
            "supermarket" if roll < 0.6 else "trade_centre" if roll < 0.7 else "industrial_cluster"
        )
        status_roll = rng.random()
        status = "operating" if status_roll < 0.9 else "planned" if status_roll < 0.95 else "closed"
        commune = rng.randrange(100)
        site_rows.append(
            {
                "id": site_id,
                "code": f"S{site_id:05d}",
                "name": f"Cơ sở {site_id}",
                "search_name": f"co so {site_id}",
                "kind": kind,
                "commune": f"Xã {commune}",
                "old_district": f"Huyện {commune % 20}",
                "province": "Quảng Ngãi",
                "status": status,
                "note": "",
                "latitude": None,
                "longitude": None,
            }
        )
        kinds_by_id[site_id] = kind
    await insert(database, Site.__table__, site_rows)
    retail = [i for i, k in kinds_by_id.items() if k != "industrial_cluster"]
    clusters = [i for i, k in kinds_by_id.items() if k == "industrial_cluster"]

    start = datetime(YEAR - 1, 1, 1, tzinfo=UTC)
    span = (datetime(YEAR + 1, 1, 1, tzinfo=UTC) - start).total_seconds()
    names = list(MIX)
    weights = [MIX[name] for name in names]
    runs: list[dict] = []
    answers: list[dict] = []
    counts = {"submitted": 0, "superseded": 0, "draft": 0, "cancelled": 0, "answers": 0}
    extra = checks // 50  # besides the submitted ones: superseded, drafts, cancelled
    for run_id in range(1, checks + 3 * extra + 1):
        checklist = rng.choices(names, weights)[0]
        status = (
            "submitted"
            if run_id <= checks
            else ("superseded", "draft", "cancelled")[(run_id - checks - 1) // extra]
        )
        counts[status] += 1
        moment = start + timedelta(seconds=rng.random() * span)
        site_id = None
        if checklist == "supermarket":
            site_id = rng.choice(retail)
        elif checklist in ("cluster_awareness", "cleaner_production"):
            site_id = rng.choice(clusters)
        runs.append(
            {
                "id": run_id,
                "person_id": rng.choice(by_department[DEPARTMENT_OF[checklist]]),
                "site_id": site_id,
                "checklist_id": checklist,
                "checklist_version": 1,
                "status": status,
                "phase": "review",
                "current_question": None,
                "editing": False,
                "supersedes_id": None,
                "pending_site_id": None,
                "channel": "telegram",
                "started_at": moment,
                "updated_at": moment,
                "submitted_at": None if status in ("draft", "cancelled") else moment,
                "enterprise_key": None,
            }
        )
        written = answers_for(checklist, run_id, moment, rng)
        # What the bot writes on submission (storage.kpis.keys.note_enterprise).
        named = [a["value_text"] for a in written if a["question_id"] == "enterprise"]
        if checklist == "cleaner_production":
            runs[-1]["enterprise_key"] = enterprise_key(named[0] if named else None)
        answers += written
        if len(runs) >= BATCH:  # runs first: the answers refer to them
            await insert(database, ChecklistRun.__table__, runs)
            await insert(database, Answer.__table__, answers)
            counts["answers"] += len(answers)
            runs, answers = [], []
    await insert(database, ChecklistRun.__table__, runs)
    await insert(database, Answer.__table__, answers)
    counts["answers"] += len(answers)
    counts["sites"] = sites
    await _advance_sequences(database)
    return counts


async def _advance_sequences(database: Database) -> None:
    """PostgreSQL: the rows above were given their ids, so the id sequences still
    start at 1, and the next row added the ordinary way (bench_contention's seeded
    sites and inspectors) collided with site 1. SQLite takes max(rowid) + 1 itself."""
    if database.is_sqlite:
        return
    async with database.engine.begin() as connection:
        for table in ("person", "site", "checklist_run"):
            await connection.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )


async def loaded_counts(database: Database) -> dict[str, int] | None:
    """What an earlier run left in a database given with --url, None if it is empty."""
    run_t = ChecklistRun.__table__
    async with database.engine.connect() as connection:
        by_status = dict(
            (
                await connection.execute(
                    sa.select(run_t.c.status, sa.func.count()).group_by(run_t.c.status)
                )
            ).all()
        )
        if not by_status:
            return None
        answers = (
            await connection.execute(sa.select(sa.func.count()).select_from(Answer.__table__))
        ).scalar()
        sites = (
            await connection.execute(sa.select(sa.func.count()).select_from(Site.__table__))
        ).scalar()
    counts = {
        status: by_status.get(status, 0)
        for status in ("submitted", "superseded", "draft", "cancelled")
    }
    return {**counts, "answers": answers, "sites": sites}


async def timed(work, repeat: int) -> tuple[float, list[float]]:
    await work()  # warm-up: connection, caches
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        await work()
        times.append(time.perf_counter() - began)
    return statistics.median(times), times


async def run(url: str, label: str, sites: int, checks: int, repeat: int, analyze: bool) -> None:
    database = Database(url)
    try:
        await upgrade(database.engine)
        began = time.perf_counter()
        counts = await loaded_counts(database)
        if counts is None:
            counts = await load(database, sites, checks)
        else:
            analyze = False  # measured as it was left (the time below is the count)
        loaded = time.perf_counter() - began
        if database.is_sqlite and not analyze:
            await refresh_statistics(database)  # what the bot does at start, then hourly
        elif analyze:
            async with database.engine.connect() as connection:
                if database.is_sqlite:
                    await connection.execute(sa.text("ANALYZE"))
                else:
                    await connection.execution_options(isolation_level="AUTOCOMMIT")
                    await connection.execute(sa.text("VACUUM ANALYZE"))
        settings = ReportSettings()
        result = {}

        async def summary() -> None:
            async with database.session() as session:
                result["summary"] = await build_summary(
                    session, YEAR, "vi", settings=settings, today=date(YEAR, 12, 31)
                )

        async def sequential() -> None:
            async with database.session() as session:
                await compute_kpis(session, YEAR, concurrent=False)

        async def count() -> None:
            async with database.session() as session:
                result["count"] = (
                    await session.exec(sa.select(sa.func.count()).select_from(Answer.__table__))
                ).one()[0]

        summary_median, summary_times = await timed(summary, repeat)
        sequential_median, sequential_times = await timed(sequential, repeat)
        count_median, count_times = await timed(count, repeat)
        print(f"== {label}{' (after ANALYZE)' if analyze else ''}")
        print(
            f"   data: {counts['sites']:,} sites; {counts['submitted']:,} submitted checks "
            f"(+{counts['superseded']:,} superseded, {counts['draft']:,} drafts, "
            f"{counts['cancelled']:,} cancelled); {result['count']:,} answers; "
            f"loaded in {loaded:.1f} s"
        )
        print(
            f"   full summary:                median {summary_median * 1000:7.1f} ms  "
            f"(runs: {', '.join(f'{t * 1000:.0f}' for t in summary_times)} ms)"
        )
        print(
            f"   (indicators, one query after another: median "
            f"{sequential_median * 1000:.1f} ms; runs: "
            f"{', '.join(f'{t * 1000:.0f}' for t in sequential_times)} ms)"
        )
        print(
            f"   SELECT count(*) FROM answer: median {count_median * 1000:7.1f} ms  "
            f"(runs: {', '.join(f'{t * 1000:.0f}' for t in count_times)} ms)"
        )
        print(f"   ratio summary / count(*):    {summary_median / count_median:.2f}")
        verdict = "OK" if summary_median <= 0.5 else "TOO SLOW"
        print(f"   goal <= 500 ms: {verdict}")
        size = f"{counts['submitted']:,} checks, {label}"
        ms = f"{summary_median * 1000:.0f} ms"
        record("3", f"/summary queries ({size})", ms, "≤ 500 ms", summary_median <= 0.5)
        ratio = f"{summary_median / count_median:.1f}×"
        record("3", f"/summary ÷ SELECT count(*) ({label})", ratio)
        print("   " + result["summary"].text.replace("\n", "\n   "))
    finally:
        await database.dispose()


async def _main(args: argparse.Namespace) -> None:
    if args.url:
        label = "SQLite" if args.url.startswith("sqlite") else "PostgreSQL"
        await run(args.url, label, args.sites, args.checks, args.repeat, args.analyze)
        return
    if not args.postgres:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            await run(url, "SQLite", args.sites, args.checks, args.repeat, args.analyze)
        return
    import asyncpg

    name = f"fieldbot_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_ADMIN_DB)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = PG.format(user=PG_USER, host=PG_HOST, port=PG_PORT, name=name)
        await run(url, "PostgreSQL", args.sites, args.checks, args.repeat, args.analyze)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main(argv: list[str] | None = None) -> int:
    """Like the other benchmarks (tests.bench.run_all): 0 when it ran; a missed speed
    goal is printed, not an error."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.bench_summary", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--checks", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--analyze",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run ANALYZE (VACUUM ANALYZE on PostgreSQL) after loading; the default on "
        "PostgreSQL, whose autovacuum does it after a bulk load (the test server runs "
        "with autovacuum off); on SQLite the bot's sampled ANALYZE is run instead",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1,000 sites, 20,000 checks"
    )
    parser.add_argument(
        "--million", action="store_true", help="1,000,000 checks (loading takes minutes)"
    )
    parser.add_argument(
        "--url",
        help="this database instead of a new one, kept afterwards: loaded if empty, "
        "measured as it is otherwise (a million checks take ~10 minutes to load)",
    )
    args = parser.parse_args(argv)
    if args.analyze is None:
        args.analyze = args.postgres or bool(args.url and args.url.startswith("postgres"))
    if args.million:
        args.checks = 1_000_000
    if args.quick:
        args.sites, args.checks = 1_000, 20_000
    asyncio.run(_main(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
