"""/summary, /export and /report: the indicators as a short message and a chart, an
Excel workbook of every submitted check, and a Word draft of the annual report.

No messenger code here: the engine (and the command line) call these functions and
send what they return. The numbers come from storage.kpis; the texts from the
catalog (handlers/locales/reports_<lang>.toml). matplotlib, openpyxl and python-docx
are imported only when a chart or file is made, so start-up stays quick.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from handlers.catalog import keys, t
from handlers.checklist import Checklist, ChecklistRegistry, Question
from handlers.messages import Reply
from handlers.question_types import QUESTION_TYPES, format_number
from storage import kpis as kpi
from storage.kpis import (
    LOCAL_TZ,
    Indicator,
    Kpis,
    Scope,
    Status,
    Target,
    Targets,
    as_of_date,
    compute_kpis,
    evaluate,
    percent_text,
)

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from storage.models import Person

SIGNS = {
    Status.MET: "✅",
    Status.ON_TRACK: "🟡",
    Status.BEHIND: "🔴",
    Status.NO_DATA: "⚪",
    Status.NO_TARGET: "▫️",
}
# Questions left out of the annex tables (they are in the Excel export).
_ANNEX_SKIPPED_TYPES = ("photo", "location")
_ANNEX_SKIPPED_IDS = ("note",)
# Files older than this in the output folder are removed when a new one is made.
_KEEP_FILES_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ReportSettings:
    """What the report functions need besides the database session."""

    timezone: ZoneInfo = LOCAL_TZ
    # Where /summary charts, /export workbooks and /report drafts are written.
    out_dir: Path = Path("media") / "reports"
    targets: Targets = field(default_factory=Targets)
    checklists: ChecklistRegistry | None = None

    def registry(self) -> ChecklistRegistry:
        return self.checklists or _default_registry()


_registry: ChecklistRegistry | None = None


def _default_registry() -> ChecklistRegistry:
    global _registry
    if _registry is None:
        _registry = ChecklistRegistry.load()
    return _registry


def _today(settings: ReportSettings) -> date:
    return datetime.now(settings.timezone).date()


def _scope(year: int, settings: ReportSettings, **filters: str | None) -> Scope:
    return Scope(
        year=year,
        timezone=settings.timezone,
        start_year=settings.targets.start_year,
        **{k: v or None for k, v in filters.items()},
    )


# --- formatting -----------------------------------------------------------------


def day_text(value: date | datetime) -> str:
    return value.strftime("%d/%m/%Y")


def count_text(value: float | int | None, language: str) -> str:
    return "—" if value is None else format_number(value, language)


def target_text(target: Target | None, kind: str, language: str) -> str:
    """70% / 1–2 / 0, Vietnamese style for vi."""
    if target is None:
        return "—"
    if kind == "ratio":
        low = percent_text(target.value, language)
        return low if target.high is None else f"{low[:-1]}–{percent_text(target.high, language)}"
    low = count_text(target.value, language)
    return low if target.high is None else f"{low}–{count_text(target.high, language)}"


def value_text(indicator: Indicator, language: str, by_place: bool = False) -> str:
    """An indicator's result as shown in the summary and the report."""
    if indicator.kind == "ratio":
        ratio = indicator.ratio
        return t(
            language,
            "rep_value_ratio",
            numerator=count_text(ratio.numerator, language),
            denominator=count_text(ratio.denominator, language),
            percent=percent_text(ratio.value, language),
        )
    if indicator.value is None:
        key = "rep_value_not_by_place" if by_place else "rep_value_none"
        return t(language, key)
    n = {name: count_text(v, language) for name, v in indicator.extra.items()}
    if indicator.id == "k2":
        return t(language, "rep_value_k2", applied=count_text(indicator.value, language), **n)
    if indicator.id == "k5":
        return t(language, "rep_value_k5", sites=count_text(indicator.value, language), **n)
    if indicator.id == "k7":
        return t(
            language,
            "rep_value_k7",
            events=count_text(indicator.value, language),
            products=n["products"],
        )
    return t(language, f"rep_value_{indicator.id}", count=count_text(indicator.value, language))


def detail_text(indicator: Indicator, language: str) -> str:
    key = f"rep_detail_{indicator.id}"
    if key not in keys(language) or any(v is None for v in indicator.extra.values()):
        return ""
    return t(language, key, **{k: count_text(v, language) for k, v in indicator.extra.items()})


# --- the summary -------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    text: str
    kpis: Kpis
    indicators: list[Indicator]
    as_of: date


async def build_summary(
    session: AsyncSession,
    year: int,
    language: str,
    department: str | None = None,
    commune: str | None = None,
    *,
    old_district: str | None = None,
    settings: ReportSettings | None = None,
    today: date | None = None,
) -> Summary:
    """The figures and the short message (one phone screen) of ``summary_text``."""
    settings = settings or ReportSettings()
    figures = await compute_kpis(
        session,
        year,
        department=department,
        commune=commune,
        old_district=old_district,
        timezone=settings.timezone,
        start_year=settings.targets.start_year,
    )
    as_of = as_of_date(year, today or _today(settings))
    indicators = evaluate(figures, settings.targets, as_of)
    return Summary(_summary_lines(figures, indicators, as_of, language), figures, indicators, as_of)


