"""Every indicator of a year: the queries of storage.kpis.queries, run side by side."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.kpis import keys as k
from storage.kpis import queries as q
from storage.kpis.report_status import report_statuses
from storage.kpis.results import Kpis, Ratio
from storage.kpis.scope import LOCAL_TZ, START_YEAR, Scope, as_int


def _can_fan_out(session: AsyncSession) -> bool:
    """Other connections see the same data: a file or server database behind an engine
    (not one connection, not an in-memory SQLite database)."""
    bind = session.bind
    if not isinstance(bind, AsyncEngine):
        return False
    return bind.dialect.name != "sqlite" or bind.url.database not in (None, "", ":memory:")


# SQLite's page cache for the length of one indicator query, in KiB. The queries
# read a few MB of index pages, some of them many times (K2 looks up the answers of
# 50,000 runs): in the default 2 MB they were read from the OS again and again (K2 at
# 1,000,000 checks: 500 ms; 266 ms with 16 MB). Given back afterwards, so the pool's
# idle connections hold 2 MB each, not 16.
QUERY_CACHE_KIB = 16_384
_DEFAULT_CACHE_KIB = 2_000


async def _run(query, session: AsyncSession, scope: Scope):
    """``query`` on ``session``, on SQLite with the larger page cache meanwhile.
    (PostgreSQL sessions run without JIT: storage.db.create_engine.)"""
    if session.bind is None or session.bind.dialect.name != "sqlite":
        return await query(session, scope)
    await session.exec(sa.text(f"PRAGMA cache_size=-{QUERY_CACHE_KIB}"))
    try:
        return await query(session, scope)
    finally:
        await session.exec(sa.text(f"PRAGMA cache_size=-{_DEFAULT_CACHE_KIB}"))


async def _on_own_connection(engine: AsyncEngine, query, scope: Scope):
    async with AsyncSession(engine, expire_on_commit=False) as own:
        return await _run(query, own, scope)


async def compute_kpis(
    session: AsyncSession,
    year: int,
    *,
    department: str | None = None,
    commune: str | None = None,
    old_district: str | None = None,
    timezone: ZoneInfo = LOCAL_TZ,
    start_year: int = START_YEAR,
    concurrent: bool = True,
    review_rule: str = "all",
) -> Kpis:
    """Every indicator for a year: six read-only queries for the figures and three on
    the small deadline, confirmation and department tables (under the "all" review
    rule, after one look at whether any check was ever rejected).

    With ``concurrent`` (the default) the queries run at the same time, each on its
    own pooled connection of the session's engine (they only read committed data);
    otherwise, or when the session cannot fan out, one after another on ``session``.
    """
    scope = Scope(
        year=year,
        department=department or None,
        commune=commune or None,
        old_district=old_district or None,
        timezone=timezone,
        start_year=start_year,
        review_rule=review_rule,
    )
    if review_rule == "all":
        scope = replace(scope, any_rejected=await q.any_rejected(session))
    queries = [q.denominators, q.scalars, q.retail, q.models, q.never_checked, report_statuses]
    if not scope.has_place:
        queries.append(q.activities)
    if concurrent and _can_fan_out(session):
        results = await asyncio.gather(
            *(_on_own_connection(session.bind, query, scope) for query in queries)
        )
    else:
        results = [await _run(query, session, scope) for query in queries]
    return _kpis(scope, *results)


def _kpis(scope, denominators, scalars, retail, models, never, reports, activities=None) -> Kpis:
    clusters = denominators.get(k.CLUSTER_KIND, 0)
    shops = sum(denominators.get(kind, 0) for kind in k.RETAIL_KINDS)
    # K6 and K7 have no site: with a place filter they are not attributable (None).
    activity = {} if activities is None else {key: as_int(v) for key, v in activities.items()}
    return Kpis(
        scope=scope,
        k1=Ratio(as_int(scalars["k1"]), clusters),
        k2_applied=models[0],
        k2_building=models[1],
        k3=Ratio(as_int(retail["k3"]), shops),
        k4_nonbio_bags=as_int(retail["k4"]),
        k5_sites=as_int(retail["k5_sites"]),
        k5_product_codes=as_int(retail["k5_codes"]),
        k6_facilities=activity.get("k6"),
        k7_events=activity.get("k7_events"),
        k7_eco_products=activity.get("k7_products"),
        k7_suppliers=activity.get("k7_suppliers"),
        coverage=Ratio(as_int(retail["checked"]), shops),
        never_checked=never,
        checks=as_int(scalars["checks"]),
        reports=reports,
    )
