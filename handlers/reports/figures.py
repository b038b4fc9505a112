"""What every report starts from: the settings, and a year's figures judged against
the targets (the one place /summary, /export and /report get them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from handlers.checklist import ChecklistRegistry
from handlers.targets import Indicator, Targets, evaluate
from storage.kpis import LOCAL_TZ, Kpis, Scope, as_of_date, compute_kpis

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass(frozen=True)
class ReportSettings:
    """What the report functions need besides the database session."""

    timezone: ZoneInfo = LOCAL_TZ
    # Where /summary charts, /export workbooks and /report drafts are written.
    out_dir: Path = Path("media") / "reports"
    targets: Targets = field(default_factory=Targets)
    checklists: ChecklistRegistry | None = None
    # Which checks the indicators count ([review] indicators): "all" or "approved".
    review_rule: str = "all"

    def registry(self) -> ChecklistRegistry:
        """The engine passes its registry; a command-line run reads the shipped files
        (a few small TOML files, read once per file made)."""
        return self.checklists or ChecklistRegistry.load()

    def today(self) -> date:
        return datetime.now(self.timezone).date()

    def scope(self, year: int, **filters: str | None) -> Scope:
        return Scope(
            year=year,
            timezone=self.timezone,
            start_year=self.targets.start_year,
            review_rule=self.review_rule,
            **{key: value or None for key, value in filters.items()},
        )


@dataclass(frozen=True)
class YearFigures:
    kpis: Kpis
    indicators: list[Indicator]
    as_of: date  # the day the figures stand at (today, or the year's last day)


async def year_figures(
    session: AsyncSession,
    year: int,
    settings: ReportSettings,
    today: date | None = None,
    concurrent: bool = True,
    **filters: str | None,
) -> YearFigures:
    """The year's indicators with targets and status; ``filters``: department,
    commune, old_district (storage.kpis.compute_kpis, its queries side by side unless
    not ``concurrent``)."""
    kpis = await compute_kpis(
        session,
        year,
        concurrent=concurrent,
        timezone=settings.timezone,
        start_year=settings.targets.start_year,
        review_rule=settings.review_rule,
        **filters,
    )
    as_of = as_of_date(year, today or settings.today())
    return YearFigures(kpis, evaluate(kpis, settings.targets, as_of), as_of)
