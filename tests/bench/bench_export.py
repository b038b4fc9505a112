"""Benchmark: `/export` (the streamed XLSX) of 200,000 submitted checks.

    python -m tests.bench.bench_export             # SQLite (a temporary file)
    python -m tests.bench.bench_export --postgres  # PostgreSQL on 127.0.0.1:5432

Rows are inserted in bulk (tests.bench.bench_summary.load), 10,000 sites. Each
measurement runs in its own process, so its peak RSS is its own:
* ours: handlers.reports.export_xlsx for the year (about half the checks), at the
  full size and at a tenth of it: time, rows/s, peak RSS (goal: flat, <= 150 MB);
* the floor: a plain streamed SELECT of the same rows (the runs of the year joined
  with their answers), read and dropped: rows/s of the database driver alone;
* the old way: every row fetched into memory first (fetchall), as the export did
  before it streamed: its peak RSS for comparison.
Not collected by pytest (norecursedirs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from tests.bench.bench_summary import PG, PG_ADMIN_DB, PG_HOST, PG_PORT, PG_USER, YEAR, load
from tests.bench.common import record

GOAL_RSS_MB = 150
# Flat memory and linear time: the full size against a tenth of it, within this much.
FLAT = 1.25


def _measure(mode: str, url: str, folder: str) -> dict:
    out = str(Path(folder) / f"{mode}-{uuid.uuid4().hex[:6]}.xlsx")
    command = [sys.executable, "-m", "tests.bench.export_child", mode, url, out, str(YEAR)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def _load(url: str, sites: int, checks: int) -> dict:
    from storage.db import Database, upgrade

    database = Database(url)
    await upgrade(database.engine)
    counts = await load(database, sites, checks)
    await database.dispose()
    return counts


def _report(label: str, checks: int, results: dict[str, dict]) -> None:
    ours, small, floor, old = (results[k] for k in ("export", "export_small", "select", "fetchall"))
    rate = ours["rows"] / ours["seconds"]
    floor_rate = floor["rows"] / floor["seconds"]
    print(f"== {label}: {checks:,} submitted checks loaded ({ours['rows']:,} in {YEAR})")
    print(
        f"   ours (streamed export):  {ours['seconds']:7.1f} s  {rate:9,.0f} checks/s  "
        f"peak RSS {ours['peak_mb']:6.0f} MB  file {ours['bytes'] / 1e6:.1f} MB"
    )
    print(
        f"   ours at a tenth:         {small['seconds']:7.1f} s  "
        f"{small['rows'] / small['seconds']:9,.0f} checks/s  peak RSS {small['peak_mb']:6.0f} MB"
    )
    print(
        f"   floor (streamed SELECT): {floor['seconds']:7.1f} s  {floor_rate:9,.0f} rows/s "
        f"({floor['rows']:,} run×answer rows)  peak RSS {floor['peak_mb']:6.0f} MB"
    )
    print(f"   old way (fetchall rows): {old['seconds']:7.1f} s  peak RSS {old['peak_mb']:6.0f} MB")
    print(
        f"   ratio time ours / SELECT: {ours['seconds'] / floor['seconds']:.1f}; "
        f"peak RSS full / tenth: {ours['peak_mb'] / small['peak_mb']:.2f}; "
        f"ours / fetchall: {ours['peak_mb'] / old['peak_mb']:.2f}"
    )
    verdict = "OK" if ours["peak_mb"] <= GOAL_RSS_MB else "TOO LARGE"
    print(f"   goal peak RSS <= {GOAL_RSS_MB} MB: {verdict}")
    size = f"{checks:,} checks, {label}"
    peak, flat = ours["peak_mb"], ours["peak_mb"] / small["peak_mb"]
    record(
        "2",
        f"export peak RSS ({size})",
        f"{peak:.0f} MB",
        f"≤ {GOAL_RSS_MB} MB",
        peak <= GOAL_RSS_MB,
    )
    record(
        "2",
        f"export peak RSS full ÷ a tenth ({label})",
        f"{flat:.2f}×",
        f"≤ {FLAT:g}× (flat)",
        flat <= FLAT,
    )
    per_row_full = ours["seconds"] / max(ours["rows"], 1)
    per_row_small = small["seconds"] / max(small["rows"], 1)
    linear = per_row_full / per_row_small
    record(
        "2",
        f"export time per check full ÷ a tenth ({label})",
        f"{linear:.2f}×",
        f"≤ {FLAT:g}× (linear)",
        linear <= FLAT,
    )
    slower = ours["seconds"] / floor["seconds"]
    record("2", f"export time ÷ a streamed SELECT of its rows ({label})", f"{slower:.1f}×")


async def _databases(args, folder: str):
    """(label, url at full size, url at a tenth, cleanup)."""
    if not args.postgres:
        full = f"sqlite+aiosqlite:///{Path(folder) / 'full.db'}"
        small = f"sqlite+aiosqlite:///{Path(folder) / 'small.db'}"
        return "SQLite", full, small, None
    import asyncpg

    names = [f"fieldbot_bench_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    admin = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_ADMIN_DB)
    for name in names:
        await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()

    async def cleanup():
        admin = await asyncpg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_ADMIN_DB
        )
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    urls = [PG.format(user=PG_USER, host=PG_HOST, port=PG_PORT, name=name) for name in names]
    return "PostgreSQL", urls[0], urls[1], cleanup


async def _main(args) -> None:
    with tempfile.TemporaryDirectory() as folder:
        label, full, small, cleanup = await _databases(args, folder)
        try:
            began = time.perf_counter()
            await _load(full, args.sites, args.checks)
            await _load(small, args.sites, args.checks // 10)
            print(f"   (loaded in {time.perf_counter() - began:.0f} s)", flush=True)
            results = {mode: _measure(mode, full, folder) for mode in ("export", "select")}
            results["fetchall"] = _measure("fetchall", full, folder)
            results["export_small"] = _measure("export", small, folder)
            _report(label, args.checks, results)
        finally:
            if cleanup is not None:
                await cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.bench_export", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--checks", type=int, default=200_000)
    parser.add_argument("--quick", action="store_true", help="smoke run: 20,000 checks")
    args = parser.parse_args(argv)
    if args.quick:
        args.sites, args.checks = 1_000, 20_000
    asyncio.run(_main(args))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
