"""No turn waits for a report: inspectors' reply times while an admin exports a year
of checks, against the same run without the export (issue 11, goal 0).

    python -m tests.bench.bench_contention [--checks 200000] [--inspectors 50] [--quick]
                                           [--postgres]

One database (SQLite in a temp dir, or a scratch PostgreSQL database) holds ``--checks``
submitted checks of the year; the real `fieldbot run` (a child process, rate limiter
off, as in bench_turns) serves it through the fake Telegram server. Phase "alone":
``--inspectors`` inspectors each file a full supermarket check at once. Phase "during
export": as many other inspectors do the same right after the admin sends
`/export 2026`; the export's workbook must still arrive. Figures: each phase's p50 and
p95 reply time, the ratio of the p95s (goal ≤ 1.5×), and how much of the inspectors'
phase the export overlapped (a ratio over a phase the export did not cover says little).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from storage.db import Database, upgrade
from tests.bench import bench_turns as turns
from tests.bench.bench_summary import YEAR, load
from tests.bench.common import (
    PG_ADMIN_URL,
    drop_postgres,
    percentile,
    quiet_logging,
    record,
    scratch_postgres,
    table,
)
from tests.bot_process import write_config
from tests.telegram_harness import ADMIN

GOAL_RATIO = 1.5


async def prepare(url: str, checks: int, inspectors: int) -> None:
    database = Database(url)
    try:
        await upgrade(database.engine)
        await load(database, sites=max(500, checks // 400), checks=checks)
    finally:
        await database.dispose()
    await turns.seed_inspectors(url, 2 * inspectors)  # one half per phase


async def inspectors_phase(tg, name: str, first: int, count: int, timeout: float):
    phase = turns.Phase(name)
    began = time.perf_counter()
    await asyncio.gather(
        *(
            turns.person(
                tg, phase, i, turns.FIRST_INSPECTOR + i - 1, turns.supermarket_steps(i), timeout
            )
            for i in range(first, first + count)
        )
    )
    phase.wall = time.perf_counter() - began
    return phase, began


async def export_arrives(tg, timeout: float) -> float:
    """The moment the admin's workbook reached the server."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for at, record_ in tg.mailboxes[ADMIN]:
            if record_.method == "sendDocument":
                return at
        await tg._wait_for_mail(ADMIN, min(5.0, deadline - time.perf_counter()))
    raise TimeoutError("the export never arrived")


async def run(url: str, label: str, folder: Path, args) -> tuple[turns.Phase, turns.Phase, dict]:
    await prepare(url, args.checks, args.inspectors)
    async with turns.CountingTelegram() as tg:
        config = write_config(
            folder / f"{label}.toml",
            url,
            folder / "media",
            telegram={
                "token": tg.token,
                "api_base_url": tg.api_base_url,
                "file_base_url": tg.file_base_url,
            },
        )
        child = turns.Child(f"bot-{label}", ["--config", str(config)], folder)
        await child.start(None)
        try:
            await asyncio.wait_for(tg.polling.wait(), 120)
            await asyncio.sleep(0.5)
            alone, _ = await inspectors_phase(tg, "alone", 1, args.inspectors, args.timeout)
            sent = time.perf_counter()
            tg.user_sends_text(ADMIN, f"/export {YEAR}", first_name="Trần Quản Trị")
            await asyncio.sleep(args.head_start)  # the export is under way
            during, began = await inspectors_phase(
                tg, "during export", args.inspectors + 1, args.inspectors, args.timeout
            )
            arrived = await export_arrives(tg, args.export_timeout)
        finally:
            await child.stop()
    ended = began + during.wall
    overlap = max(0.0, min(arrived, ended) - began) / during.wall if during.wall else 0.0
    return alone, during, {"export_s": arrived - sent, "overlap": overlap}


def report(label: str, alone: turns.Phase, during: turns.Phase, export: dict, args) -> bool:
    rows = [
        (
            p.name,
            p.answers,
            len(p.errors),
            percentile(p.latencies, 50) * 1000,
            percentile(p.latencies, 95) * 1000,
        )
        for p in (alone, during)
    ]
    print(
        f"\n{label}: {args.inspectors} inspectors per phase, {args.checks:,} checks in the "
        f"year; the export took {export['export_s']:.1f} s and covered "
        f"{export['overlap']:.0%} of the inspectors' phase"
    )
    print(table(["phase", "answers", "errors", "p50 ms", "p95 ms"], rows))
    ratio = percentile(during.latencies, 95) / percentile(alone.latencies, 95)
    met = ratio <= GOAL_RATIO
    print(f"p95 during the export ÷ alone: {ratio:.2f}× (goal ≤ {GOAL_RATIO}×)")
    where = f"{args.checks:,} checks, {args.inspectors} inspectors, {label}"
    record(
        "0",
        f"inspectors' p95 during an export ÷ without ({where})",
        f"{ratio:.2f}×",
        f"≤ {GOAL_RATIO}×",
        met,
    )
    for p in (alone, during):
        for error in p.errors[:3]:
            print(f"  {p.name} error: {error}")
    return not (alone.errors or during.errors)


async def main_async(args) -> bool:
    with tempfile.TemporaryDirectory(prefix="fieldbot-contention-") as tmp:
        folder = Path(tmp)
        if not args.postgres:
            url = f"sqlite+aiosqlite:///{folder / 'contention.db'}"
            return report("SQLite", *await run(url, "SQLite", folder, args), args)
        url = await scratch_postgres(args.postgresql)
        if url is None:
            print("PostgreSQL is not reachable: skipped")
            return True
        try:
            return report("PostgreSQL", *await run(url, "PostgreSQL", folder, args), args)
        finally:
            await drop_postgres(args.postgresql, url)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.bench_contention", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--checks", type=int, default=200_000)
    parser.add_argument("--inspectors", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="20,000 checks, 20 inspectors")
    parser.add_argument("--postgres", action="store_true", help="a scratch PostgreSQL database")
    parser.add_argument("--postgresql", metavar="ADMIN_URL", default=PG_ADMIN_URL)
    parser.add_argument("--head-start", type=float, default=0.5, help="seconds of export first")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per reply")
    parser.add_argument("--export-timeout", type=float, default=1800.0)
    args = parser.parse_args(argv)
    if args.quick:
        args.checks, args.inspectors = min(args.checks, 20_000), min(args.inspectors, 20)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_logging()
    return 0 if asyncio.run(main_async(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
