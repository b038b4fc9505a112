"""An admin's /summary, /export and /report, read and built in a process of its own.

Building a workbook of 200,000 checks or a report is CPU work. In a thread it still
holds this process's GIL for most of every switch interval, and the inspectors' turns
on the event loop wait behind it (issue 11, goal 0: measured 3.25× their p95 during an
export of 20,000 checks). A spawned worker process has its own interpreter: on a
machine with a second core the turns do not notice it. One worker, kept for the next
report (its imports cost a second or two once); if it dies, the next report starts
another.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import reports
from handlers.catalog import t
from handlers.messages import Reply
from storage.db import Database
from storage.models import Person

log = logging.getLogger(__name__)

_executor: ProcessPoolExecutor | None = None
_warmed = False


def refusal(
    person: Person,
    command: str,
    argument: str,
    can_receive_files: bool,
    settings: reports.ReportSettings,
) -> list[Reply] | None:
    """What refuses the request before anything is read: a file for a channel that
    cannot take one, a role not allowed, a year not understood."""
    if command != "/summary" and not can_receive_files:
        key = "files_elsewhere" if person.role == "admin" else "admins_only"
        return [Reply(t(person.language, key))]
    return reports.refusal(person, command, argument, settings)


async def run_report(
    session: AsyncSession,
    person: Person,
    command: str,
    argument: str,
    can_receive_files: bool,
    settings: reports.ReportSettings,
) -> list[Reply]:
    """/summary, /export, /report: handlers.reports decides who may see what."""
    refused = refusal(person, command, argument, can_receive_files, settings)
    if refused is not None:
        return refused
    build = {
        "/summary": reports.summary_command,
        "/export": reports.export_command,
        "/report": reports.report_command,
    }[command]
    return await build(session, person, argument, settings)


async def read_report(
    url: str,
    settings: reports.ReportSettings,
    person_id: int,
    command: str,
    argument: str,
    can_receive_files: bool,
) -> list[Reply]:
    """With its own connections, read-only (SQLite's query_only, PostgreSQL's READ ONLY
    transaction), so nothing here can write by mistake."""
    # Its own small pool: the indicator queries run side by side on a few connections.
    database = Database(url, pool_size=4, max_overflow=0)
    try:
        async with database.session() as session:
            sql = "PRAGMA query_only = ON" if database.is_sqlite else "SET TRANSACTION READ ONLY"
            await (await session.connection()).exec_driver_sql(sql)
            person = await session.get(Person, person_id)
            return await run_report(session, person, command, argument, can_receive_files, settings)
    finally:
        await database.dispose()


def _prepare_worker() -> None:
    """The worker's imports, done when it starts rather than at the first report. (A
    lower priority for the worker was tried: on a machine busy with other work, a
    test run for one, a niced report starved and took minutes.)"""
    import matplotlib  # noqa: F401 - the chart
    import openpyxl  # noqa: F401 - the export

    import handlers.reports.chart  # noqa: F401


def _in_worker(*job) -> list[Reply]:
    return asyncio.run(read_report(*job))


def _pool() -> ProcessPoolExecutor:
    global _executor
    if _executor is None:
        # spawn, not fork: the parent's event loop, connections and threads stay behind.
        context = multiprocessing.get_context("spawn")
        _executor = ProcessPoolExecutor(
            max_workers=1, mp_context=context, initializer=_prepare_worker
        )
    return _executor


async def read_report_elsewhere(
    url: str,
    settings: reports.ReportSettings,
    person_id: int,
    command: str,
    argument: str,
    can_receive_files: bool,
) -> list[Reply]:
    """``read_report`` in the worker process; the caller's loop only waits."""
    global _executor
    job = (url, settings, person_id, command, argument, can_receive_files)
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(_pool(), _in_worker, *job)
    except BrokenProcessPool:
        log.warning("the report worker process died; starting another")
        _executor = None
        return await loop.run_in_executor(_pool(), _in_worker, *job)


def warm_up() -> None:
    """Starts the worker and its imports now, in the background, so that the first
    report (even a usage line for a wrong argument) does not wait seconds for them."""
    global _warmed
    if not _warmed:
        _warmed = True
        _pool().submit(int)  # starts the process; its initializer imports


def shutdown() -> None:
    """At the bot's exit (tests start and stop many bots in one process)."""
    global _executor, _warmed
    if _executor is not None:
        _executor.shutdown(wait=False, cancel_futures=True)
        _executor, _warmed = None, False
