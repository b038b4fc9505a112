"""The plan's indicators (K1–K7, coverage), computed in SQL, and the targets they
are judged against.

Rules (domain.md, "Indicators and targets"):

* Only submitted runs count: drafts, cancelled runs and superseded runs (a check
  replaced by an "update that check") never do.
* Only operating sites count, in numerators and denominators alike: planned and
  closed sites are left out everywhere. A site's status is its status today.
* A year is the calendar year in Asia/Ho_Chi_Minh (configurable), converted to UTC
  bounds: [1 Jan Y 00:00 local, 1 Jan Y+1 00:00 local).
* Per-site indicators (K3, K4, K5, coverage) use the latest submitted check of a
  site in the year (by submitted_at, then id): the equivalent of ROW_NUMBER() OVER
  (PARTITION BY site_id ORDER BY submitted_at DESC, id DESC) = 1, written as one
  correlated "ORDER BY ... LIMIT 1" per site (see ``latest_runs_query``).
* K1 and K2 are cumulative: every submitted run from 1 January of the programme's
  start year (2021) to the end of the year asked for. K2 counts the latest run per
  (cluster, enterprise) with ROW_NUMBER(); enterprise names are compared trimmed
  and lower-cased (SQL lower(): on SQLite only A–Z are folded).
* A department filter keeps the runs submitted by that department's people
  (denominators stay all operating sites); a commune or old-district filter keeps
  the sites there. Energy-efficiency and trade-promotion runs (K6, K7) have no
  site, so with a place filter they are not attributable and come back as None.

The whole summary is six queries on the runs (see ``compute_kpis``). They are written so
that each does index lookups per site or per run whatever the planner's statistics
(correlated scalar subqueries, which PostgreSQL never turns into joins, and
MATERIALIZED CTEs), and they stay well under half a second with 10,000 sites and
200,000 checks (tests/bench/bench_summary.py).
"""

from __future__ import annotations

import asyncio
import math
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    DEPARTMENTS,
    Answer,
    ChecklistRun,
    Deadline,
    Department,
    Person,
    ReportConfirmation,
    Site,
)
from storage.textnorm import fold

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
RETAIL_KINDS = ("supermarket", "trade_centre")
CLUSTER_KIND = "industrial_cluster"

# Checklist and question ids the indicators key on (see handlers/checklists/*.toml).
SUPERMARKET = "supermarket"
CLUSTER_AWARENESS = "cluster_awareness"
CLEANER_PRODUCTION = "cleaner_production"
ENERGY_EFFICIENCY = "energy_efficiency"
TRADE_PROMOTION = "trade_promotion"

_run = ChecklistRun.__table__
_answer = Answer.__table__
_site = Site.__table__
_person = Person.__table__
_confirmation = ReportConfirmation.__table__

# "WITH x AS MATERIALIZED (...)" is understood from SQLite 3.35 (aiosqlite uses this library).
_SQLITE_MATERIALIZED = sqlite3.sqlite_version_info >= (3, 35, 0)

# Bound parameters per IN (...) stay far below SQLite's and asyncpg's limits.
_IDS_PER_QUERY = 500


# --- scope and time -----------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a computation covers: a year, optionally one place and one department."""

    year: int
    department: str | None = None
    commune: str | None = None
    old_district: str | None = None
    timezone: ZoneInfo = LOCAL_TZ
    # K1 and K2 count from 1 January of this year (the programme's start).
    start_year: int = 2021

    @property
    def has_place(self) -> bool:
        return bool(self.commune or self.old_district)

    def local_midnight(self, year: int) -> datetime:
        return datetime(year, 1, 1, tzinfo=self.timezone).astimezone(UTC)

    @property
    def start(self) -> datetime:
        """The year's first moment, in UTC."""
        return self.local_midnight(self.year)

    @property
    def end(self) -> datetime:
        """The next year's first moment, in UTC (exclusive bound)."""
        return self.local_midnight(self.year + 1)

    @property
    def programme_start(self) -> datetime:
        return self.local_midnight(min(self.start_year, self.year))


def current_year(timezone: ZoneInfo = LOCAL_TZ, now: datetime | None = None) -> int:
    return (now or datetime.now(UTC)).astimezone(timezone).year


