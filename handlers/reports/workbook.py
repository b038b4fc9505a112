"""/export: the Excel workbook of every submitted check, written as it streams.

One sheet per checklist (one row per submitted check, one column per question, also
questions removed from the checklist since), then "Cơ sở" (sites) and "Chỉ tiêu"
(indicators). The checks are read from the database a batch at a time and the
workbook is openpyxl's write-only kind, so memory stays flat whatever the year holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from handlers.catalog import keys, t
from handlers.checklist import Checklist, ChecklistRegistry
from handlers.reports.answers import answer_columns
from handlers.reports.cells import MOMENT, SheetWriter, sheet_title
from handlers.reports.figures import ReportSettings, year_figures
from handlers.reports.formatting import local_time
from handlers.reports.review_sheet import (
    ReviewData,
    history_sheet,
    review_data,
    rule_line,
    state_label,
)
from handlers.reports.workbook_sheets import indicators_sheet, sites_sheet
from handlers.targets import Indicator
from storage.kpis import (
    ChecklistOutline,
    CheckRow,
    export_outline,
    sites_with_activity,
    stream_checks,
)

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

# Runs read per round trip (each with its ten or so answers).
BATCH = 1000
_FIXED = ("rep_col_run", "rep_col_submitted", "rep_col_inspector", "rep_col_department")
_SITE = ("rep_col_site_code", "rep_col_site_name", "rep_col_site_kind", "rep_col_commune")


@dataclass
class ExportData:
    """What the writer needs; the checks themselves come from ``batches``."""

    year: int
    language: str
    timezone: ZoneInfo
    outline: dict[str, ChecklistOutline]
    sites: list[tuple[Any, int, Any]]
    indicators: list[Indicator]
    registry: ChecklistRegistry
    batches: Callable[[str], Iterator[list[CheckRow]]]
    # False (`export --no-personal`): no inspector's name, no location answers and no
    # site coordinates, for a workbook that leaves the Department (Law 91/2025/QH15).
    personal: bool = True
    # Review states, the answer history and the indicators' rule (review_sheet.py).
    review: ReviewData = field(default_factory=ReviewData)

    @property
    def checks(self) -> int:
        return sum(outline.checks for outline in self.outline.values())


def _batches_from_loop(loop, session: AsyncSession, scope) -> Callable:
    """For the writer's thread: one checklist's checks, each batch fetched by the
    event loop (which owns the session) while the thread waits."""

    def batches(checklist_id: str) -> Iterator[list[CheckRow]]:
        stream = stream_checks(session, scope, checklist_id, BATCH)
        try:
            while True:
                try:
                    yield asyncio.run_coroutine_threadsafe(anext(stream), loop).result()
                except StopAsyncIteration:
                    return
        finally:
            asyncio.run_coroutine_threadsafe(stream.aclose(), loop).result()

    return batches


async def export_xlsx(
    session: AsyncSession,
    year: int,
    path: Path,
    *,
    settings: ReportSettings | None = None,
    language: str = "vi",
    today: date | None = None,
    personal: bool = True,
    **filters: str | None,
) -> Path:
    """The workbook for a year (``filters``: department, commune, old_district),
    written in a worker thread while the event loop reads the checks."""
    settings = settings or ReportSettings()
    path, _checks = await write_export(
        session, year, Path(path), settings, language, today, personal=personal, **filters
    )
    return path


async def write_export(
    session: AsyncSession,
    year: int,
    path: Path,
    settings: ReportSettings,
    language: str,
    today: date | None,
    personal: bool = True,
    **filters: str | None,
) -> tuple[Path, int]:
    """The workbook and the number of checks in it."""
    scope = settings.scope(year, **filters)
    # One query after another: side by side, each on its own connection with its own
    # page cache, they raised the export's peak memory for half a second saved.
    figures = await year_figures(session, year, settings, today, concurrent=False, **filters)
    data = ExportData(
        year,
        language,
        settings.timezone,
        await export_outline(session, scope),
        await sites_with_activity(session, scope),
        figures.indicators,
        settings.registry(),
        _batches_from_loop(asyncio.get_running_loop(), session, scope),
        personal,
        await review_data(session, scope, settings.review_rule),
    )
    return await asyncio.to_thread(write_xlsx, data, path), data.checks


def write_xlsx(data: ExportData, path: Path) -> Path:
    """Writes the workbook (in a worker thread: ``data.batches`` waits on the loop)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    taken: set[str] = set()

    def new_sheet(title: str, headers: list[str], widths: list[int]) -> SheetWriter:
        return SheetWriter(workbook, sheet_title(title, taken), headers, widths)

    registry = data.registry
    # One sheet per checklist, in the registry's order, then unknown checklists.
    order = list(registry.by_id) + sorted(set(data.outline) - set(registry.by_id))
    for checklist_id in order:
        _checklist_sheet(new_sheet, data, checklist_id, registry.get(checklist_id))
    sites_sheet(data, new_sheet)
    indicators_sheet(data, new_sheet).append(rule_line(data.review, data.language))
    history_sheet(data, data.review, new_sheet)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def checklist_columns(
    checklist: Checklist | None, answered: frozenset[str]
) -> list[tuple[str, Any]]:
    """(question id, Question or None): the checklist's questions in order, then any
    question answered in these checks that the current file no longer has."""
    columns: list[tuple[str, Any]] = []
    if checklist is not None:
        columns = [(question.id, question) for question in checklist.questions]
    known = {question_id for question_id, _question in columns}
    return columns + [(question_id, None) for question_id in sorted(answered - known)]


