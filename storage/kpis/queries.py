"""The indicator queries, one function per group of figures (see compute_kpis).

Per-site figures are index lookups per site whatever the planner's statistics
(correlated scalar subqueries, which PostgreSQL never turns into joins, and
MATERIALIZED CTEs); figures over every run of a checklist (K6, K7) join the runs
with their question's partial index (migration 0011), whose id is written into the
SQL so the planner can match it (scope.is_question); K2 ranks the runs in the order
of their own partial index (migration 0012).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.kpis import keys as k
from storage.kpis.results import SiteRef
from storage.kpis.scope import (
    Scope,
    answer_t,
    as_int,
    count_if,
    department_condition,
    is_question,
    review_condition,
    run_site_matches,
    run_t,
    site_conditions,
    site_t,
    submitted,
)
from storage.models import ReviewEvent

review_t = ReviewEvent.__table__
# "WITH x AS MATERIALIZED (...)" is understood from SQLite 3.35 (aiosqlite uses this library).
_SQLITE_MATERIALIZED = sqlite3.sqlite_version_info >= (3, 35, 0)


def materialized(cte):
    """A CTE computed once, never inlined: its correlated subqueries then run once per
    row instead of once per use (PostgreSQL 12+; SQLite 3.35+, older ones decide)."""
    cte = cte.prefix_with("MATERIALIZED", dialect="postgresql")
    if _SQLITE_MATERIALIZED:
        cte = cte.prefix_with("MATERIALIZED", dialect="sqlite")
    return cte


def answer_value(question_id: str, column: str, run_id: Any = None) -> Any:
    """One answer of a run as a correlated scalar subquery (an index lookup on
    answer (run_id, question_id) per row, whatever the planner's statistics)."""
    return (
        sa.select(answer_t.c[column])
        .where(
            answer_t.c.run_id == (run_id if run_id is not None else run_t.c.id),
            is_question(answer_t, question_id),
        )
        .scalar_subquery()
    )


async def any_rejected(session: AsyncSession) -> bool:
    """Whether any check was ever rejected (the review table read to the first one)."""
    found = sa.exists().where(review_t.c.state == "rejected")
    return bool((await session.exec(sa.select(found))).scalar())


async def denominators(session: AsyncSession, scope: Scope) -> dict[str, int]:
    statement = (
        sa.select(site_t.c.kind, sa.func.count())
        .where(*site_conditions(scope))
        .group_by(site_t.c.kind)
    )
    return {kind: count for kind, count in (await session.exec(statement)).all()}


def _checks_in_year(scope: Scope) -> Any:
    """The year's submitted checks that count. Counted through
    ix_run_status_submitted, then the few decided by a review are taken off (or, for
    "approved", only they are counted), those found from the small review table with
    a primary-key lookup each: one index range in all, not a second pass over the
    year's checks to test each against the review list."""
    conditions = [*submitted(None, scope.start, scope.end), *department_condition(scope)]
    if scope.has_place:
        # any site status: a check is a check
        conditions.append(run_site_matches(scope, operating_only=False))

    def decided(state: str) -> Any:
        # The review rows in the FROM, the run an EXISTS on its primary key: a join
        # let SQLite (no statistics on an empty review table) walk the year's runs.
        # Distinct: a check may have been rejected, corrected and rejected again.
        in_year = sa.exists().where(run_t.c.id == review_t.c.run_id, *conditions)
        return (
            sa.select(sa.func.count(sa.distinct(review_t.c.run_id)))
            .where(review_t.c.state == state, in_year)
            .scalar_subquery()
        )

    # The rule of storage.review.counted, driven from the small review table.
    if scope.review_rule == "approved":
        return decided("approved")
    every = sa.select(sa.func.count()).select_from(run_t).where(*conditions).scalar_subquery()
    return every - decided("rejected")


async def scalars(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """K1's numerator and the number of checks: one SELECT of two scalar subqueries."""
    aware = answer_t.alias("aware")
    # Per operating cluster: is there one qualifying run? A correlated "LIMIT 1"
    # subquery (never turned into a join) reads the cluster's runs through
    # ix_run_site_status_submitted and stops at the first one found.
    reached = (
        sa.select(sa.literal(1))
        .select_from(
            run_t.join(aware, sa.and_(aware.c.run_id == run_t.c.id, is_question(aware, k.AWARE)))
        )
        .where(
            run_t.c.site_id == site_t.c.id,
            *submitted(k.CLUSTER_AWARENESS, scope.programme_start, scope.end),
            aware.c.value_text == "yes",
            *department_condition(scope),
            *review_condition(scope),
        )
        .limit(1)
        .scalar_subquery()
    )
    k1 = (
        sa.select(sa.func.count())
        .select_from(site_t)
        .where(*site_conditions(scope, [k.CLUSTER_KIND]), reached.is_not(None))
        .scalar_subquery()
    )
    row = await session.exec(sa.select(k1.label("k1"), _checks_in_year(scope).label("checks")))
    return dict(row.one()._mapping)


def _counted_runs(checklist_id: str, scope: Scope) -> list[Any]:
    """The year's runs of a checklist that count (submitted, department, review)."""
    return [
        *submitted(checklist_id, scope.start, scope.end),
        *department_condition(scope),
        *review_condition(scope),
    ]


def _answer_total(checklist_id: str, question_id: str, scope: Scope) -> Any:
    """The sum of one numeric answer over the year's counted runs of a checklist, as
    a scalar subquery: the runs from ix_run_checklist_status_submitted, each answer
    from its question's partial index (migration 0011), neither table touched."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(answer_t.c.value_number), 0))
        .select_from(run_t.join(answer_t, answer_t.c.run_id == run_t.c.id))
        .where(is_question(answer_t, question_id), *_counted_runs(checklist_id, scope))
        .scalar_subquery()
    )


async def activities(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """K6 and K7: the events counted and three answers summed, each its own subquery
    (one pass of two covering indexes per figure rather than one pass over the runs
    of both checklists with a lookup per run and question)."""
    trade = _counted_runs(k.TRADE_PROMOTION, scope)
    events = sa.select(sa.func.count()).select_from(run_t).where(*trade).scalar_subquery()
    statement = sa.select(
        _answer_total(k.ENERGY_EFFICIENCY, k.FACILITIES_REACHED, scope).label("k6"),
        events.label("k7_events"),
        _answer_total(k.TRADE_PROMOTION, k.ECO_PRODUCTS, scope).label("k7_products"),
        _answer_total(k.TRADE_PROMOTION, k.SUPPLIERS, scope).label("k7_suppliers"),
    )
    return dict((await session.exec(statement)).one()._mapping)


def _run_conditions(
    run,
    scope: Scope,
    checklist_id: str,
    window: tuple[datetime, datetime] | None,
    require: tuple[str, str] | None,
) -> list[Any]:
    """A run (table or alias ``run``) of the outer query's site that counts: submitted,
    in ``window`` if given, of this checklist, department and review rule, and with the
    ``require``d (question id, answer) if given."""
    found = [run.c.site_id == site_t.c.id, run.c.status == "submitted"]
    if window is not None:
        found += [run.c.submitted_at >= window[0], run.c.submitted_at < window[1]]
    found += [
        run.c.checklist_id == checklist_id,
        *department_condition(scope, run),
        *review_condition(scope, run),
    ]
    if require is not None:
        answer = answer_t.alias()
        found.append(
            sa.exists(
                sa.select(sa.literal(1)).where(
                    answer.c.run_id == run.c.id,
                    is_question(answer, require[0]),
                    answer.c.value_text == require[1],
                )
            )
        )
    return found


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
    id DESC) = 1, written per site as one correlated lookup on
    ix_run_site_checklist_submitted (site, checklist, status, submitted_at, id;
    migration 0010): ORDER BY submitted_at DESC, id DESC LIMIT 1 walks the site's
    runs of the checklist backwards from the window's end and stops at the first
    one that counts. It reads a couple of index entries per site instead of ranking
    every run of the year, so it grows with the sites, not with the checks.
    Materialized, so it runs once per site, not once per use.
    """
    latest_id = (
        sa.select(run_t.c.id)
        .where(*_run_conditions(run_t, scope, checklist_id, (since, until), require))
        .order_by(run_t.c.submitted_at.desc(), run_t.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return materialized(
        sa.select(site_t.c.id.label("site_id"), latest_id.label("run_id"))
        .where(*site_conditions(scope, kinds))
        .cte("latest")
    )


async def retail(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """K3, K4, K5 and coverage from the latest supermarket check per site in the year."""
    latest = latest_runs_query(scope, k.SUPERMARKET, k.RETAIL_KINDS, scope.start, scope.end)
    run_id = latest.c.run_id
    answers = materialized(
        sa.select(
            run_id,
            answer_value(k.PACKAGING_REPLACED, "value_text", run_id).label("packaging"),
            answer_value(k.NONBIO_BAGS, "value_text", run_id).label("bags"),
            answer_value(k.ECO_LABEL, "value_text", run_id).label("eco"),
        )
        .where(run_id.is_not(None))
        .cte("latest_answers")
    )
    eco = answers.c.eco == "yes"
    # The number of codes is looked up only where the eco label is on sale.
    codes = answer_value(k.ECO_LABEL_COUNT, "value_number", answers.c.run_id)
    statement = sa.select(
        sa.func.count().label("checked"),
        count_if(answers.c.packaging == "full").label("k3"),
        count_if(answers.c.bags == "yes").label("k4"),
        count_if(eco).label("k5_sites"),
        count_if(eco, codes).label("k5_codes"),
    ).select_from(answers)
    return dict((await session.exec(statement)).one()._mapping)


async def models(session: AsyncSession, scope: Scope) -> tuple[int, int]:
    """K2: the latest run per (cluster, enterprise) since the programme's start. The
    runs come from ix_run_models (migration 0012) in the order the window needs,
    each model's together, oldest first, so neither the enterprise answers nor a
    sort are read; only the latest runs look up their stage.

    The window covers every counted run, not only those up to the year's end: a run
    is its model's latest of the year when it is in [start, end) and the next one is
    none or after the end. A range in the WHERE would let SQLite's planner, which
    guesses that a range keeps a sixteenth of the rows, prefer the checklist's time
    index and sort. The ranked runs are a subquery, not a MATERIALIZED CTE: read once,
    they stream to the filter (materialized, PostgreSQL wrote all 50,000 of them to a
    temporary file first: 102 against 51 ms). Ranking is within a site, so whether the
    site is an operating cluster is checked after ranking, on the latest runs only."""
    checklist = sa.literal(k.CLEANER_PRODUCTION, literal_execute=True)  # the partial index
    next_at = (  # typed as the column, so a bound time compares as the column's do
        sa.func.lead(run_t.c.submitted_at, type_=run_t.c.submitted_at.type)
        .over(
            partition_by=(run_t.c.site_id, run_t.c.enterprise_key),
            order_by=(run_t.c.submitted_at, run_t.c.id),
        )
        .label("next_at")
    )
    runs = (
        sa.select(
            run_t.c.id.label("run_id"),
            run_t.c.site_id.label("site_id"),
            run_t.c.submitted_at.label("submitted_at"),
            next_at,
        )
        .where(
            run_t.c.checklist_id == checklist,
            run_t.c.status == "submitted",
            *department_condition(scope),
            *review_condition(scope),
        )
        .subquery("model_runs")
    )
    stage = answer_t.alias("stage")
    found = runs.outerjoin(stage, (stage.c.run_id == runs.c.run_id) & is_question(stage, k.STAGE))
    latest = [
        runs.c.submitted_at >= scope.programme_start,
        runs.c.submitted_at < scope.end,
        sa.or_(runs.c.next_at.is_(None), runs.c.next_at >= scope.end),
    ]
    # The operating clusters read once into a hash, not looked up per latest run.
    clusters = sa.select(site_t.c.id).where(*site_conditions(scope, [k.CLUSTER_KIND]))
    statement = (
        sa.select(
            count_if(stage.c.value_text == "applied"), count_if(stage.c.value_text == "building")
        )
        .select_from(found)
        .where(*latest, runs.c.site_id.in_(clusters))
    )
    applied, building = (await session.exec(statement)).one()
    return as_int(applied), as_int(building)


async def never_checked(session: AsyncSession, scope: Scope) -> tuple[SiteRef, ...]:
    """Operating sites with no submitted run of any checklist up to the year's end."""
    checked = (
        sa.select(sa.literal(1))
        .where(
            run_t.c.site_id == site_t.c.id,
            run_t.c.status == "submitted",
            run_t.c.submitted_at < scope.end,
            *department_condition(scope),
            *review_condition(scope),
        )
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        sa.select(site_t.c.code, site_t.c.name, site_t.c.kind, site_t.c.commune)
        .where(*site_conditions(scope), checked.is_(None))
        .order_by(site_t.c.kind, site_t.c.code)
    )
    return tuple(SiteRef(*row) for row in (await session.exec(statement)).all())