def as_of_date(year: int, today: date) -> date:
    """The day a year's figures stand at: today within the year, else its last day."""
    return min(max(today, date(year, 1, 1)), date(year, 12, 31))


def _place_conditions(scope: Scope) -> list[Any]:
    conditions: list[Any] = []
    if scope.commune:
        conditions.append(_site.c.commune == scope.commune)
    if scope.old_district:
        conditions.append(_site.c.old_district == scope.old_district)
    return conditions


def _site_conditions(scope: Scope, kinds: Sequence[str] | None = None) -> list[Any]:
    """Operating sites (of these kinds) in the scope's place."""
    conditions: list[Any] = [_site.c.status == "operating", *_place_conditions(scope)]
    if kinds:
        conditions.append(_site.c.kind.in_(list(kinds)))
    return conditions


def _run_site_matches(
    scope: Scope, kinds: Sequence[str] | None = None, operating_only: bool = True
) -> Any:
    """The run's site is operating (of these kinds, in the scope's place), as a
    correlated scalar subquery: PostgreSQL never flattens it into a join, so it stays
    one primary-key lookup per run whatever the planner's statistics say."""
    conditions = _site_conditions(scope, kinds) if operating_only else _place_conditions(scope)
    return (
        sa.select(sa.literal(1))
        .where(_site.c.id == _run.c.site_id, *conditions)
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )


def _department_condition(scope: Scope, run=_run) -> list[Any]:
    if not scope.department:
        return []
    members = sa.select(_person.c.id).where(_person.c.department_code == scope.department)
    return [run.c.person_id.in_(members)]


def _submitted(checklist_id: str | None, since: datetime, until: datetime, run=_run) -> list[Any]:
    conditions = [
        run.c.status == "submitted",
        run.c.submitted_at >= since,
        run.c.submitted_at < until,
    ]
    if checklist_id is not None:
        conditions.insert(0, run.c.checklist_id == checklist_id)
    return conditions


def _answer_join(alias, question_id: str):
    return sa.and_(alias.c.run_id == _run.c.id, alias.c.question_id == question_id)


# --- results ---------------------------------------------------------------------------


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


def _int(value: Any) -> int:
    return int(round(float(value))) if value is not None else 0


# --- the queries --------------------------------------------------------------------------


async def _denominators(session: AsyncSession, scope: Scope) -> dict[str, int]:
    statement = (
        sa.select(_site.c.kind, sa.func.count())
        .where(*_site_conditions(scope))
        .group_by(_site.c.kind)
    )
    return {kind: count for kind, count in (await session.exec(statement)).all()}


