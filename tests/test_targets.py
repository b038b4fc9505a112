"""Targets and status (handlers/targets.py) without a database: pure functions."""

from __future__ import annotations

from datetime import date

from handlers.targets import DEFAULTS, Indicator, Status, Target, Targets, target_years
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


def test_k4_with_no_shop_has_no_data_and_with_shops_follows_a_falling_line():
    from handlers.targets import evaluate

    none = {i.id: i for i in evaluate(kpis(), Targets(), date(2025, 12, 31))}
    assert none["k4"].status == Status.NO_DATA and none["k4"].value is None
    shops = {
        i.id: i
        for i in evaluate(kpis(k3=Ratio(0, 10), k4_nonbio_bags=0), Targets(), date(2025, 6, 30))
    }
    assert shops["k4"].status == Status.MET and shops["k4"].achieved == 1.0


def test_target_years_and_the_target_of_a_year():
    k1 = Indicator("k1", "ratio", 0.5, targets=Targets().k1, target=Target(2025, 0.7))
    k2 = Indicator("k2", "count", 1, targets=Targets().k2, target=Target(2025, 1, 2))
    assert target_years([k1, k2]) == [2025, 2030]
    assert k1.target_in(2030) == Target(2030, 1.0) and k2.target_in(2030) is None
    assert k1.achieved == 0.5 / 0.7
