"""What an indicator query covers (a year, a place, a department) and the SQL
conditions that say so, shared by every query in this package."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from storage.models import Answer, ChecklistRun, Person, ReportConfirmation, Site
from storage.review import counted
from storage.vocabulary import START_YEAR  # one copy, light enough for bot/config.py

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

run_t = ChecklistRun.__table__
answer_t = Answer.__table__
site_t = Site.__table__
person_t = Person.__table__
confirmation_t = ReportConfirmation.__table__


@dataclass(frozen=True)
class Scope:
    """What a computation covers: a year, optionally one place and one department."""

    year: int
    department: str | None = None
    commune: str | None = None
    old_district: str | None = None
    timezone: ZoneInfo = LOCAL_TZ
    # K1 and K2 count from 1 January of this year (the programme's start).
    start_year: int = START_YEAR
    # Which checks count ([review] indicators): "all" but rejected ones, or "approved".
    review_rule: str = "all"
    # False when no check has ever been rejected (compute_kpis looks first): "all"
    # then needs no per-run test at all. The planners cost an anti-join against an
    # empty review table as a probe per run: +320 ms over the indicator queries at
    # 1,000,000 checks on PostgreSQL, for a condition that removes nothing.
    any_rejected: bool = True

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


def as_of_date(year: int, today: date) -> date:
    """The day a year's figures stand at: today within the year, else its last day."""
    return min(max(today, date(year, 1, 1)), date(year, 12, 31))


def place_conditions(scope: Scope) -> list[Any]:
    conditions: list[Any] = []
    if scope.commune:
        conditions.append(site_t.c.commune == scope.commune)
    if scope.old_district:
        conditions.append(site_t.c.old_district == scope.old_district)
    return conditions


def site_conditions(scope: Scope, kinds: Sequence[str] | None = None) -> list[Any]:
    """Operating sites (of these kinds) in the scope's place."""
    conditions: list[Any] = [site_t.c.status == "operating", *place_conditions(scope)]
    if kinds:
        conditions.append(site_t.c.kind.in_(list(kinds)))
    return conditions


def run_site_matches(
    scope: Scope, kinds: Sequence[str] | None = None, operating_only: bool = True
) -> Any:
    """The run's site is operating (of these kinds, in the scope's place), as a
    correlated scalar subquery: PostgreSQL never flattens it into a join, so it stays
    one primary-key lookup per run whatever the planner's statistics say."""
    conditions = site_conditions(scope, kinds) if operating_only else place_conditions(scope)
    return (
        sa.select(sa.literal(1))
        .where(site_t.c.id == run_t.c.site_id, *conditions)
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )


def department_condition(scope: Scope, run=run_t) -> list[Any]:
    if not scope.department:
        return []
    members = sa.select(person_t.c.id).where(person_t.c.department_code == scope.department)
    return [run.c.person_id.in_(members)]


def review_condition(scope: Scope, run=run_t) -> list[Any]:
    """The submitted runs the indicators count under the review rule (storage.review):
    every one but the rejected, or the approved only. Exports list every run."""
    if scope.review_rule == "all" and not scope.any_rejected:
        return []
    return [counted(run.c.id, scope.review_rule)]


def submitted(checklist_id: str | None, since: datetime, until: datetime, run=run_t) -> list[Any]:
    conditions = [
        run.c.status == "submitted",
        run.c.submitted_at >= since,
        run.c.submitted_at < until,
    ]
    if checklist_id is not None:
        conditions.insert(0, run.c.checklist_id == checklist_id)
    return conditions


def is_question(answer, question_id: str) -> Any:
    """``answer`` (the table or an alias) is the answer to this question. The id is
    written into the SQL, not bound: a partial index "WHERE question_id = '...'"
    (migration 0011) is only chosen when the planner sees the value (SQLite always,
    PostgreSQL once it switches a prepared statement to its generic plan)."""
    return answer.c.question_id == sa.literal(question_id, literal_execute=True)


def count_if(condition, value: Any = 1) -> Any:
    """SUM(CASE WHEN condition THEN value ELSE 0 END), 0 when there are no rows."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


def as_int(value: Any) -> int:
    return int(round(float(value))) if value is not None else 0
