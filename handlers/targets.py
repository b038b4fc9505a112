"""The plan's targets, the straight line towards them and each indicator's status:
pure functions of the figures storage.kpis computes (no SQL, no messenger).

Rules (domain.md, "Indicators and targets"): a target is a value to reach by the end
of a year; between targets the expected value runs on a straight line; "met" means
the current target is reached, "on track" at or past the line, "behind" short of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

# Light on purpose: bot/config.py takes the defaults from here, and `fieldbot --help`
# must not import SQLAlchemy (storage.kpis); the figures are only read.
from storage.vocabulary import START_YEAR

if TYPE_CHECKING:
    from storage.kpis import Kpis, Ratio


class Status(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NO_DATA = "no_data"  # nothing to measure (no operating site of that kind)
    NO_TARGET = "no_target"


@dataclass(frozen=True)
class Target:
    """Reach ``value`` by the end of ``year``: a share (0.7 = 70%) for ratios, a count
    otherwise; ``high`` is the upper end of a range such as "1–2 models" (shown only)."""

    year: int
    value: float
    high: float | None = None


_TARGET_ITEM = re.compile(
    r"^\s*(?P<value>\d+(?:[.,]\d+)?)\s*(?:[-–]\s*(?P<high>\d+(?:[.,]\d+)?))?\s*%?\s*@\s*"
    r"(?P<year>\d{4})\s*$"
)


def parse_targets(text: str, percent: bool) -> tuple[Target, ...]:
    """'70%@2025, 100%@2030' or '1-2@2025' -> targets in year order.

    For a ratio (percent=True) the value is read as a percentage. Raises ValueError
    with a readable message.
    """
    targets = []
    for item in (part for part in text.split(",") if part.strip()):
        # "12,5%@2025" is ambiguous with the list separator: use "12.5%@2025".
        match = _TARGET_ITEM.match(item)
        if not match:
            raise ValueError(f"{item.strip()!r} is not of the form VALUE@YEAR, e.g. 70%@2025")
        value = float(match["value"].replace(",", "."))
        high = float(match["high"].replace(",", ".")) if match["high"] else None
        if percent:
            value, high = value / 100, (high / 100 if high is not None else None)
        targets.append(Target(int(match["year"]), value, high))
    years = [target.year for target in targets]
    if len(set(years)) != len(years):
        raise ValueError("a year appears twice")
    return tuple(sorted(targets, key=lambda target: target.year))


# Indicator id -> whether its values are shares (percent) and whether lower is better.
TARGETED = {"k1": (True, False), "k2": (False, False), "k3": (True, False), "k4": (False, True)}
# The plan's targets (Decision 889/QĐ-TTg and the provincial plan) as the [targets]
# section writes them: the one copy of the defaults.
DEFAULTS = {
    "k1": "70%@2025, 100%@2030",
    "k2": "1-2@2025",
    "k3": "85%@2025, 100%@2030",
    "k4": "0@2030",
}


# Decree 08/2022/NĐ-CP art. 64: after 31 December 2025 supermarkets and trade centres
# may no longer hand out non-biodegradable bags, whatever the plan's line to 2030 says;
# from then on a single shop still doing so is behind, never "on track". The law, not
# the plan: not configurable.
ZERO_AFTER = {"k4": 2025}


def _default(indicator: str) -> tuple[Target, ...]:
    return parse_targets(DEFAULTS[indicator], TARGETED[indicator][0])


@dataclass(frozen=True)
class Targets:
    """The plan's targets; configuration may replace any of them: see ``from_config``."""

    start_year: int = START_YEAR
    k1: tuple[Target, ...] = _default("k1")
    k2: tuple[Target, ...] = _default("k2")
    k3: tuple[Target, ...] = _default("k3")
    k4: tuple[Target, ...] = _default("k4")

    def of(self, indicator: str) -> tuple[Target, ...]:
        return getattr(self, indicator) if indicator in TARGETED else ()

    @classmethod
    def from_config(cls, values: Mapping[str, Any] | None) -> Targets:
        """From the [targets] section: start_year = 2021, k1 = "70%@2025, 100%@2030",
        k2 = "1-2@2025", k3 = "85%@2025, 100%@2030", k4 = "0@2030"; missing keys keep
        the defaults, an empty string means "no target"."""
        targets = cls()
        for key, value in (values or {}).items():
            if key == "start_year":
                targets = replace(targets, start_year=int(value))
            elif key in TARGETED:
                targets = replace(targets, **{key: parse_targets(value, TARGETED[key][0])})
            else:
                raise ValueError(f"unknown target {key!r} (known: start_year, k1, k2, k3, k4)")
        return targets


def _year_end(year: int) -> date:
    return date(year, 12, 31)


def current_target(targets: Sequence[Target], as_of: date) -> Target | None:
    """The target being worked towards on a day: the first whose year has not ended."""
    for target in targets:
        if as_of <= _year_end(target.year):
            return target
    return targets[-1] if targets else None


