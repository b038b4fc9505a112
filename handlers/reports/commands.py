"""/summary, /export and /report as chat commands: who may ask, which year, and the
replies (text, a chart, a file). The engine and the command line call these."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from handlers.catalog import t
from handlers.messages import Reply
from handlers.reports.annual_report import report_docx
from handlers.reports.chart import summary_chart
from handlers.reports.figures import ReportSettings
from handlers.reports.formatting import count_text
from handlers.reports.summary import build_summary
from handlers.reports.workbook import write_export
from storage.kpis import START_YEAR

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from storage.models import Person

# Files older than this in the output folder are removed when a new one is made.
_KEEP_FILES_SECONDS = 24 * 3600


def parse_year(argument: str, today: date, first: int = START_YEAR) -> int | None:
    """'' -> this year; '2025' -> 2025; anything else or out of range -> None."""
    argument = argument.strip()
    if not argument:
        return today.year
    # ASCII digits only: "²".isdigit() is true and int("²") fails; 4 digits at most.
    if re.fullmatch(r"[0-9]{4}", argument) and first <= int(argument) <= today.year + 1:
        return int(argument)
    return None


def _usage(language: str, command: str, today: date, first: int) -> list[Reply]:
    last = today.year + 1
    text = t(
        language, "rep_usage_year", command=command, example=today.year, first=first, last=last
    )
    return [Reply(text)]


def fresh_path(out_dir: Path, file_name: str) -> Path:
    """A new file path in its own folder under out_dir; folders older than a day go."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - _KEEP_FILES_SECONDS
    for old in out_dir.iterdir():
        try:
            if old.is_dir() and old.stat().st_mtime < cutoff:
                for item in old.iterdir():
                    item.unlink()
                old.rmdir()
        except OSError:  # another process cleaning at the same time: leave it
            pass
    folder = out_dir / uuid.uuid4().hex
    folder.mkdir()
    return folder / file_name


def _year_for(
    person: Person, argument: str, settings: ReportSettings, today: date, command: str
) -> int | list[Reply]:
    """The year asked for, or the replies refusing the request: /summary is for
    admins and heads, the files for admins only."""
    lang = person.language
    allowed = ("admin", "head") if command == "/summary" else ("admin",)
    if person.role not in allowed:
        return [Reply(t(lang, "rep_refused_head" if person.role == "head" else "rep_refused"))]
    year = parse_year(argument, today, settings.targets.start_year)
    if year is None:
        return _usage(lang, command, today, settings.targets.start_year)
    return year


def refusal(
    person: Person, command: str, argument: str, settings: ReportSettings
) -> list[Reply] | None:
    """The replies refusing the request (a role not allowed, a year not understood), or
    None: read before any report is built, in the bot's own process."""
    year = _year_for(person, argument, settings, settings.today(), command)
    return year if isinstance(year, list) else None


async def summary_command(
    session: AsyncSession,
    person: Person,
    argument: str,
    settings: ReportSettings,
    today: date | None = None,
) -> list[Reply]:
    """/summary [year]: admins see the province, heads their own department,
    inspectors are refused. The text comes first, then the chart as a picture."""
    lang = person.language
    today = today or settings.today()
    year = _year_for(person, argument, settings, today, "/summary")
    if isinstance(year, list):
        return year
    department = person.department_code if person.role == "head" else None
    summary = await build_summary(session, year, lang, department, settings=settings, today=today)
    chart = fresh_path(settings.out_dir, f"summary-{year}.png")
    await asyncio.to_thread(
        summary_chart, summary.kpis, settings.targets, chart, language=lang, as_of=summary.as_of
    )
    # The channel splits a text longer than its limit.
    return [
        Reply(summary.text),
        Reply(t(lang, "rep_chart_caption", year=year), picture=chart),
    ]


def _file_command(command: str, name: str, make, doc: str):
    """/export and /report: the year, then ``make(session, person, settings, year,
    path, today)`` -> (path, caption); the file goes back as a document."""

    async def file_command(
        session: AsyncSession,
        person: Person,
        argument: str,
        settings: ReportSettings,
        today: date | None = None,
    ) -> list[Reply]:
        today = today or settings.today()
        year = _year_for(person, argument, settings, today, command)
        if isinstance(year, list):
            return year
        file_name = name.format(year=year)
        path = fresh_path(settings.out_dir, file_name)
        path, caption = await make(session, person, settings, year, path, today)
        return [Reply(caption, file=path, file_name=file_name)]

    file_command.__doc__ = doc
    return file_command


async def _export(session, person: Person, settings, year: int, path: Path, today: date):
    path, checks = await write_export(session, year, path, settings, "vi", today)
    count = count_text(checks, person.language)
    return path, t(person.language, "rep_export_caption", year=year, count=count)


async def _report(session, person: Person, settings, year: int, path: Path, today: date):
    path = await report_docx(session, year, path, settings=settings, today=today)
    return path, t(person.language, "rep_report_caption", year=year)


export_command = _file_command(
    "/export", "SXTDBV-{year}.xlsx", _export, "/export [year]: admins only; an XLSX document."
)
report_command = _file_command(
    "/report",
    "Bao-cao-SXTDBV-{year}.docx",
    _report,
    "/report [year]: admins only; a DOCX draft of the annual report.",
)
