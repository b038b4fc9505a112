"""The figures the indicator queries return: plain values, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.kpis.scope import Scope


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class SiteRef:
    code: str
    name: str
    kind: str
    commune: str


@dataclass(frozen=True)
class ReportStatus:
    """One department's annual-report confirmation for one deadline of the year."""

    deadline_id: int
    title_vi: str
    title_en: str
    due: date
    department_code: str
    confirmed_at: datetime | None = None
    confirmed_by: str | None = None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


@dataclass(frozen=True)
class Kpis:
    scope: Scope
    k1: Ratio  # operating clusters reached by awareness work since the start ÷ all
    k2_applied: int  # cleaner-production models at stage "applied" (cumulative)
    k2_building: int  # ... and "being built"
    k3: Ratio  # operating supermarkets/TTTM whose latest check says "fully replaced"
    k4_nonbio_bags: int  # ... whose latest check says they still hand out bags
    k5_sites: int  # ... selling eco-labelled products
    k5_product_codes: int  # labelled product codes on sale (latest check per site)
    k6_facilities: int | None  # facilities reached by energy-efficiency work
    k7_events: int | None  # trade-promotion events
    k7_eco_products: int | None  # eco-friendly products promoted at them
    k7_suppliers: int | None  # suppliers connected at them
    coverage: Ratio  # operating supermarkets/TTTM checked in the year ÷ all
    never_checked: tuple[SiteRef, ...]  # operating sites with no check up to the year's end
    checks: int  # submitted checks in the year (every checklist)
    reports: tuple[ReportStatus, ...] = ()

    @property
    def reports_confirmed(self) -> int:
        return sum(1 for report in self.reports if report.confirmed)
