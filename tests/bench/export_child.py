"""One measurement of tests.bench.bench_export, in a process of its own:

    python -m tests.bench.export_child MODE URL OUT YEAR   # prints one JSON line

It imports what `fieldbot export` needs and nothing of the benchmark's own (the fake
Telegram server, aiohttp: 10-20 MB of RSS that are not the export's). MODE: "export"
(handlers.reports.export_xlsx), "select" (the rows streamed and dropped) or
"fetchall" (the rows in memory at once, as the export did before it streamed).
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import sys
import time
from pathlib import Path

import sqlalchemy as sa


def peak_mb() -> float:
    """This process's own peak RSS. Not getrusage's ru_maxrss: Linux carries the
    high-water mark of the memory an exec replaces into it, and subprocess starts
    the child with vfork, so ru_maxrss began at the parent's RSS (the loaded rows:
    164 MB for every mode alike at --quick). VmHWM belongs to the current image."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:  # not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) / 1024


def _year_rows_statement(scope):
    from storage.kpis.rows import checks_joined, in_scope
    from storage.kpis.scope import answer_t, run_t

    joined = checks_joined().outerjoin(answer_t, answer_t.c.run_id == run_t.c.id)
    return (
        sa.select(run_t.c.id, answer_t.c.question_id, answer_t.c.value_text)
        .select_from(joined)
        .where(*in_scope(scope))
    )


def _count_statement(scope):
    from storage.kpis.scope import run_t, submitted

    return (
        sa.select(sa.func.count())
        .select_from(run_t)
        .where(*submitted(None, scope.start, scope.end))
    )


async def measure(mode: str, url: str, out: str, year: int) -> dict:
    from handlers.reports import ReportSettings, export_xlsx
    from storage.db import Database

    database = Database(url)
    settings = ReportSettings(out_dir=Path(out).parent)
    began = time.perf_counter()
    rows = 0
    async with database.session() as session:
        if mode == "export":
            await export_xlsx(session, year, Path(out), settings=settings)
            rows = (await session.exec(_count_statement(settings.scope(year)))).one()[0]
        else:
            statement = _year_rows_statement(settings.scope(year))
            if mode == "select":
                result = await session.stream(statement.execution_options(yield_per=10_000))
                async for partition in result.partitions():
                    rows += len(partition)
            else:  # "fetchall": everything in memory at once
                rows = len((await session.exec(statement)).all())
    seconds = time.perf_counter() - began
    await database.dispose()
    size = Path(out).stat().st_size if mode == "export" else 0
    return {"seconds": seconds, "rows": rows, "peak_mb": peak_mb(), "bytes": size}


if __name__ == "__main__":
    mode, url, out, year = sys.argv[1:5]
    print(json.dumps(asyncio.run(measure(mode, url, out, int(year)))))
