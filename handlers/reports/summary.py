"""/summary: the indicators as a short message (one phone screen)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from handlers.catalog import t
from handlers.reports.figures import ReportSettings, year_figures
from handlers.reports.formatting import (
    SIGNS,
    count_text,
    day_text,
    names_text,
    target_text,
    value_text,
)
from handlers.targets import Indicator, Status
from storage.kpis import Kpis, ReportStatus, Scope

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession


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
    figures = await year_figures(
        session,
        year,
        settings,
        today,
        department=department,
        commune=commune,
        old_district=old_district,
    )
    kpis, indicators, as_of = figures.kpis, figures.indicators, figures.as_of
    return Summary(_summary_lines(kpis, indicators, as_of, language), kpis, indicators, as_of)


async def summary_text(
    session: AsyncSession, year: int, language: str, *filters: str | None, **options
) -> str:
    """The short message: each indicator with value, target and status sign, sites
    never checked, checks this year, annual-report confirmations. Takes the
    arguments of ``build_summary``."""
    return (await build_summary(session, year, language, *filters, **options)).text


def _scope_text(scope: Scope, language: str) -> str:
    parts = []
    if scope.commune:
        parts.append(scope.commune)
    if scope.old_district:
        parts.append(scope.old_district)
    if scope.department:
        parts.append(t(language, "rep_scope_department", department=scope.department))
    return ", ".join(parts) or t(language, "rep_scope_all")


def _indicator_line(indicator: Indicator, by_place: bool, lang: str) -> str:
    values = {
        "sign": SIGNS[indicator.status],
        "label": t(lang, f"rep_label_{indicator.id}"),
        "value": value_text(indicator, lang, by_place=by_place),
    }
    if indicator.zero_after is not None and indicator.status == Status.BEHIND:
        # Past a legal limit the plan's later target would hide why this is 🔴.
        return t(lang, "rep_line_limit", **values, year=indicator.zero_after + 1)
    if indicator.target is None:
        return t(lang, "rep_line", **values)
    target = target_text(indicator.target, indicator.kind, lang)
    return t(lang, "rep_line_target", **values, target=target, year=indicator.target.year)


def _summary_lines(figures: Kpis, indicators: list[Indicator], as_of: date, lang: str) -> str:
    scope = figures.scope
    lines = [
        t(lang, "rep_summary_title", year=scope.year, scope=_scope_text(scope, lang)),
        t(lang, "rep_as_of", date=day_text(as_of)),
    ]
    lines += [_indicator_line(indicator, scope.has_place, lang) for indicator in indicators]
    lines.append(_never_checked_line(figures, lang))
    lines.append(t(lang, "rep_checks", year=scope.year, count=count_text(figures.checks, lang)))
    lines.append(t(lang, f"rv_rule_{scope.review_rule}"))  # which checks count (issue 13)
    lines += _report_lines(figures, lang)
    lines.append(t(lang, "rep_legend"))
    return "\n".join(lines)


def _never_checked_line(figures: Kpis, lang: str, shown: int = 3) -> str:
    never = figures.never_checked
    if not never:
        return t(lang, "rep_never_checked_none")
    names = names_text([site.name for site in never], shown, lang)
    return t(lang, "rep_never_checked", count=len(never), names=names)


def report_groups(figures: Kpis) -> list[list[ReportStatus]]:
    """The year's annual-report confirmations, one list per deadline."""
    groups: dict[int, list[ReportStatus]] = {}
    for report in figures.reports:
        groups.setdefault(report.deadline_id, []).append(report)
    return list(groups.values())


def _report_lines(figures: Kpis, lang: str) -> list[str]:
    groups = report_groups(figures)
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
