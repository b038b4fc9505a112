"""The figures the bot already knows for a department's report: its own checks of
the year (storage.kpis with the department's filter), offered pre-filled for the
head to confirm or correct. Keys are the form's ``prefill`` names."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from handlers.reports.figures import ReportSettings


async def known_figures(
    session: AsyncSession, department: str, year: int, settings: ReportSettings
) -> dict[str, int]:
    from storage.kpis import compute_kpis

    k = await compute_kpis(
        session,
        year,
        department=department,
        timezone=settings.timezone,
        start_year=settings.targets.start_year,
        review_rule=settings.review_rule,
        concurrent=False,  # one session, inside the turn's transaction
    )
    figures = {
        "sites_checked": k.coverage.numerator,
        "clusters_reached": k.k1.numerator,
        "models_applied": k.k2_applied,
        "models_building": k.k2_building,
        "facilities": k.k6_facilities,
        "events": k.k7_events,
        "eco_products": k.k7_eco_products,
    }
    return {name: int(value) for name, value in figures.items() if value is not None}
