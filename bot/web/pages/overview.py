"""Tổng quan: the indicators K1–K7 against their targets (the very figures /summary
sends: handlers.reports.build_summary), a chart per year, progress by department and
by commune, and submissions per week."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from starlette.responses import Response

from bot.web.app import Ctx
from storage import web as web_store
from storage.models import DEPARTMENTS

# The share indicators drawn year by year.
CHARTED = ("k1", "k3", "coverage")


def _year(ctx: Ctx, today) -> int:
    from handlers.reports import parse_year

    first = ctx.console.report_settings().targets.start_year
    return parse_year(ctx.request.query_params.get("year", ""), today, first) or today.year


def indicator_rows(summary, language: str) -> list[dict]:
    from handlers.catalog import t
    from handlers.reports import SIGNS, target_text, value_text

    rows = []
    for indicator in summary.indicators:
        target = indicator.target
        rows.append(
            {
                "id": indicator.id,
                "label": t(language, f"rep_label_{indicator.id}"),
                "value": value_text(indicator, language, by_place=summary.kpis.scope.has_place),
                "target": target_text(target, indicator.kind, language) if target else "—",
                "target_year": target.year if target else None,
                "status": str(indicator.status),
                "sign": SIGNS[indicator.status],
            }
        )
    return rows


async def _by_year(ctx: Ctx, department: str | None, today, year: int) -> dict:
    """Each year's share for K1, K3 and coverage (the same summary, year by year)."""
    from handlers.reports import build_summary

    settings = ctx.console.report_settings()
    years = list(range(settings.targets.start_year, year + 1))[-8:]
    series: dict[str, list] = {key: [] for key in CHARTED}
    for each in years:
        summary = await build_summary(
            ctx.db, each, ctx.language, department, settings=settings, today=today
        )
        for indicator in summary.indicators:
            if indicator.id in CHARTED:
                value = indicator.value
                series[indicator.id].append(None if value is None else round(value * 100, 1))
    return {"years": years, "series": series}


async def _by_department(ctx: Ctx, year: int, today) -> list[dict]:
    from handlers.reports import build_summary

    settings = ctx.console.report_settings()
    rows = []
    for code, name_vi, name_en in DEPARTMENTS:
        summary = await build_summary(ctx.db, year, ctx.language, code, settings=settings)
        rows.append(
            {
                "code": code,
                "name": name_vi if ctx.language == "vi" else name_en,
                "checks": summary.kpis.checks,
                "coverage": summary.kpis.coverage,
            }
        )
    return rows


async def _by_commune(ctx: Ctx, year: int, department: str | None) -> list[dict]:
    from storage.kpis import Scope, sites_with_activity

    settings = ctx.console.report_settings()
    scope = Scope(year=year, department=department, timezone=settings.timezone)
    communes: dict[str, list[int]] = {}
    for site, checks, _last in await sites_with_activity(ctx.db, scope):
        if site.status != "operating":
            continue
        counts = communes.setdefault(site.commune or "—", [0, 0])
        counts[0] += 1
        counts[1] += 1 if checks else 0
    return [
        {"commune": name, "sites": sites, "checked": checked}
        for name, (sites, checked) in sorted(communes.items())
    ]


async def _per_week(ctx: Ctx, year: int) -> dict:
    from storage.kpis import Scope

    timezone = ctx.console.config.timezone
    scope = Scope(year=year, timezone=timezone)
    times = await web_store.submitted_times(ctx.db, ctx.who.viewer, scope.start, scope.end)
    weeks = Counter(moment.astimezone(timezone).isocalendar()[1] for moment in times)
    last = max(weeks, default=1)
    return {
        "weeks": list(range(1, last + 1)),
        "counts": [weeks.get(w, 0) for w in range(1, last + 1)],
    }


async def overview_page(ctx: Ctx) -> Response:
    from handlers.reports import build_summary

    settings = ctx.console.report_settings()
    today = datetime.now(settings.timezone).date()
    year = _year(ctx, today)
    person = ctx.who.person
    department = person.department_code if person.role == "head" else None
    summary = await build_summary(
        ctx.db, year, ctx.language, department, settings=settings, today=today
    )
    return ctx.render(
        "overview.html",
        year=year,
        years=list(range(settings.targets.start_year, today.year + 2)),
        as_of=summary.as_of,
        department=department,
        indicators=indicator_rows(summary, ctx.language),
        kpis=summary.kpis,
        chart=await _by_year(ctx, department, today, year),
        departments=await _by_department(ctx, year, today) if department is None else [],
        communes=await _by_commune(ctx, year, department),
        weeks=await _per_week(ctx, year),
    )