def _scope_text(scope: Scope, language: str) -> str:
    parts = []
    if scope.commune:
        parts.append(scope.commune)
    if scope.old_district:
        parts.append(scope.old_district)
    if scope.department:
        parts.append(t(language, "rep_scope_department", department=scope.department))
    return ", ".join(parts) or t(language, "rep_scope_all")


def _summary_lines(figures: Kpis, indicators: list[Indicator], as_of: date, lang: str) -> str:
    scope = figures.scope
    lines = [
        t(lang, "rep_summary_title", year=scope.year, scope=_scope_text(scope, lang)),
        t(lang, "rep_as_of", date=day_text(as_of)),
    ]
    for indicator in indicators:
        sign = SIGNS[indicator.status]
        label = t(lang, f"rep_label_{indicator.id}")
        shown = value_text(indicator, lang, by_place=scope.has_place)
        if indicator.target is not None:
            lines.append(
                t(
                    lang,
                    "rep_line_target",
                    sign=sign,
                    label=label,
                    value=shown,
                    target=target_text(indicator.target, indicator.kind, lang),
                    year=indicator.target.year,
                )
            )
        else:
            lines.append(t(lang, "rep_line", sign=sign, label=label, value=shown))
    lines.append(_never_checked_line(figures, lang))
    lines.append(t(lang, "rep_checks", year=scope.year, count=count_text(figures.checks, lang)))
    lines += _report_lines(figures, lang)
    lines.append(t(lang, "rep_legend"))
    return "\n".join(lines)


def _never_checked_line(figures: Kpis, lang: str, shown: int = 3) -> str:
    never = figures.never_checked
    if not never:
        return t(lang, "rep_never_checked_none")
    names = ", ".join(site.name for site in never[:shown])
    if len(never) > shown:
        names = t(lang, "rep_never_checked_more", names=names, more=len(never) - shown)
    return t(lang, "rep_never_checked", count=len(never), names=names)


def _report_groups(figures: Kpis) -> list[list[kpi.ReportStatus]]:
    groups: dict[int, list[kpi.ReportStatus]] = {}
    for report in figures.reports:
        groups.setdefault(report.deadline_id, []).append(report)
    return list(groups.values())


def _report_lines(figures: Kpis, lang: str) -> list[str]:
    groups = _report_groups(figures)
    if not groups:
        return [t(lang, "rep_reports_none", year=figures.scope.year)]
    lines = []
    for group in groups:
        done = [r.department_code for r in group if r.confirmed]
        pending = [r.department_code for r in group if not r.confirmed]
        lines.append(
            t(lang, "rep_reports", due=day_text(group[0].due), done=len(done), total=len(group))
        )
        if pending:
            lines.append(t(lang, "rep_reports_pending", departments=", ".join(pending)))
    return lines


async def summary_text(
    session: AsyncSession,
    year: int,
    language: str,
    department: str | None = None,
    commune: str | None = None,
    *,
    old_district: str | None = None,
    settings: ReportSettings | None = None,
    today: date | None = None,
) -> str:
    """The short message: each indicator with value, target and status sign, sites
    never checked, checks this year, annual-report confirmations."""
    summary = await build_summary(
        session,
        year,
        language,
        department,
        commune,
        old_district=old_district,
        settings=settings,
        today=today,
    )
    return summary.text


# --- the chart ---------------------------------------------------------------------

_STATUS_COLOURS = {
    Status.MET: "#2e7d32",
    Status.ON_TRACK: "#f9a825",
    Status.BEHIND: "#c62828",
    Status.NO_DATA: "#9e9e9e",
    Status.NO_TARGET: "#1565c0",
}


