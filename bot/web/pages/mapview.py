"""Bản đồ: every site with coordinates, coloured by its state this year: not checked,
checked, compliant or not compliant (by the latest check the indicators read)."""

from __future__ import annotations

from datetime import datetime

from starlette.responses import Response

from bot.web.app import Ctx


def _compliant(checklist_id: str, answers: dict) -> bool:
    """What the indicators call a good result: K3 and K4 for shops, K1 for clusters."""
    from storage.kpis import keys

    def code(question_id: str) -> str | None:
        answer = answers.get(question_id)
        return answer.value_text if answer is not None else None

    if checklist_id == keys.SUPERMARKET:
        return code(keys.PACKAGING_REPLACED) == "full" and code(keys.NONBIO_BAGS) != "yes"
    return code(keys.AWARE) == "yes"


async def site_states(ctx: Ctx, year: int) -> list[dict]:
    from storage.kpis import Scope, keys, latest_checks, sites_with_activity

    settings = ctx.console.report_settings()
    person = ctx.who.person
    department = person.department_code if person.role == "head" else None
    scope = Scope(year=year, department=department, timezone=settings.timezone)
    judged: dict[str, bool] = {}
    for checklist_id, kinds in (
        (keys.SUPERMARKET, keys.RETAIL_KINDS),
        (keys.CLUSTER_AWARENESS, (keys.CLUSTER_KIND,)),
    ):
        for check in await latest_checks(ctx.db, scope, checklist_id, kinds):
            judged[check.site_code] = _compliant(checklist_id, check.answers)
    points = []
    for site, checks, _last in await sites_with_activity(ctx.db, scope):
        if site.latitude is None or site.longitude is None or site.status == "closed":
            continue
        if site.code in judged:
            state = "compliant" if judged[site.code] else "not_compliant"
        else:
            state = "checked" if checks else "not_checked"
        points.append(
            {
                "code": site.code,
                "name": site.name,
                "commune": site.commune,
                "lat": site.latitude,
                "lon": site.longitude,
                "state": state,
                "checks": checks,
            }
        )
    return points


async def map_page(ctx: Ctx) -> Response:
    from bot.web.pages.overview import _year

    today = datetime.now(ctx.console.config.timezone).date()
    year = _year(ctx, today)
    points = await site_states(ctx, year)
    counts = {state: 0 for state in ("not_checked", "checked", "compliant", "not_compliant")}
    for point in points:
        counts[point["state"]] += 1
    return ctx.render(
        "map.html",
        year=year,
        points=points,
        counts=counts,
        tile_url=ctx.console.config.get("web", "tile_url"),
    )