def _checklist_sheet(new_sheet, data: ExportData, checklist_id: str, checklist) -> None:
    lang = data.language
    outline = data.outline.get(checklist_id, ChecklistOutline(0, False, frozenset()))
    if checklist is None and not outline.checks:
        return
    with_site = (checklist is not None and checklist.needs_site) or outline.with_site
    fixed = [*_FIXED, *(_SITE if with_site else ()), "rep_col_version"]
    columns = [
        column
        for question_id, question in checklist_columns(checklist, outline.questions)
        for column in answer_columns(question_id, question, lang)
    ]
    if not data.personal:
        fixed.remove("rep_col_inspector")
        columns = [column for column in columns if not column.location]
    headers = [t(lang, key) for key in fixed] + [c.header for c in columns]
    headers.append(t(lang, "rv_col_review"))
    widths = [9, 17, *([22] if data.personal else []), 10]
    widths += ([14, 32, 18, 22] if with_site else []) + [9]
    formats = {
        len(widths) + i: c.number_format for i, c in enumerate(columns, 1) if c.number_format
    }
    formats[2] = MOMENT
    sheet_key = f"rep_sheet_{checklist_id}"
    title = t(lang, sheet_key) if sheet_key in keys(lang) else checklist_id
    sheet = new_sheet(title, headers, widths + [c.width for c in columns] + [18])
    kinds = _KindLabels(lang) if with_site else None
    if outline.checks:
        for batch in data.batches(checklist_id):
            for check in batch:
                sheet.append(_check_values(data, check, kinds, columns), formats)
    sheet.filter_rows()


class _KindLabels(dict):
    """Site kind -> its label (the kind itself when the catalog has none), looked up
    once per kind rather than once per row."""

    def __init__(self, language: str):
        super().__init__()
        self.language, self.known = language, keys(language)

    def __missing__(self, kind: str | None) -> str | None:
        key = f"rep_kind_{kind}"
        self[kind] = t(self.language, key) if key in self.known else kind
        return self[kind]


def _check_values(data: ExportData, check: CheckRow, kinds, columns) -> list[Any]:
    lang = data.language
    submitted = local_time(check.submitted_at, data.timezone).replace(tzinfo=None)
    values: list[Any] = [check.run_id, submitted, check.inspector, check.department]
    if not data.personal:
        del values[2]
    if kinds is not None:
        values += [check.site_code, check.site_name, kinds[check.site_kind], check.site_commune]
    values.append(check.checklist_version)
    for column in columns:
        answer = check.answers.get(column.question_id)
        if not data.personal and _is_location(answer):
            answer = None  # a question removed since, whose answer was a place
        values.append(column.value(answer))
    values.append(state_label(data.review, check.run_id, lang))
    return values


def _is_location(answer: Any) -> bool:
    place = getattr(answer, "value_json", None)
    return isinstance(place, dict) and {"lat", "lon"} <= set(place)