def summary_chart(
    kpis: Kpis,
    targets: Targets,
    path: Path,
    *,
    language: str = "vi",
    as_of: date | None = None,
) -> Path:
    """A PNG bar chart of K1, K3 and coverage against their targets and trajectory.

    Headless: the Agg backend is chosen explicitly, and pyplot (global state, not
    thread-safe) is not used at all, so this may run in a worker thread.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    as_of = as_of or date(kpis.scope.year, 12, 31)
    by_id = {indicator.id: indicator for indicator in evaluate(kpis, targets, as_of)}
    shown = [by_id["k1"], by_id["k3"], by_id["coverage"]]
    figure = Figure(figsize=(7.0, 4.2), dpi=120)
    axes = figure.subplots()
    positions = list(range(len(shown)))
    heights = [(indicator.value or 0.0) * 100 for indicator in shown]
    bars = axes.bar(
        positions,
        heights,
        width=0.55,
        color=[_STATUS_COLOURS[indicator.status] for indicator in shown],
        label=t(language, "rep_chart_result"),
    )
    axes.bar_label(bars, labels=[percent_text(i.value, language) for i in shown], padding=3)
    target_labelled = expected_labelled = False
    for x, indicator in zip(positions, shown, strict=True):
        if indicator.target is not None:
            label = None
            if not target_labelled:
                label, target_labelled = t(language, "rep_chart_target"), True
            axes.hlines(
                indicator.target.value * 100,
                x - 0.38,
                x + 0.38,
                colors="black",
                linewidth=2.5,
                label=label,
            )
            axes.annotate(
                f"{target_text(indicator.target, 'ratio', language)} ({indicator.target.year})",
                (x + 0.4, indicator.target.value * 100),
                va="center",
                fontsize=8,
            )
        if (
            indicator.expected is not None
            and indicator.status != Status.NO_DATA
            and indicator.target is not None
            and abs(indicator.expected - indicator.target.value) > 0.005
        ):
            label = None
            if not expected_labelled:
                label = t(language, "rep_chart_expected", date=day_text(as_of))
                expected_labelled = True
            axes.hlines(
                indicator.expected * 100,
                x - 0.38,
                x + 0.38,
                colors="#555555",
                linestyles="dashed",
                linewidth=1.5,
                label=label,
            )
    axes.set_xticks(positions, [t(language, f"rep_chart_{i.id}") for i in shown])
    axes.set_ylim(0, 115)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: percent_text(v / 100, language)))
    axes.set_title(t(language, "rep_chart_title", year=kpis.scope.year))
    axes.legend(loc="upper left", fontsize=8, frameon=False, ncols=3)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


# --- text safe for a file -----------------------------------------------------------------

# What XML 1.0 (so .xlsx and .docx) cannot hold: C0 control characters other than tab,
# line feed and carriage return, lone surrogates, U+FFFE and U+FFFF. Old rows may hold
# them (a note pasted with a bell or a unit separator); openpyxl and python-docx refuse
# them and the whole year's export would fail. Word's manual line break (\x0b) and a
# form feed become a line break; the others are dropped.
_LINE_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})
_NOT_XML = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel's limit for the text of one cell.
EXCEL_CELL_CHARACTERS = 32767
# A text starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def file_text(text: str) -> str:
    """``text`` without the characters a workbook or a Word file cannot hold."""
    return _NOT_XML.sub("", text.translate(_LINE_BREAKS))


def _set_cell(cell, value: Any) -> None:
    """Writes ``value`` into an openpyxl cell: numbers and dates as they are, every text
    as a text cell (never a formula, whatever it starts with), cleaned and within
    Excel's limit."""
    if not isinstance(value, str):
        cell.value = value
        return
    text = file_text(value)
    if len(text) > EXCEL_CELL_CHARACTERS:
        text = text[: EXCEL_CELL_CHARACTERS - 1] + "…"
    cell.value = text
    cell.data_type = "s"  # openpyxl makes "=…" a formula; a shared string is only text
    if text.startswith(_FORMULA_STARTS):
        # Excel's leading apostrophe: the cell stays text when someone edits it.
        cell.quotePrefix = True


def _write_row(worksheet, row_number: int, values: list[Any]) -> None:
    for column, value in enumerate(values, start=1):
        _set_cell(worksheet.cell(row=row_number, column=column), value)


# --- answers as cells and text ---------------------------------------------------------


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _option_label(question: Question, code: str, language: str) -> str:
    option = question.option(code)
    return (option.label.get(language) or option.label["vi"]) if option else code


def answer_value(question: Question | None, answer: Any, language: str = "vi") -> Any:
    """An answer as an Excel cell value: labels for choices, numbers as numbers,
    dates as dates, photo file names. Without a question definition (removed from
    the checklist since) the stored column decides."""
    if answer is None:
        return None
    if question is None:
        if answer.value_date is not None:
            return answer.value_date
        if answer.value_number is not None:
            return _number(answer.value_number)
        if isinstance(answer.value_json, list):
            return "; ".join(str(item) for item in answer.value_json)
        if isinstance(answer.value_json, dict) and {"lat", "lon"} <= set(answer.value_json):
            return f"{answer.value_json['lat']:.5f}, {answer.value_json['lon']:.5f}"
        if answer.value_json is not None:
            return str(answer.value_json)
        return answer.value_text
    kind = question.type
    if kind in ("yes_no", "yes_no_unknown"):
        code = answer.value_text
        return t(language, f"answer_{code}") if code in ("yes", "no", "unknown") else code
    if kind == "select_one":
        return _option_label(question, answer.value_text, language) if answer.value_text else None
    if kind == "select_multiple":
        codes = answer.value_json if isinstance(answer.value_json, list) else []
        # "; ": an option's label may hold a comma ("Túi vải, dùng nhiều lần").
        return "; ".join(_option_label(question, code, language) for code in codes) or None
    if kind in ("integer", "decimal", "percent"):
        return _number(answer.value_number)
    if kind == "date":
        return answer.value_date
    if kind == "photo":
        return Path(answer.value_text).name if answer.value_text else None
    if kind == "location":
        return QUESTION_TYPES[kind].display(question, answer, language) or None
    return answer.value_text


def answer_text(question: Question | None, answer: Any, language: str = "vi") -> str:
    """An answer as text for the Word annexes (dates dd/mm/yyyy, numbers 1.200)."""
    value = answer_value(question, answer, language)
    if value is None:
        return ""
    if isinstance(value, date):
        return day_text(value)
    if isinstance(value, int | float):
        shown = format_number(value, language)
        return f"{shown}%" if question is not None and question.type == "percent" else shown
    return str(value)


