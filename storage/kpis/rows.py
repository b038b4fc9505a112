"""Rows for the export and the report annexes: submitted checks with who, where and
their answers, and every site with its activity."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.kpis.queries import latest_runs_query
from storage.kpis.scope import (
    Scope,
    answer_t,
    as_int,
    department_condition,
    person_t,
    place_conditions,
    run_t,
    site_t,
    submitted,
)

# Bound parameters per IN (...) stay far below SQLite's and asyncpg's limits.
IDS_PER_QUERY = 500


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


CHECK_COLUMNS = (
    run_t.c.id,
    run_t.c.checklist_id,
    run_t.c.checklist_version,
    run_t.c.submitted_at,
    person_t.c.name,
    person_t.c.department_code,
    site_t.c.code,
    site_t.c.name,
    site_t.c.kind,
    site_t.c.commune,
    site_t.c.old_district,
)


async def attach_answers(session: AsyncSession, checks: list[CheckRow]) -> list[CheckRow]:
    """Fills each row's answers (not the skipped ones) in chunks of ids."""
    by_id = {check.run_id: check for check in checks}
    ids = list(by_id)
    for begin in range(0, len(ids), IDS_PER_QUERY):
        chunk = ids[begin : begin + IDS_PER_QUERY]
        statement = sa.select(
            answer_t.c.run_id,
            answer_t.c.question_id,
            answer_t.c.value_text,
            answer_t.c.value_number,
            answer_t.c.value_date,
            answer_t.c.value_json,
        ).where(answer_t.c.run_id.in_(chunk), answer_t.c.skipped.is_(False))
        for row in (await session.exec(statement)).all():
            by_id[row.run_id].answers[row.question_id] = row
    return checks


def in_scope(scope: Scope) -> list[Any]:
    """The year's submitted runs in the scope's department and place."""
    return [
        *submitted(None, scope.start, scope.end),
        *department_condition(scope),
        *place_conditions(scope),
    ]


def checks_joined():
    """Runs with their person and (where there is one) their site."""
    return run_t.join(person_t, person_t.c.id == run_t.c.person_id).outerjoin(
        site_t, site_t.c.id == run_t.c.site_id
    )


class AnswerCells(NamedTuple):
    value_text: str | None
    value_number: float | None
    value_date: date | None
    value_json: Any


@dataclass(frozen=True)
class ChecklistOutline:
    """What a sheet of one checklist needs before its first row is written."""

    checks: int  # submitted runs in the scope
    with_site: bool  # some run has a site
    questions: frozenset[str]  # question ids answered (not skipped) in them


async def export_outline(session: AsyncSession, scope: Scope) -> dict[str, ChecklistOutline]:
    """Per checklist with submitted runs in the scope: their number, whether any has a
    site, and every question answered; two aggregate queries, no rows fetched."""
    runs = run_t.outerjoin(site_t, site_t.c.id == run_t.c.site_id)
    counted = (
        sa.select(
            run_t.c.checklist_id,
            sa.func.count(),
            sa.func.max(sa.case((site_t.c.code.is_not(None), 1), else_=0)),
        )
        .select_from(runs)
        .where(*in_scope(scope))
        .group_by(run_t.c.checklist_id)
    )
    answered = (
        sa.select(run_t.c.checklist_id, answer_t.c.question_id)
        .select_from(runs.join(answer_t, answer_t.c.run_id == run_t.c.id))
        .where(*in_scope(scope), answer_t.c.skipped.is_(False))
        .distinct()
    )
    questions: dict[str, set[str]] = {}
    for checklist_id, question_id in (await session.exec(answered)).all():
        questions.setdefault(checklist_id, set()).add(question_id)
    return {
        checklist_id: ChecklistOutline(
            as_int(count), bool(with_site), frozenset(questions.get(checklist_id, ()))
        )
        for checklist_id, count, with_site in (await session.exec(counted)).all()
    }


async def stream_checks(
    session: AsyncSession, scope: Scope, checklist_id: str, batch: int = 1000
) -> AsyncIterator[list[CheckRow]]:
    """The submitted runs of one checklist in the scope, oldest first, with their
    answers, ``batch`` runs at a time: one query read through a server-side cursor
    (runs joined with their answers), so memory holds a batch, not the year."""
    answer = answer_t
    joined = checks_joined().outerjoin(
        answer, sa.and_(answer.c.run_id == run_t.c.id, answer.c.skipped.is_(False))
    )
    statement = (
        sa.select(*CHECK_COLUMNS, answer.c.question_id, *(answer.c[c] for c in AnswerCells._fields))
        .select_from(joined)
        .where(run_t.c.checklist_id == checklist_id, *in_scope(scope))
        .order_by(run_t.c.submitted_at, run_t.c.id)
        .execution_options(yield_per=batch * 8)
    )
    width = len(CHECK_COLUMNS)
    result = await session.stream(statement)
    ready: list[CheckRow] = []
    current: CheckRow | None = None
    async for rows in result.partitions():
        for row in rows:
            if current is None or current.run_id != row[0]:
                current = CheckRow(*row[:width])
                ready.append(current)
            if row[width] is not None:
                current.answers[row[width]] = AnswerCells(*row[width + 1 :])
        if len(ready) > batch:  # the last run may go on in the next partition
            yield ready[:-1]
            ready = ready[-1:]
    if ready:
        yield ready


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
        sa.select(*CHECK_COLUMNS)
        .select_from(
            latest.join(run_t, run_t.c.id == latest.c.run_id)
            .join(person_t, person_t.c.id == run_t.c.person_id)
            .join(site_t, site_t.c.id == run_t.c.site_id)
        )
        .order_by(site_t.c.name, site_t.c.code)
    )
    checks = [CheckRow(*row) for row in (await session.exec(statement)).all()]
    return await attach_answers(session, checks)


async def sites_with_activity(session: AsyncSession, scope: Scope) -> list[tuple[Any, int, Any]]:
    """Every site (all statuses) with its number of submitted checks in the year and
    its last submitted check up to the year's end: (site row, checks, last)."""
    in_year = sa.and_(run_t.c.submitted_at >= scope.start, run_t.c.submitted_at < scope.end)
    counted = (
        sa.select(
            run_t.c.site_id.label("site_id"),
            sa.func.sum(sa.case((in_year, 1), else_=0)).label("checks"),
            sa.func.max(run_t.c.submitted_at).label("last"),
        )
        .where(
            run_t.c.status == "submitted",
            run_t.c.site_id.is_not(None),
            run_t.c.submitted_at < scope.end,
            *department_condition(scope),
        )
        .group_by(run_t.c.site_id)
        .subquery("counted")
    )
    statement = (
        sa.select(
            site_t,
            sa.func.coalesce(counted.c.checks, 0),
            # max() of a timestamp comes back as text on SQLite: give it the column type.
            sa.type_coerce(counted.c.last, run_t.c.submitted_at.type),
        )
        .select_from(site_t.outerjoin(counted, counted.c.site_id == site_t.c.id))
        .where(*place_conditions(scope))
        .order_by(site_t.c.kind, site_t.c.name, site_t.c.code)
    )
    return [(row, as_int(row[-2]), row[-1]) for row in (await session.exec(statement)).all()]
