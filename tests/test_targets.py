"""Targets and status (handlers/targets.py) without a database: pure functions."""

from __future__ import annotations

from datetime import date

from handlers.targets import (
    DEFAULTS,
    ZERO_AFTER,
    Indicator,
    Status,
    Target,
    Targets,
    evaluate,
    status,
    target_years,
)
from storage.kpis import START_YEAR, Kpis, Ratio, Scope


def kpis(**values) -> Kpis:
    base = dict(
        scope=Scope(2025),
        k1=Ratio(0, 0),
        k2_applied=0,
        k2_building=0,
        k3=Ratio(0, 0),
        k4_nonbio_bags=0,
        k5_sites=0,
        k5_product_codes=0,
        k6_facilities=0,
        k7_events=0,
        k7_eco_products=0,
        k7_suppliers=0,
        coverage=Ratio(0, 0),
        never_checked=(),
        checks=0,
    )
    return Kpis(**{**base, **values})


def test_the_defaults_are_the_plans_targets_and_parse_like_configuration():
    assert Targets() == Targets.from_config(DEFAULTS)
    assert Targets().start_year == START_YEAR == Scope(2025).start_year
    assert Targets().k1 == (Target(2025, 0.7), Target(2030, 1.0))


def k4(as_of: date, **values) -> Indicator:
    return next(i for i in evaluate(kpis(**values), Targets(), as_of) if i.id == "k4")


def test_k4_with_no_shop_has_no_data_and_with_shops_follows_a_falling_line():
    none = k4(date(2025, 12, 31))
    assert none.status == Status.NO_DATA and none.value is None
    # Ten shops, none checked this year: nothing measured, not a reached zero.
    unchecked = k4(date(2025, 6, 30), k3=Ratio(0, 10), coverage=Ratio(0, 10))
    assert unchecked.status == Status.NO_DATA and unchecked.value is None
    checked = k4(date(2025, 6, 30), k3=Ratio(0, 10), coverage=Ratio(4, 10), k4_nonbio_bags=0)
    assert checked.status == Status.MET and checked.achieved == 1.0
    # 3 of 10 shops still hand out bags at the end of 2025: on the line to 0 in 2030.
    year_end = k4(date(2025, 12, 31), k3=Ratio(0, 10), coverage=Ratio(10, 10), k4_nonbio_bags=3)
    assert year_end.status == Status.ON_TRACK and year_end.zero_after is None


def test_after_2025_decree_08_2022_makes_any_shop_with_bags_behind():
    for as_of in (date(2026, 1, 1), date(2027, 6, 30)):
        one = k4(as_of, k3=Ratio(0, 10), coverage=Ratio(10, 10), k4_nonbio_bags=1)
        assert one.status == Status.BEHIND and one.zero_after == 2025 and one.expected == 0.0
        none = k4(as_of, k3=Ratio(0, 10), coverage=Ratio(10, 10), k4_nonbio_bags=0)
        assert none.status == Status.MET
    # Even a configured target above zero does not outweigh the law.
    lenient = Targets.from_config({"k4": "2@2030"})
    assert status(1, lenient.k4, 2021, date(2026, 3, 1), lower_is_better=True) == Status.MET
    judged = status(1, lenient.k4, 2021, date(2026, 3, 1), lower_is_better=True, zero_after=2025)
    assert judged == Status.BEHIND
    assert ZERO_AFTER == {"k4": 2025}


def test_target_years_and_the_target_of_a_year():
    k1 = Indicator("k1", "ratio", 0.5, targets=Targets().k1, target=Target(2025, 0.7))
    k2 = Indicator("k2", "count", 1, targets=Targets().k2, target=Target(2025, 1, 2))
    assert target_years([k1, k2]) == [2025, 2030]
    assert k1.target_in(2030) == Target(2030, 1.0) and k2.target_in(2030) is None
    assert k1.achieved == 0.5 / 0.7