async def _scalars(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """K1's numerator and the number of checks: one SELECT of two scalar subqueries."""
    department = _department_condition(scope)
    aware = _answer.alias("aware")
    # Per operating cluster: is there one qualifying run? A correlated "LIMIT 1"
    # subquery (never turned into a join) reads the cluster's runs through
    # ix_run_site_status_submitted and stops at the first one found.
    reached = (
        sa.select(sa.literal(1))
        .select_from(_run.join(aware, _answer_join(aware, "aware")))
        .where(
            _run.c.site_id == _site.c.id,
            *_submitted(CLUSTER_AWARENESS, scope.programme_start, scope.end),
            aware.c.value_text == "yes",
            *department,
        )
        .limit(1)
        .scalar_subquery()
    )
    k1 = (
        sa.select(sa.func.count())
        .select_from(_site)
        .where(*_site_conditions(scope, [CLUSTER_KIND]), reached.is_not(None))
        .scalar_subquery()
    )
    if scope.has_place:
        checks = (
            sa.select(sa.func.count())
            .select_from(_run)
            .where(
                *_submitted(None, scope.start, scope.end),
                # any site status: a check is a check
                _run_site_matches(scope, operating_only=False),
                *department,
            )
            .scalar_subquery()
        )
    else:
        checks = (
            sa.select(sa.func.count())
            .select_from(_run)
            .where(*_submitted(None, scope.start, scope.end), *department)
            .scalar_subquery()
        )
    columns = [k1.label("k1"), checks.label("checks")]
    row = (await session.exec(sa.select(*columns))).one()
    return dict(row._mapping)


def _materialized(cte):
    """A CTE computed once, never inlined: its correlated subqueries then run once per
    row instead of once per use (PostgreSQL 12+; SQLite 3.35+, older ones decide)."""
    cte = cte.prefix_with("MATERIALIZED", dialect="postgresql")
    if _SQLITE_MATERIALIZED:
        cte = cte.prefix_with("MATERIALIZED", dialect="sqlite")
    return cte


def _answer_value(question_id: str, column: str, run_id: Any = None) -> Any:
    """One answer of a run as a correlated scalar subquery (an index lookup on
    answer (run_id, question_id) per row, whatever the planner's statistics)."""
    return (
        sa.select(_answer.c[column])
        .where(
            _answer.c.run_id == (run_id if run_id is not None else _run.c.id),
            _answer.c.question_id == question_id,
        )
        .scalar_subquery()
    )


async def _activities(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """K6 and K7: one pass over the year's energy-efficiency and trade-promotion runs."""
    energy = _run.c.checklist_id == ENERGY_EFFICIENCY
    trade = _run.c.checklist_id == TRADE_PROMOTION

    def total(condition, value):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)

    statement = sa.select(
        total(energy, _answer_value("facilities_reached", "value_number")).label("k6"),
        total(trade, 1).label("k7_events"),
        total(trade, _answer_value("eco_products", "value_number")).label("k7_products"),
        total(trade, _answer_value("suppliers", "value_number")).label("k7_suppliers"),
    ).where(
        _run.c.checklist_id.in_([ENERGY_EFFICIENCY, TRADE_PROMOTION]),
        *_submitted(None, scope.start, scope.end),
        *_department_condition(scope),
    )
    return dict((await session.exec(statement)).one()._mapping)


def latest_runs_query(
    scope: Scope,
    checklist_id: str,
    kinds: Sequence[str],
    since: datetime,
    until: datetime,
    require: tuple[str, str] | None = None,
):
    """A CTE "latest" (site_id, run_id): per operating site of these kinds, its latest
    submitted run in [since, until), run_id NULL when there is none; with ``require``
    (question id, answer) only runs with that answer count.

    Equivalent to ROW_NUMBER() OVER (PARTITION BY site_id ORDER BY submitted_at DESC,
    id DESC) = 1, written per site as two correlated lookups on
    ix_run_site_status_submitted: the latest submitted_at (ORDER BY ... DESC LIMIT 1
    stops at the first entry), then the highest id at that moment (the tie-break).
    It reads a couple of index entries per site instead of ranking every run of the
    year, so it grows with the sites, not with the checks. Materialized, so it runs
    once per site, not once per use.
    """

    def conditions(run, ranged: bool = True) -> list[Any]:
        found = [run.c.site_id == _site.c.id, run.c.status == "submitted"]
        if ranged:
            found += [run.c.submitted_at >= since, run.c.submitted_at < until]
        found += [run.c.checklist_id == checklist_id, *_department_condition(scope, run)]
        if require is not None:
            answer = _answer.alias()
            found.append(
                sa.exists(
                    sa.select(sa.literal(1)).where(
                        answer.c.run_id == run.c.id,
                        answer.c.question_id == require[0],
                        answer.c.value_text == require[1],
                    )
                )
            )
        return found

    newest = _run.alias("newest")
    latest_at = (
        sa.select(newest.c.submitted_at)
        .where(*conditions(newest))
        .order_by(newest.c.submitted_at.desc())
        .limit(1)
        .correlate(_site)  # two levels up: the site row of the outer query
        .scalar_subquery()
    )
    latest_id = (
        sa.select(sa.func.max(_run.c.id))
        # the moment found is in range: an equality lets the index find it directly
        .where(*conditions(_run, ranged=False), _run.c.submitted_at == latest_at)
        .scalar_subquery()
    )
    return _materialized(
        sa.select(_site.c.id.label("site_id"), latest_id.label("run_id"))
        .where(*_site_conditions(scope, kinds))
        .cte("latest")
    )


async def _retail(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """K3, K4, K5 and coverage from the latest supermarket check per site in the year."""
    latest = latest_runs_query(scope, SUPERMARKET, RETAIL_KINDS, scope.start, scope.end)
    answers = _materialized(
        sa.select(
            latest.c.run_id,
            _answer_value("packaging_replaced", "value_text", latest.c.run_id).label("packaging"),
            _answer_value("nonbio_bags", "value_text", latest.c.run_id).label("bags"),
            _answer_value("eco_label", "value_text", latest.c.run_id).label("eco"),
        )
        .where(latest.c.run_id.is_not(None))
        .cte("latest_answers")
    )

    def count_if(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    eco = answers.c.eco == "yes"
    # The number of codes is looked up only where the eco label is on sale.
    codes = _answer_value("eco_label_count", "value_number", answers.c.run_id)
    statement = sa.select(
        sa.func.count().label("checked"),
        count_if(answers.c.packaging == "full").label("k3"),
        count_if(answers.c.bags == "yes").label("k4"),
        count_if(eco).label("k5_sites"),
        sa.func.coalesce(sa.func.sum(sa.case((eco, codes), else_=0)), 0).label("k5_codes"),
    ).select_from(answers)
    return dict((await session.exec(statement)).one()._mapping)


async def _models(session: AsyncSession, scope: Scope) -> tuple[int, int]:
    """K2: the latest run per (cluster, enterprise) since the programme's start, by
    ROW_NUMBER() over the runs. Ranking is within a site, so whether the site is an
    operating cluster is checked after ranking, on the latest runs only."""
    enterprise = sa.func.lower(
        sa.func.trim(sa.func.coalesce(_answer_value("enterprise", "value_text"), ""))
    )
    runs = _materialized(
        sa.select(
            _run.c.id.label("run_id"),
            _run.c.site_id.label("site_id"),
            _run.c.submitted_at.label("submitted_at"),
            enterprise.label("enterprise"),
            _answer_value("stage", "value_text").label("stage"),
        )
        .where(
            *_submitted(CLEANER_PRODUCTION, scope.programme_start, scope.end),
            *_department_condition(scope),
        )
        .cte("model_runs")
    )
    rank = (
        sa.func.row_number()
        .over(
            partition_by=(runs.c.site_id, runs.c.enterprise),
            order_by=(runs.c.submitted_at.desc(), runs.c.run_id.desc()),
        )
        .label("rank")
    )
    ranked = sa.select(runs.c.site_id, runs.c.stage, rank).subquery("ranked_models")
    site_ok = (
        sa.select(sa.literal(1))
        .where(_site.c.id == ranked.c.site_id, *_site_conditions(scope, [CLUSTER_KIND]))
        .limit(1)
        .scalar_subquery()
    )

    def count_stage(value: str):
        return sa.func.coalesce(sa.func.sum(sa.case((ranked.c.stage == value, 1), else_=0)), 0)

    statement = sa.select(count_stage("applied"), count_stage("building")).where(
        ranked.c.rank == 1, site_ok.is_not(None)
    )
    applied, building = (await session.exec(statement)).one()
    return _int(applied), _int(building)


async def _never_checked(session: AsyncSession, scope: Scope) -> tuple[SiteRef, ...]:
    """Operating sites with no submitted run of any checklist up to the year's end."""
    checked = (
        sa.select(sa.literal(1))
        .where(
            _run.c.site_id == _site.c.id,
            _run.c.status == "submitted",
            _run.c.submitted_at < scope.end,
            *_department_condition(scope),
        )
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        sa.select(_site.c.code, _site.c.name, _site.c.kind, _site.c.commune)
        .where(*_site_conditions(scope), checked.is_(None))
        .order_by(_site.c.kind, _site.c.code)
    )
    return tuple(SiteRef(*row) for row in (await session.exec(statement)).all())


def _due_in(deadline: Deadline, year: int) -> date | None:
    if deadline.due_date is not None:
        return deadline.due_date if deadline.due_date.year == year else None
    if deadline.yearly_month and deadline.yearly_day:
        try:
            return date(year, deadline.yearly_month, deadline.yearly_day)
        except ValueError:  # 29 February in a common year
            return date(year, deadline.yearly_month, 28)
    return None


async def report_statuses(session: AsyncSession, scope: Scope) -> tuple[ReportStatus, ...]:
    """Each active deadline due in the year × each department it asks, with the
    head's confirmation where there is one (confirmations of inactive deadlines too)."""
    deadlines = (await session.exec(select(Deadline))).all()
    confirmations = (
        await session.exec(
            sa.select(
                _confirmation.c.deadline_id,
                _confirmation.c.department_code,
                _confirmation.c.confirmed_at,
                _person.c.name,
            )
            .select_from(
                _confirmation.join(_person, _person.c.id == _confirmation.c.confirmed_by_id)
            )
            .where(_confirmation.c.year == scope.year)
        )
    ).all()
    if not deadlines and not confirmations:
        return ()
    known = [code for code, _vi, _en in DEPARTMENTS]
    all_departments = sorted(
        (await session.exec(sa.select(Department.__table__.c.code))).scalars(),
        key=lambda code: (known.index(code) if code in known else len(known), code),
    )
    confirmed = {(row[0], row[1]): (row[2], row[3]) for row in confirmations}
    statuses = []
    for deadline in sorted(deadlines, key=lambda d: d.id):
        due = _due_in(deadline, scope.year)
        has_confirmation = any(key[0] == deadline.id for key in confirmed)
        if due is None or (not deadline.active and not has_confirmation):
            continue
        departments = list(deadline.departments) or all_departments
        departments += [
            code for (d, code) in confirmed if d == deadline.id and code not in departments
        ]
        for code in departments:
            if scope.department and code != scope.department:
                continue
            at, by = confirmed.get((deadline.id, code), (None, None))
            if at is not None and at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
            statuses.append(
                ReportStatus(deadline.id, deadline.title_vi, deadline.title_en, due, code, at, by)
            )
    return tuple(statuses)


async def _jit_off(session: AsyncSession) -> None:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # Short index-driven queries whose estimated cost (correlated subqueries)
        # crosses jit_above_cost: compiling them would take longer than running
        # them. For this transaction only.
        await session.exec(sa.text("SET LOCAL jit = off"))


def _can_fan_out(session: AsyncSession) -> bool:
    """Other connections see the same data: a file or server database behind an engine
    (not one connection, not an in-memory SQLite database)."""
    bind = session.bind
    if not isinstance(bind, AsyncEngine):
        return False
    return bind.dialect.name != "sqlite" or bind.url.database not in (None, "", ":memory:")


async def _on_own_connection(engine: AsyncEngine, query, scope: Scope):
    async with AsyncSession(engine, expire_on_commit=False) as own:
        await _jit_off(own)
        return await query(own, scope)


async def compute_kpis(
    session: AsyncSession,
    year: int,
    *,
    department: str | None = None,
    commune: str | None = None,
    old_district: str | None = None,
    timezone: ZoneInfo = LOCAL_TZ,
    start_year: int = 2021,
    concurrent: bool = True,
) -> Kpis:
    """Every indicator for a year: six read-only queries for the figures and three on
    the small deadline, confirmation and department tables.

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
    )
    queries = [_denominators, _scalars, _retail, _models, _never_checked, report_statuses]
    if not scope.has_place:
        queries.append(_activities)
    if concurrent and _can_fan_out(session):
        results = await asyncio.gather(
            *(_on_own_connection(session.bind, query, scope) for query in queries)
        )
    else:
        await _jit_off(session)
        results = [await query(session, scope) for query in queries]
    denominators, scalars, retail, (applied, building), never, reports = results[:6]
    if not scope.has_place:
        scalars = {**scalars, **results[6]}
    clusters = denominators.get(CLUSTER_KIND, 0)
    shops = sum(denominators.get(kind, 0) for kind in RETAIL_KINDS)
    place = scope.has_place
    return Kpis(
        scope=scope,
        k1=Ratio(_int(scalars["k1"]), clusters),
        k2_applied=applied,
        k2_building=building,
        k3=Ratio(_int(retail["k3"]), shops),
        k4_nonbio_bags=_int(retail["k4"]),
        k5_sites=_int(retail["k5_sites"]),
        k5_product_codes=_int(retail["k5_codes"]),
        k6_facilities=None if place else _int(scalars["k6"]),
        k7_events=None if place else _int(scalars["k7_events"]),
        k7_eco_products=None if place else _int(scalars["k7_products"]),
        k7_suppliers=None if place else _int(scalars["k7_suppliers"]),
        coverage=Ratio(_int(retail["checked"]), shops),
        never_checked=never,
        checks=_int(scalars["checks"]),
        reports=reports,
    )


# --- rows for exports and annexes ------------------------------------------------------


@dataclass
class CheckRow:
    """One submitted run with who, where and its answers (question id -> answer row)."""

    run_id: int
    checklist_id: str
    checklist_version: int
    submitted_at: datetime
    inspector: str
    department: str
    site_code: str | None
    site_name: str | None
    site_kind: str | None
    site_commune: str | None
    site_old_district: str | None
    answers: dict[str, Any] = field(default_factory=dict)


_CHECK_COLUMNS = (
    _run.c.id,
    _run.c.checklist_id,
    _run.c.checklist_version,
    _run.c.submitted_at,
    _person.c.name,
    _person.c.department_code,
    _site.c.code,
    _site.c.name,
    _site.c.kind,
    _site.c.commune,
    _site.c.old_district,
)


def _check_rows(rows) -> list[CheckRow]:
    return [CheckRow(*row) for row in rows]


async def attach_answers(session: AsyncSession, checks: list[CheckRow]) -> list[CheckRow]:
    """Fills each row's answers (not the skipped ones) in chunks of ids."""
    by_id = {check.run_id: check for check in checks}
    ids = list(by_id)
    for begin in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[begin : begin + _IDS_PER_QUERY]
        statement = sa.select(
            _answer.c.run_id,
            _answer.c.question_id,
            _answer.c.value_text,
            _answer.c.value_number,
            _answer.c.value_date,
            _answer.c.value_json,
        ).where(_answer.c.run_id.in_(chunk), _answer.c.skipped.is_(False))
        for row in (await session.exec(statement)).all():
            by_id[row.run_id].answers[row.question_id] = row
    return checks


async def submitted_checks(session: AsyncSession, scope: Scope) -> list[CheckRow]:
    """Every submitted run in the year (status submitted only), oldest first, with
    answers; a place filter keeps runs at sites there (runs without a site go)."""
    joined = _run.join(_person, _person.c.id == _run.c.person_id).outerjoin(
        _site, _site.c.id == _run.c.site_id
    )
    conditions = [
        *_submitted(None, scope.start, scope.end),
        *_department_condition(scope),
        *_place_conditions(scope),
    ]
    statement = (
        sa.select(*_CHECK_COLUMNS)
        .select_from(joined)
        .where(*conditions)
        .order_by(_run.c.checklist_id, _run.c.submitted_at, _run.c.id)
    )
    checks = _check_rows((await session.exec(statement)).all())
    return await attach_answers(session, checks)


async def latest_checks(
    session: AsyncSession,
    scope: Scope,
    checklist_id: str,
    kinds: Sequence[str],
    *,
    cumulative: bool = False,
    require: tuple[str, str] | None = None,
) -> list[CheckRow]:
    """The latest submitted run per operating site (in the year, or since the
    programme's start when cumulative), optionally only runs where question
    require[0] was answered require[1]; ordered by site name, with answers."""
    since = scope.programme_start if cumulative else scope.start
    latest = latest_runs_query(scope, checklist_id, kinds, since, scope.end, require)
    statement = (
        sa.select(*_CHECK_COLUMNS)
        .select_from(
            latest.join(_run, _run.c.id == latest.c.run_id)
            .join(_person, _person.c.id == _run.c.person_id)
            .join(_site, _site.c.id == _run.c.site_id)
        )
        .order_by(_site.c.name, _site.c.code)
    )
    checks = _check_rows((await session.exec(statement)).all())
    return await attach_answers(session, checks)


async def sites_with_activity(session: AsyncSession, scope: Scope) -> list[tuple[Any, int, Any]]:
    """Every site (all statuses) with its number of submitted checks in the year and
    its last submitted check up to the year's end: (site row, checks, last)."""
    in_year = sa.and_(_run.c.submitted_at >= scope.start, _run.c.submitted_at < scope.end)
    counted = (
        sa.select(
            _run.c.site_id.label("site_id"),
            sa.func.sum(sa.case((in_year, 1), else_=0)).label("checks"),
            sa.func.max(_run.c.submitted_at).label("last"),
        )
        .where(
            _run.c.status == "submitted",
            _run.c.site_id.is_not(None),
            _run.c.submitted_at < scope.end,
            *_department_condition(scope),
        )
        .group_by(_run.c.site_id)
        .subquery("counted")
    )
    statement = (
        sa.select(
            _site,
            sa.func.coalesce(counted.c.checks, 0),
            # max() of a timestamp comes back as text on SQLite: give it the column type.
            sa.type_coerce(counted.c.last, _run.c.submitted_at.type),
        )
        .select_from(_site.outerjoin(counted, counted.c.site_id == _site.c.id))
        .where(*_place_conditions(scope))
        .order_by(_site.c.kind, _site.c.name, _site.c.code)
    )
    return [(row, _int(row[-2]), row[-1]) for row in (await session.exec(statement)).all()]


async def find_places(session: AsyncSession, text: str) -> list[tuple[str, str]]:
    """Communes and old districts matching typed text, accents and case aside:
    [("commune" | "old_district", stored name)]; an exact (folded) match wins."""
    wanted = fold(text)
    if not wanted:
        return []
    communes = (await session.exec(sa.select(sa.distinct(_site.c.commune)))).scalars().all()
    districts = (await session.exec(sa.select(sa.distinct(_site.c.old_district)))).scalars().all()
    places = [("commune", name) for name in communes if name] + [
        ("old_district", name) for name in districts if name
    ]
    exact = [place for place in places if fold(place[1]) == wanted]
    if exact:
        return exact
    words = wanted.split()
    return [place for place in places if all(w in fold(place[1]).split() for w in words)]


# --- targets -----------------------------------------------------------------------


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


@dataclass(frozen=True)
class Targets:
    """The plan's targets (Decision 889/QĐ-TTg and the provincial plan); configuration
    may replace any of them: see ``from_config``."""

    start_year: int = 2021
    k1: tuple[Target, ...] = (Target(2025, 0.70), Target(2030, 1.0))
    k2: tuple[Target, ...] = (Target(2025, 1, 2),)
    k3: tuple[Target, ...] = (Target(2025, 0.85), Target(2030, 1.0))
    k4: tuple[Target, ...] = (Target(2030, 0),)

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


def status(
    value: float | None,
    targets: Sequence[Target],
    start_year: int,
    as_of: date,
    *,
    lower_is_better: bool = False,
    baseline: float = 0.0,
) -> Status:
    """Met (the current target reached), on track (at or past the straight line),
    behind (short of it). For "lower is better" (K4: sites still handing out bags) the
    line runs down from ``baseline`` (e.g. every operating supermarket at the start)."""
    target = current_target(targets, as_of)
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

    @property
    def achieved(self) -> float | None:
        """Result ÷ current target (1.0 = 100%); for "zero" targets, 1.0 when reached."""
        if self.target is None or self.value is None:
            return None
        if self.target.value == 0:
            return 1.0 if self.value == 0 else None
        return self.value / self.target.value


def evaluate(kpis: Kpis, targets: Targets, as_of: date | None = None) -> list[Indicator]:
    """The indicators with their targets and status, in table order."""
    as_of = as_of or _year_end(kpis.scope.year)
    start = targets.start_year

    def judged(id_: str, kind: str, value, ratio=None, extra=None, **options) -> Indicator:
        own = targets.of(id_)
        return Indicator(
            id=id_,
            kind=kind,
            value=value,
            ratio=ratio,
            extra=extra or {},
            targets=own,
            target=current_target(own, as_of),
            expected=expected_value(own, start, as_of, options.get("baseline", 0.0)),
            status=status(value, own, start, as_of, **options),
        )

    shops = kpis.k3.denominator
    return [
        judged("k1", "ratio", kpis.k1.value, kpis.k1),
        judged("k2", "count", kpis.k2_applied, extra={"building": kpis.k2_building}),
        judged("k3", "ratio", kpis.k3.value, kpis.k3),
        judged(
            "k4",
            "count",
            kpis.k4_nonbio_bags if shops else None,
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


def percent_text(share: float | None, language: str = "vi") -> str:
    """0.857 -> '85,7%' (vi) or '85.7%' (en); 0.85 -> '85%'; None -> '—'."""
    if share is None or math.isnan(share):
        return "—"
    value = round(share * 100, 1)
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    if language == "vi":
        text = text.replace(".", ",")
    return f"{text}%"