def expected_value(
    targets: Sequence[Target], start_year: int, as_of: date, baseline: float = 0.0
) -> float | None:
    """Where a straight line says the value should be on ``as_of``: from ``baseline``
    on 1 January of the start year to the first target at the end of its year; after
    that, from each target to the next (a literal 0-to-2030 line would ask for less
    in 2026 than was already due in 2025); after the last target year, the last target."""
    if not targets:
        return None
    point_date, point_value = date(start_year, 1, 1), baseline
    for target in targets:
        end = _year_end(target.year)
        if as_of <= end:
            span = (end - point_date).days
            done = max((as_of - point_date).days, 0)
            share = min(done / span, 1.0) if span > 0 else 1.0
            return point_value + (target.value - point_value) * share
        point_date, point_value = end, target.value
    return targets[-1].value


def limit_passed(zero_after: int | None, as_of: date) -> bool:
    """Whether a legal "none after this year" limit applies on ``as_of``."""
    return zero_after is not None and as_of > _year_end(zero_after)


def status(
    value: float | None,
    targets: Sequence[Target],
    start_year: int,
    as_of: date,
    *,
    lower_is_better: bool = False,
    baseline: float = 0.0,
    zero_after: int | None = None,
) -> Status:
    """Met (the current target reached), on track (at or past the straight line),
    behind (short of it). For "lower is better" (K4: sites still handing out bags) the
    line runs down from ``baseline`` (e.g. every operating supermarket at the start).
    After the end of ``zero_after`` (a legal limit) anything above zero is behind."""
    target = current_target(targets, as_of)
    if value is not None and limit_passed(zero_after, as_of) and value > 1e-9:
        return Status.BEHIND
    if target is None:
        return Status.NO_TARGET
    if value is None:
        return Status.NO_DATA
    expected = expected_value(targets, start_year, as_of, baseline)
    tolerance = 1e-9
    if lower_is_better:
        if value <= target.value + tolerance:
            return Status.MET
        return Status.ON_TRACK if value <= expected + tolerance else Status.BEHIND
    if value >= target.value - tolerance:
        return Status.MET
    return Status.ON_TRACK if value >= expected - tolerance else Status.BEHIND


@dataclass(frozen=True)
class Indicator:
    """One line of the indicator table, with what is needed to show it."""

    id: str  # k1 .. k7, coverage
    kind: str  # "ratio" or "count"
    value: float | None  # the share for ratios, the count otherwise
    ratio: Ratio | None = None
    extra: dict[str, int | None] = field(default_factory=dict)
    targets: tuple[Target, ...] = ()
    target: Target | None = None  # the one being worked towards this year
    expected: float | None = None
    status: Status = Status.NO_TARGET
    # The year a legal limit ended ("none after 2025"), once it has passed (ZERO_AFTER).
    zero_after: int | None = None

    @property
    def achieved(self) -> float | None:
        """Result ÷ current target (1.0 = 100%); for "zero" targets, 1.0 when reached."""
        if self.target is None or self.value is None:
            return None
        if self.target.value == 0:
            return 1.0 if self.value == 0 else None
        return self.value / self.target.value

    def target_in(self, year: int) -> Target | None:
        return next((target for target in self.targets if target.year == year), None)


def evaluate(kpis: Kpis, targets: Targets, as_of: date | None = None) -> list[Indicator]:
    """The indicators with their targets and status, in table order."""
    as_of = as_of or _year_end(kpis.scope.year)
    start = targets.start_year

    def judged(id_: str, kind: str, value, ratio=None, extra=None, **options) -> Indicator:
        own = targets.of(id_)
        expected = expected_value(own, start, as_of, options.get("baseline", 0.0))
        limit = ZERO_AFTER.get(id_) if limit_passed(ZERO_AFTER.get(id_), as_of) else None
        return Indicator(
            id=id_,
            kind=kind,
            value=value,
            ratio=ratio,
            extra=extra or {},
            targets=own,
            target=current_target(own, as_of),
            expected=0.0 if limit is not None else expected,
            status=status(value, own, start, as_of, zero_after=ZERO_AFTER.get(id_), **options),
            zero_after=limit,
        )

    shops = kpis.k3.denominator
    # K4 counts the shops whose latest check says they still hand out bags: with no
    # shop checked in the year there is nothing to count, not a reached zero.
    checked = kpis.coverage.numerator
    return [
        judged("k1", "ratio", kpis.k1.value, kpis.k1),
        judged("k2", "count", kpis.k2_applied, extra={"building": kpis.k2_building}),
        judged("k3", "ratio", kpis.k3.value, kpis.k3),
        judged(
            "k4",
            "count",
            kpis.k4_nonbio_bags if shops and checked else None,
            lower_is_better=True,
            baseline=float(shops),
        ),
        judged("k5", "count", kpis.k5_sites, extra={"codes": kpis.k5_product_codes}),
        judged("k6", "count", kpis.k6_facilities),
        judged(
            "k7",
            "count",
            kpis.k7_events,
            extra={"products": kpis.k7_eco_products, "suppliers": kpis.k7_suppliers},
        ),
        judged("coverage", "ratio", kpis.coverage.value, kpis.coverage),
    ]


def target_years(indicators: Sequence[Indicator]) -> list[int]:
    """Every year some indicator has a target for, in order (the table's columns)."""
    return sorted({target.year for i in indicators for target in i.targets})
