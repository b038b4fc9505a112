"""Benchmark: the annual report DOCX (/report) on 10,000 sites (issue 11 goal 5b).

    python -m tests.bench.bench_report             # 10,000 sites, 50,000 checks
    python -m tests.bench.bench_report --quick     # 1,000 sites, 5,000 checks

The data are tests.bench.bench_summary's (bulk inserts into a temporary SQLite
file). Ours: report_docx end to end (figures, the annex queries, the document
built and saved). Baseline, from the same run: python-docx's own table API
(add_row + cell.text, what the report used before) filling the same annex rows;
it rescans the table for every row, so it is timed on the first BASELINE_ROWS
rows only and the ratio compares time per row. Goal: the report <= 30 s.
Not collected by pytest (norecursedirs).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from handlers.reports import ReportSettings, report_docx
from handlers.reports.annual_sections import _annex_table
from storage import kpis as kpi
from storage.db import Database, upgrade
from tests.bench.bench_summary import YEAR, load
from tests.bench.common import record

GOAL_SECONDS = 30.0
BASELINE_ROWS = 1_000


def _baseline(rows: list[list[str]], headers: list[str]) -> float:
    """python-docx's table API on ``rows`` (the old way): seconds."""
    from docx import Document
    from docx.shared import Pt

    began = time.perf_counter()
    document = Document()
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(header).bold = True
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(value).font.size = Pt(8)
    document.save(str(Path(tempfile.mkdtemp()) / "baseline.docx"))
    return time.perf_counter() - began


async def _annex_rows(database: Database, settings: ReportSettings) -> list[list[str]]:
    """The supermarket annex's rows as the report writes them (captured)."""
    from handlers.reports import docx_layout

    async with database.session() as session:
        scope = settings.scope(YEAR)
        shops = await kpi.latest_checks(session, scope, kpi.SUPERMARKET, kpi.RETAIL_KINDS)
    captured: dict[str, list] = {}

    def capture(document, headers, rows, *args, **kwargs):
        captured["headers"], captured["rows"] = list(headers), [list(r) for r in rows]

    class Draft:  # just what _annex_table reads
        language = "vi"

    draft = Draft()
    draft.settings = settings
    draft.t = lambda key, **values: key
    draft.paragraph = lambda *a, **k: None
    original, docx_layout.table = docx_layout.table, capture
    try:
        _annex_table(draft, None, kpi.SUPERMARKET, shops)
    finally:
        docx_layout.table = original
    return captured["headers"], captured["rows"]


async def run(sites: int, checks: int) -> int:
    folder = Path(tempfile.mkdtemp(prefix="bench-report-"))
    database = Database(f"sqlite+aiosqlite:///{folder / 'bench.sqlite'}")
    await upgrade(database.engine)
    counts = await load(database, sites, checks)
    print(f"data: {counts['sites']:,} sites, {counts['submitted']:,} submitted checks")
    settings = ReportSettings(out_dir=folder)
    began, cpu = time.perf_counter(), time.process_time()
    async with database.session() as session:
        path = await report_docx(
            session, YEAR, folder / "report.docx", settings=settings, today=date(YEAR, 12, 31)
        )
    ours, ours_cpu = time.perf_counter() - began, time.process_time() - cpu
    headers, rows = await _annex_rows(database, settings)
    await database.dispose()
    sample = rows[:BASELINE_ROWS]
    cpu = time.process_time()
    baseline = await asyncio.to_thread(_baseline, sample, headers)
    baseline_cpu = time.process_time() - cpu
    rows_n, sample_n = max(len(rows), 1), max(len(sample), 1)
    print(
        f"ours: report_docx {ours:.1f} s, CPU {ours_cpu:.1f} s ({len(rows):,} annex 2 rows,"
        f" {path.stat().st_size:,} bytes; CPU below wall time is the machine's other load)"
    )
    print(
        f"baseline: python-docx table API, {len(sample):,} rows: {baseline:.1f} s,"
        f" CPU {baseline_cpu:.1f} s"
    )
    ours_row, base_row = ours_cpu / rows_n * 1000, baseline_cpu / sample_n * 1000
    wall_ratio = (baseline / sample_n) / (ours / rows_n)
    print(
        f"per row: ours (whole report) {ours_row:.2f} ms CPU, baseline (table only)"
        f" {base_row:.2f} ms CPU; ratio baseline/ours {base_row / ours_row:.1f}x"
        f" (wall: {wall_ratio:.1f}x)"
    )
    met = ours <= GOAL_SECONDS
    print(f"goal: report <= {GOAL_SECONDS:.0f} s on {sites:,} sites: {'met' if met else 'MISSED'}")
    what = f"annual report DOCX ({sites:,} sites)"
    record("5b", what, f"{ours:.1f} s", f"≤ {GOAL_SECONDS:.0f} s", met)
    record(
        "5b",
        "annex rows: python-docx table API ÷ ours (CPU per row)",
        f"{base_row / ours_row:.1f}×",
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.bench_report", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="1,000 sites, 5,000 checks")
    args = parser.parse_args(argv)
    sites, checks = (1_000, 5_000) if args.quick else (10_000, 50_000)
    return asyncio.run(run(sites, checks))


if __name__ == "__main__":
    sys.exit(main())