def _local(moment: datetime, timezone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(timezone)


# --- the Excel export ---------------------------------------------------------------------


@dataclass
class ExportData:
    year: int
    language: str
    timezone: ZoneInfo
    checks: list[kpi.CheckRow]
    sites: list[tuple[Any, int, Any]]
    indicators: list[Indicator]
    registry: ChecklistRegistry


async def load_export(
    session: AsyncSession,
    year: int,
    *,
    department: str | None = None,
    commune: str | None = None,
    old_district: str | None = None,
    settings: ReportSettings | None = None,
    language: str = "vi",
    today: date | None = None,
) -> ExportData:
    settings = settings or ReportSettings()
    scope = _scope(
        year, settings, department=department, commune=commune, old_district=old_district
    )
    checks = await kpi.submitted_checks(session, scope)
    sites = await kpi.sites_with_activity(session, scope)
    figures = await compute_kpis(
        session,
        year,
        department=department,
        commune=commune,
        old_district=old_district,
        timezone=settings.timezone,
        start_year=settings.targets.start_year,
    )
    indicators = evaluate(figures, settings.targets, as_of_date(year, today or _today(settings)))
    return ExportData(
        year, language, settings.timezone, checks, sites, indicators, settings.registry()
    )


async def export_xlsx(
    session: AsyncSession,
    year: int,
    path: Path,
    *,
    department: str | None = None,
    commune: str | None = None,
    old_district: str | None = None,
    settings: ReportSettings | None = None,
    language: str = "vi",
    today: date | None = None,
) -> Path:
    """The workbook: one sheet per checklist (one row per submitted check, one column
    per question, also questions removed from the checklist since), "Cơ sở" (sites)
    and "Chỉ tiêu" (indicators). The file is written in a worker thread."""
    data = await load_export(
        session,
        year,
        department=department,
        commune=commune,
        old_district=old_district,
        settings=settings,
        language=language,
        today=today,
    )
    return await asyncio.to_thread(write_xlsx, data, Path(path))


def _sheet_title(name: str, taken: set[str]) -> str:
    name = " ".join(file_text(name).split())
    for character in "[]:*?/\\":
        name = name.replace(character, " ")
    name = name.strip()[:31] or "Sheet"
    title, number = name, 2
    while title.lower() in taken:
        suffix = f" ({number})"
        title, number = name[: 31 - len(suffix)] + suffix, number + 1
    taken.add(title.lower())
    return title


def _columns_for(checklist: Checklist | None, checks: list[kpi.CheckRow]) -> list[tuple[str, Any]]:
    """(question id, Question or None): the checklist's questions in order, then any
    question answered in these checks that the current file no longer has."""
    columns: list[tuple[str, Any]] = []
    known = set()
    if checklist is not None:
        for question in checklist.questions:
            columns.append((question.id, question))
            known.add(question.id)
    extra: list[str] = []
    for check in checks:
        for question_id in check.answers:
            if question_id not in known and question_id not in extra:
                extra.append(question_id)
    return columns + [(question_id, None) for question_id in sorted(extra)]


def write_xlsx(data: ExportData, path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    lang = data.language
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()

    def sheet(title: str, headers: list[str], widths: list[int]):
        worksheet = workbook.create_sheet(_sheet_title(title, taken))
        _write_row(worksheet, 1, headers)
        for index, width in enumerate(widths, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = width
            cell = worksheet.cell(row=1, column=index)
            cell.font, cell.alignment = bold, wrap
        worksheet.freeze_panes = "A2"
        return worksheet

    # One sheet per checklist, in the registry's order, then unknown checklists.
    by_checklist: dict[str, list[kpi.CheckRow]] = {}
    for check in data.checks:
        by_checklist.setdefault(check.checklist_id, []).append(check)
    order = list(data.registry.by_id) + sorted(set(by_checklist) - set(data.registry.by_id))
    for checklist_id in order:
        checklist = data.registry.get(checklist_id)
        checks = by_checklist.get(checklist_id, [])
        if checklist is None and not checks:
            continue
        with_site = (checklist is not None and checklist.needs_site) or any(
            check.site_code for check in checks
        )
        fixed = ["rep_col_run", "rep_col_submitted", "rep_col_inspector", "rep_col_department"]
        if with_site:
            fixed += [
                "rep_col_site_code",
                "rep_col_site_name",
                "rep_col_site_kind",
                "rep_col_commune",
            ]
        fixed.append("rep_col_version")
        columns = _columns_for(checklist, checks)
        headers = [t(lang, key) for key in fixed] + [
            question.wording(lang) if question is not None else question_id
            for question_id, question in columns
        ]
        widths = [9, 17, 22, 10] + ([14, 32, 18, 22] if with_site else []) + [9]
        widths += [24] * len(columns)
        sheet_key = f"rep_sheet_{checklist_id}"
        title = t(lang, sheet_key) if sheet_key in keys(lang) else checklist_id
        worksheet = sheet(title, headers, widths)
        for row_number, check in enumerate(checks, start=2):
            submitted = _local(check.submitted_at, data.timezone).replace(tzinfo=None)
            values: list[Any] = [check.run_id, submitted, check.inspector, check.department]
            if with_site:
                kind_key = f"rep_kind_{check.site_kind}"
                values += [
                    check.site_code,
                    check.site_name,
                    t(lang, kind_key) if kind_key in keys(lang) else check.site_kind,
                    check.site_commune,
                ]
            values.append(check.checklist_version)
            for question_id, question in columns:
                values.append(answer_value(question, check.answers.get(question_id), lang))
            _write_row(worksheet, row_number, values)
            worksheet.cell(row=row_number, column=2).number_format = "dd/mm/yyyy hh:mm"
            for column, value in enumerate(values, start=1):
                if isinstance(value, date) and column != 2:
                    worksheet.cell(row=row_number, column=column).number_format = "dd/mm/yyyy"
        if checks:
            worksheet.auto_filter.ref = worksheet.dimensions

    _sites_sheet(data, sheet)
    _indicators_sheet(data, sheet)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _sites_sheet(data: ExportData, sheet) -> None:
    lang = data.language
    headers = [
        t(lang, "rep_col_site_code"),
        t(lang, "rep_col_site_name"),
        t(lang, "rep_col_site_kind"),
        t(lang, "rep_col_commune"),
        t(lang, "rep_col_old_district"),
        t(lang, "rep_col_province"),
        t(lang, "rep_col_site_status"),
        t(lang, "rep_col_lat"),
        t(lang, "rep_col_lon"),
        t(lang, "rep_col_checks", year=data.year),
        t(lang, "rep_col_last_check"),
        t(lang, "rep_col_note"),
    ]
    worksheet = sheet(
        t(lang, "rep_sheet_sites"), headers, [16, 40, 20, 24, 22, 14, 16, 11, 11, 12, 17, 40]
    )
    for row_number, (site, checks, last) in enumerate(data.sites, start=2):
        _write_row(
            worksheet,
            row_number,
            [
                site.code,
                site.name,
                t(lang, f"rep_kind_{site.kind}"),
                site.commune,
                site.old_district,
                site.province,
                t(lang, f"rep_site_{site.status}"),
                site.latitude,
                site.longitude,
                checks,
                _local(last, data.timezone).replace(tzinfo=None) if last else None,
                site.note,
            ],
        )
        worksheet.cell(row=row_number, column=11).number_format = "dd/mm/yyyy hh:mm"
    if data.sites:
        worksheet.auto_filter.ref = worksheet.dimensions


def _target_years(indicators: list[Indicator]) -> list[int]:
    return sorted({target.year for i in indicators for target in i.targets})


def _target_of(indicator: Indicator, year: int) -> Target | None:
    return next((target for target in indicator.targets if target.year == year), None)


def _indicators_sheet(data: ExportData, sheet) -> None:
    lang = data.language
    years = _target_years(data.indicators)
    headers = [
        t(lang, "rep_col_id"),
        t(lang, "rep_col_indicator"),
        t(lang, "rep_col_result", year=data.year),
        t(lang, "rep_col_numerator"),
        t(lang, "rep_col_denominator"),
        t(lang, "rep_col_detail"),
        *(t(lang, "rep_col_target", year=year) for year in years),
        t(lang, "rep_col_achieved"),
        t(lang, "rep_col_status"),
        t(lang, "rep_col_source"),
    ]
    widths = [10, 60, 14, 10, 10, 40, *([13] * len(years)), 10, 20, 45]
    worksheet = sheet(t(lang, "rep_sheet_indicators"), headers, widths)
    for row_number, indicator in enumerate(data.indicators, start=2):
        ratio = indicator.ratio
        targets: list[Any] = []
        for year in years:
            target = _target_of(indicator, year)
            if target is None:
                targets.append(None)
            elif target.high is not None:
                targets.append(target_text(target, indicator.kind, lang))
            else:
                targets.append(_number(target.value))
        values = [
            indicator.id.upper() if indicator.id != "coverage" else "",
            t(lang, f"rep_long_{indicator.id}"),
            _number(indicator.value) if indicator.kind == "count" else indicator.value,
            ratio.numerator if ratio else None,
            ratio.denominator if ratio else None,
            detail_text(indicator, lang) or None,
            *targets,
            indicator.achieved,
            t(lang, f"rep_status_{indicator.status.value}"),
            t(lang, f"rep_source_{indicator.id}"),
        ]
        _write_row(worksheet, row_number, values)
        if indicator.kind == "ratio":
            worksheet.cell(row=row_number, column=3).number_format = "0.0%"
            for offset, target in enumerate(targets):
                if isinstance(target, float | int):
                    worksheet.cell(row=row_number, column=7 + offset).number_format = "0%"
        worksheet.cell(row=row_number, column=7 + len(years)).number_format = "0.0%"


# --- the annual report (Word) ------------------------------------------------------------


async def report_docx(
    session: AsyncSession,
    year: int,
    path: Path,
    *,
    settings: ReportSettings | None = None,
    language: str = "vi",
    today: date | None = None,
) -> Path:
    """The Department's annual report draft: sections I–V of domain.md with the
    indicator table, and annexes of the clusters reached and the supermarkets and
    trade centres checked (latest check in the year) with their answers."""
    settings = settings or ReportSettings()
    today = today or _today(settings)
    as_of = as_of_date(year, today)
    figures = await compute_kpis(
        session, year, timezone=settings.timezone, start_year=settings.targets.start_year
    )
    indicators = evaluate(figures, settings.targets, as_of)
    scope = figures.scope
    clusters = await kpi.latest_checks(
        session,
        scope,
        kpi.CLUSTER_AWARENESS,
        [kpi.CLUSTER_KIND],
        cumulative=True,
        require=("aware", "yes"),
    )
    shops = await kpi.latest_checks(session, scope, kpi.SUPERMARKET, kpi.RETAIL_KINDS)
    draft = _ReportDraft(figures, indicators, clusters, shops, settings, language, today, as_of)
    return await asyncio.to_thread(draft.write, Path(path))


@dataclass
class _ReportDraft:
    figures: Kpis
    indicators: list[Indicator]
    clusters: list[kpi.CheckRow]
    shops: list[kpi.CheckRow]
    settings: ReportSettings
    language: str
    today: date
    as_of: date

    def t(self, key: str, **values: Any) -> str:
        # Values may be names or titles from the database: cleaned like every text here.
        return file_text(t(self.language, key, **values))

    def indicator(self, id_: str) -> Indicator:
        return next(i for i in self.indicators if i.id == id_)

    def write(self, path: Path) -> Path:
        from docx import Document
        from docx.enum.section import WD_ORIENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm, Pt, RGBColor

        self._centre = WD_ALIGN_PARAGRAPH.CENTER
        self._right = WD_ALIGN_PARAGRAPH.RIGHT
        self._justify = WD_ALIGN_PARAGRAPH.JUSTIFY
        self._pt = Pt
        document = Document()
        for name, size in (("Normal", 13), ("Heading 1", 13), ("Heading 2", 13)):
            style = document.styles[name]
            style.font.name = "Times New Roman"
            style.font.size = Pt(size)
            style.font.color.rgb = RGBColor(0, 0, 0)
        section = document.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin, section.right_margin = Cm(3), Cm(2)
        section.top_margin, section.bottom_margin = Cm(2), Cm(2)

        self._letterhead(document)
        self._body(document)
        annex = document.add_section()
        annex.orientation = WD_ORIENT.LANDSCAPE
        annex.page_width, annex.page_height = Cm(29.7), Cm(21)
        annex.left_margin = annex.right_margin = Cm(1.5)
        self._annexes(document)
        path.parent.mkdir(parents=True, exist_ok=True)
        document.save(str(path))
        return path

    # -- parts --

    def _paragraph(
        self, document, text: str, *, bold=False, italic=False, align=None, size: int | None = None
    ):
        paragraph = document.add_paragraph()
        run = paragraph.add_run(file_text(text))
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = self._pt(size)
        if align is not None:
            paragraph.alignment = align
        return paragraph

    def _letterhead(self, document) -> None:
        table = document.add_table(rows=1, cols=2)
        left, right = table.rows[0].cells
        left.text, right.text = "", ""
        for cell, lines in (
            (
                left,
                [
                    (self.t("rep_doc_parent"), False),
                    (self.t("rep_doc_agency"), True),
                    (self.t("rep_doc_number"), False),
                ],
            ),
            (right, [(self.t("rep_doc_nation"), True), (self.t("rep_doc_motto"), True)]),
        ):
            first = True
            for text, bold in lines:
                paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
                first = False
                run = paragraph.add_run(text)
                run.bold = bold
                run.font.size = self._pt(12)
                paragraph.alignment = self._centre
        self._paragraph(
            document,
            self.t(
                "rep_doc_place_date",
                day=f"{self.today.day:02d}",
                month=f"{self.today.month:02d}",
                year=self.today.year,
            ),
            italic=True,
            align=self._right,
        )
        year = self.figures.scope.year
        self._paragraph(document, self.t("rep_doc_title"), bold=True, align=self._centre, size=14)
        self._paragraph(
            document, self.t("rep_doc_subtitle", year=year), bold=True, align=self._centre
        )
        self._paragraph(
            document,
            self.t("rep_doc_draft", date=day_text(self.today), as_of=day_text(self.as_of)),
            italic=True,
            align=self._centre,
            size=11,
        )
        self._paragraph(document, self.t("rep_doc_to"), align=self._centre)

    def _body(self, document) -> None:
        lang = self.language
        figures, year = self.figures, self.figures.scope.year
        start = self.settings.targets.start_year

        document.add_heading(self.t("rep_doc_s1"), level=1)
        self._paragraph(document, self.t("rep_doc_s1_fill"), italic=True)
        for group in _report_groups(figures):
            done = [r for r in group if r.confirmed]
            title = group[0].title_vi if lang == "vi" else group[0].title_en
            self._paragraph(
                document,
                self.t(
                    "rep_doc_s1_reports",
                    title=title,
                    due=day_text(group[0].due),
                    done=len(done),
                    total=len(group),
                ),
                align=self._justify,
            )
            for report in group:
                if report.confirmed:
                    text = self.t(
                        "rep_doc_s1_confirmed",
                        department=report.department_code,
                        date=day_text(_local(report.confirmed_at, self.settings.timezone)),
                        person=report.confirmed_by or "",
                    )
                else:
                    text = self.t("rep_doc_s1_pending", department=report.department_code)
                document.add_paragraph(file_text(text), style="List Bullet")

        document.add_heading(self.t("rep_doc_s2"), level=1)
        k1, k3 = self.indicator("k1"), self.indicator("k3")
        k2 = self.indicator("k2")
        sections = [
            (
                "rep_doc_s2_1",
                "rep_doc_s2_1_text",
                {
                    "start": start,
                    "year": year,
                    "reached": count_text(figures.k1.numerator, lang),
                    "total": count_text(figures.k1.denominator, lang),
                    "percent": percent_text(figures.k1.value, lang),
                    "target": self._target_phrase(k1),
                },
            ),
            (
                "rep_doc_s2_2",
                "rep_doc_s2_2_text",
                {
                    "year": year,
                    "applied": count_text(figures.k2_applied, lang),
                    "building": count_text(figures.k2_building, lang),
                    "target": self._target_phrase(k2),
                },
            ),
            (
                "rep_doc_s2_3",
                "rep_doc_s2_3_text",
                {
                    "year": year,
                    "checked": count_text(figures.coverage.numerator, lang),
                    "total": count_text(figures.coverage.denominator, lang),
                    "coverage": percent_text(figures.coverage.value, lang),
                    "full": count_text(figures.k3.numerator, lang),
                    "k3": percent_text(figures.k3.value, lang),
                    "target": self._target_phrase(k3),
                    "bags": count_text(figures.k4_nonbio_bags, lang),
                },
            ),
            (
                "rep_doc_s2_4",
                "rep_doc_s2_4_text",
                {
                    "sites": count_text(figures.k5_sites, lang),
                    "codes": count_text(figures.k5_product_codes, lang),
                },
            ),
            (
                "rep_doc_s2_5",
                "rep_doc_s2_5_text",
                {
                    "year": year,
                    "facilities": count_text(figures.k6_facilities, lang),
                },
            ),
            (
                "rep_doc_s2_6",
                "rep_doc_s2_6_text",
                {
                    "year": year,
                    "events": count_text(figures.k7_events, lang),
                    "products": count_text(figures.k7_eco_products, lang),
                    "suppliers": count_text(figures.k7_suppliers, lang),
                },
            ),
        ]
        for heading, text, values in sections:
            document.add_heading(self.t(heading), level=2)
            self._paragraph(document, self.t(text, **values), align=self._justify)

        document.add_heading(self.t("rep_doc_s3"), level=1)
        self._indicator_table(document)

        document.add_heading(self.t("rep_doc_s4"), level=1)
        self._paragraph(document, self.t("rep_doc_s4_fill"), italic=True)
        if figures.never_checked:
            names = ", ".join(site.name for site in figures.never_checked[:20])
            if len(figures.never_checked) > 20:
                names = self.t(
                    "rep_never_checked_more", names=names, more=len(figures.never_checked) - 20
                )
            self._paragraph(
                document,
                self.t("rep_doc_s4_never", count=len(figures.never_checked), names=names),
                align=self._justify,
            )
        behind = [i for i in self.indicators if i.status == Status.BEHIND]
        if behind:
            listed = "; ".join(self.t(f"rep_long_{i.id}") for i in behind)
            self._paragraph(
                document, self.t("rep_doc_s4_behind", indicators=listed), align=self._justify
            )

        document.add_heading(self.t("rep_doc_s5"), level=1)
        self._paragraph(document, self.t("rep_doc_s5_fill"), italic=True)

        signature = document.add_table(rows=1, cols=2)
        left, right = signature.rows[0].cells
        left.text = ""
        run = left.paragraphs[0].add_run(self.t("rep_doc_recipients"))
        run.bold, run.italic = True, True
        run.font.size = self._pt(11)
        note = left.add_paragraph().add_run(self.t("rep_doc_recipient_lines"))
        note.font.size = self._pt(11)
        right.text = ""
        run = right.paragraphs[0].add_run(self.t("rep_doc_signature"))
        run.bold = True
        right.paragraphs[0].alignment = self._centre

    def _target_phrase(self, indicator: Indicator) -> str:
        if indicator.target is None:
            return "—"
        return self.t(
            "rep_doc_target",
            target=target_text(indicator.target, indicator.kind, self.language),
            year=indicator.target.year,
        )

    def _table(self, document, headers: list[str], rows: list[list[str]], size: int = 11):
        table = document.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        for cell, header in zip(table.rows[0].cells, headers, strict=True):
            cell.text = ""
            run = cell.paragraphs[0].add_run(file_text(header))
            run.bold = True
            run.font.size = self._pt(size)
            cell.paragraphs[0].alignment = self._centre
        for values in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, values, strict=True):
                cell.text = ""
                run = cell.paragraphs[0].add_run(file_text(value))
                run.font.size = self._pt(size)
        return table

    def _indicator_table(self, document) -> None:
        lang, year = self.language, self.figures.scope.year
        years = _target_years(self.indicators)
        headers = [
            self.t("rep_col_no"),
            self.t("rep_col_indicator"),
            *(self.t("rep_col_target", year=y) for y in years),
            self.t("rep_col_result", year=year),
            self.t("rep_col_achieved"),
            self.t("rep_col_source"),
        ]
        rows = []
        for number, indicator in enumerate(self.indicators, start=1):
            targets = [
                target_text(_target_of(indicator, y), indicator.kind, lang)
                if _target_of(indicator, y)
                else "—"
                for y in years
            ]
            label = self.t(f"rep_long_{indicator.id}")
            if indicator.id != "coverage":
                label = f"{indicator.id.upper()}. {label}"
            rows.append(
                [
                    str(number),
                    label,
                    *targets,
                    value_text(indicator, lang),
                    percent_text(indicator.achieved, lang),
                    self.t(f"rep_source_{indicator.id}"),
                ]
            )
        self._table(document, headers, rows, size=10)

    def _annex_table(
        self, document, checklist_id: str, checks: list[kpi.CheckRow], date_header: str
    ) -> None:
        if not checks:
            self._paragraph(document, self.t("rep_doc_annex_none"), italic=True)
            return
        checklist = self.settings.registry().get(checklist_id)
        questions = [
            (question_id, question)
            for question_id, question in _columns_for(checklist, checks)
            if question is None
            or (question.type not in _ANNEX_SKIPPED_TYPES and question.id not in _ANNEX_SKIPPED_IDS)
        ]
        headers = [
            self.t("rep_col_no"),
            self.t("rep_col_site_name"),
            self.t("rep_col_commune"),
            date_header,
            *(q.wording(self.language) if q is not None else qid for qid, q in questions),
        ]
        rows = []
        for number, check in enumerate(checks, start=1):
            rows.append(
                [
                    str(number),
                    f"{check.site_name} ({check.site_code})",
                    check.site_commune or "",
                    day_text(_local(check.submitted_at, self.settings.timezone)),
                    *(
                        answer_text(q, check.answers.get(qid), self.language)
                        for qid, q in questions
                    ),
                ]
            )
        self._table(document, headers, rows, size=8)

    def _annexes(self, document) -> None:
        year = self.figures.scope.year
        start = self.settings.targets.start_year
        document.add_heading(self.t("rep_doc_annex1", start=start, year=year), level=1)
        self._annex_table(
            document, kpi.CLUSTER_AWARENESS, self.clusters, self.t("rep_col_check_date")
        )
        document.add_heading(self.t("rep_doc_annex2", year=year), level=1)
        self._annex_table(document, kpi.SUPERMARKET, self.shops, self.t("rep_col_check_date"))


# --- chat commands (the engine calls these) ----------------------------------------------


def parse_year(argument: str, today: date, first: int = 2021) -> int | None:
    """'' -> this year; '2025' -> 2025; anything else or out of range -> None."""
    argument = argument.strip()
    if not argument:
        return today.year
    # ASCII digits only: "²".isdigit() is true and int("²") fails; 4 digits at most.
    if re.fullmatch(r"[0-9]{4}", argument) and first <= int(argument) <= today.year + 1:
        return int(argument)
    return None


def _usage(language: str, command: str, today: date, first: int) -> list[Reply]:
    return [
        Reply(
            t(
                language,
                "rep_usage_year",
                command=command,
                example=today.year,
                first=first,
                last=today.year + 1,
            )
        )
    ]


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
    if person.role not in ("admin", "head"):
        return [Reply(t(lang, "rep_refused"))]
    today = today or _today(settings)
    first = settings.targets.start_year
    year = parse_year(argument, today, first)
    if year is None:
        return _usage(lang, "/summary", today, first)
    department = person.department_code if person.role == "head" else None
    summary = await build_summary(session, year, lang, department, settings=settings, today=today)
    chart = fresh_path(settings.out_dir, f"summary-{year}.png")
    await asyncio.to_thread(
        summary_chart, summary.kpis, settings.targets, chart, language=lang, as_of=summary.as_of
    )
    # The channel splits a text longer than its limit.
    replies = [Reply(summary.text)]
    replies.append(Reply(t(lang, "rep_chart_caption", year=year), picture=chart))
    return replies


def _admin_year(
    person: Person, argument: str, settings: ReportSettings, today: date, command: str
) -> int | list[Reply]:
    """The year an admin asked for, or the replies refusing the request."""
    lang = person.language
    if person.role != "admin":
        return [Reply(t(lang, "rep_refused_head" if person.role == "head" else "rep_refused"))]
    year = parse_year(argument, today, settings.targets.start_year)
    if year is None:
        return _usage(lang, command, today, settings.targets.start_year)
    return year


async def export_command(
    session: AsyncSession,
    person: Person,
    argument: str,
    settings: ReportSettings,
    today: date | None = None,
) -> list[Reply]:
    """/export [year]: admins only; an XLSX document."""
    today = today or _today(settings)
    year = _admin_year(person, argument, settings, today, "/export")
    if isinstance(year, list):
        return year
    name = f"SXTDBV-{year}.xlsx"
    data = await load_export(session, year, settings=settings, today=today)
    path = await asyncio.to_thread(write_xlsx, data, fresh_path(settings.out_dir, name))
    count = count_text(len(data.checks), person.language)
    caption = t(person.language, "rep_export_caption", year=year, count=count)
    return [Reply(caption, file=path, file_name=name)]


async def report_command(
    session: AsyncSession,
    person: Person,
    argument: str,
    settings: ReportSettings,
    today: date | None = None,
) -> list[Reply]:
    """/report [year]: admins only; a DOCX draft of the annual report."""
    today = today or _today(settings)
    year = _admin_year(person, argument, settings, today, "/report")
    if isinstance(year, list):
        return year
    name = f"Bao-cao-SXTDBV-{year}.docx"
    path = await report_docx(
        session, year, fresh_path(settings.out_dir, name), settings=settings, today=today
    )
    caption = t(person.language, "rep_report_caption", year=year)
    return [Reply(caption, file=path, file_name=name)]
