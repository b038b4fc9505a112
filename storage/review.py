"""Review of submitted checks: every query on review steps, corrections and the history
of answers. The rules (who may do what, which step may follow which) are in
handlers/review.py; this module stores what they allowed.

A check's state is its latest ReviewEvent (no row: "received"). "approved" and
"rejected" are final, so "counts in the indicators" is one EXISTS per check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import prefetch, runs
from storage.models import (
    ChecklistRun,
    Person,
    ReviewDraft,
    ReviewEvent,
    ReviewNudge,
    Site,
    utcnow,
)

# Which checks the indicators count: "all" (every submitted check but the rejected
# ones) or "approved" (only approved ones). Drafts never count.
COUNT_RULES = ("all", "approved")
# States that wait for a reviewer.
UNREVIEWED = ("received", "corrected")


@dataclass(frozen=True)
class ReviewScope:
    """Whose submissions a reviewer sees: a department's inspectors (a head) or
    everyone's (an admin); never the reviewer's own."""

    reviewer_id: int
    department: str | None = None
    inspectors_only: bool = False


# --- the state of a check --------------------------------------------------------------


def state_of(run_id_column: Any):
    """SQL: a check's state now, for any query on checklist_run."""
    latest = (
        select(ReviewEvent.state)
        .where(ReviewEvent.run_id == run_id_column)
        .order_by(col(ReviewEvent.seq).desc())
        .limit(1)
        .correlate_except(ReviewEvent)
        .scalar_subquery()
    )
    return func.coalesce(latest, "received")


def counted(run_id_column: Any, rule: str = "all"):
    """SQL: whether a submitted check counts in the indicators under ``rule``."""
    if rule not in COUNT_RULES:
        raise ValueError(f"unknown review rule {rule!r}")
    if rule == "approved":
        # IN a subquery, which PostgreSQL turns into a semi-join and SQLite reads once
        # into an ephemeral index: not a probe of review_event per run.
        return run_id_column.in_(select(ReviewEvent.run_id).where(ReviewEvent.state == "approved"))
    # NOT EXISTS, an anti-join: NOT IN would be a hashed subplan on PostgreSQL only
    # while the rejected checks fit in work_mem, and a scan of them per run beyond.
    return ~exists().where(ReviewEvent.run_id == run_id_column, ReviewEvent.state == "rejected")


async def current(session: AsyncSession, run_id: int) -> tuple[str, int]:
    """(state, seq) of a check now; ("received", 0) before any decision."""
    statement = (
        select(ReviewEvent.state, ReviewEvent.seq)
        .where(ReviewEvent.run_id == run_id)
        .order_by(col(ReviewEvent.seq).desc())
        .limit(1)
    )
    row = (await session.exec(statement)).first()
    return (row[0], row[1]) if row else ("received", 0)


async def states_of(session: AsyncSession, run_ids: list[int]) -> dict[int, str]:
    """The state now of each check (the export's column)."""
    states = {run_id: "received" for run_id in run_ids}
    if not run_ids:
        return states
    statement = (
        select(ReviewEvent.run_id, ReviewEvent.state)
        .where(col(ReviewEvent.run_id).in_(run_ids))
        .order_by(col(ReviewEvent.run_id), col(ReviewEvent.seq))
    )
    for run_id, state in (await session.exec(statement)).all():
        states[run_id] = state  # in seq order: the last one stays
    return states


async def events_of(session: AsyncSession, run_id: int) -> list[ReviewEvent]:
    statement = select(ReviewEvent).where(ReviewEvent.run_id == run_id).order_by(ReviewEvent.seq)
    return list((await session.exec(statement)).all())


async def record(
    session: AsyncSession,
    run_id: int,
    expected_seq: int,
    state: str,
    actor_id: int,
    *,
    channel: str = "",
    comment: str = "",
    question_ids: list[str] | None = None,
) -> ReviewEvent | None:
    """The step after ``expected_seq``; None when another step came first: seen here,
    or at the unique key (run, seq) when two transactions act at once (PostgreSQL makes
    the second wait for the first to commit, then refuses it)."""
    if (await current(session, run_id))[1] != expected_seq:
        return None
    event = ReviewEvent(
        run_id=run_id,
        seq=expected_seq + 1,
        state=state,
        actor_id=actor_id,
        channel=channel,
        comment=comment[:1000],
        question_ids=list(question_ids or []),
        at=utcnow(),
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        try:
            async with session.begin_nested():  # the turn goes on when this fails
                session.add(event)
                await session.flush()
        except IntegrityError:
            return None
        return event
    # SQLite: one writer at a time (the engine's queue), so the check above decides.
    session.add(event)
    await session.flush()
    return event


# --- the queue and the lists -----------------------------------------------------------


def _in_scope(scope: ReviewScope) -> list[Any]:
    conditions = [ChecklistRun.status == "submitted", ChecklistRun.person_id != scope.reviewer_id]
    if scope.department is not None:
        conditions.append(Person.department_code == scope.department)
    if scope.inspectors_only:
        conditions.append(Person.role == "inspector")
    return conditions


async def next_unreviewed(
    session: AsyncSession, scope: ReviewScope, after: ChecklistRun | None = None
) -> ChecklistRun | None:
    """The oldest check waiting for this reviewer; after ``after`` when one is skipped."""
    statement = (
        select(ChecklistRun)
        .join(Person, Person.id == ChecklistRun.person_id)
        .where(*_in_scope(scope), state_of(ChecklistRun.id).in_(UNREVIEWED))
        .order_by(col(ChecklistRun.submitted_at), col(ChecklistRun.id))
        .limit(1)
    )
    if after is not None and after.submitted_at is not None:
        statement = statement.where(
            or_(
                col(ChecklistRun.submitted_at) > after.submitted_at,
                and_(ChecklistRun.submitted_at == after.submitted_at, ChecklistRun.id > after.id),
            )
        )
    return (await session.exec(statement)).first()


async def count_unreviewed(session: AsyncSession, scope: ReviewScope) -> int:
    statement = (
        select(func.count())
        .select_from(ChecklistRun)
        .join(Person, Person.id == ChecklistRun.person_id)
        .where(*_in_scope(scope), state_of(ChecklistRun.id).in_(UNREVIEWED))
    )
    return int((await session.exec(statement)).one())


async def pending_corrections(
    session: AsyncSession, person_id: int | None = None
) -> list[tuple[ChecklistRun, ReviewEvent]]:
    """Checks sent back and not corrected yet, with the request; one person's, or all."""
    later = ReviewEvent.__table__.alias("later")
    statement = (
        select(ChecklistRun, ReviewEvent)
        .join(ReviewEvent, ReviewEvent.run_id == ChecklistRun.id)
        .where(
            ChecklistRun.status == "submitted",
            ReviewEvent.state == "needs_correction",
            ~exists().where(later.c.run_id == ChecklistRun.id, later.c.seq > ReviewEvent.seq),
        )
        .order_by(col(ReviewEvent.at))
    )
    if person_id is not None:
        statement = statement.where(ChecklistRun.person_id == person_id)
    return [(row[0], row[1]) for row in (await session.exec(statement)).all()]


async def card(session: AsyncSession, run_id: int) -> tuple[ChecklistRun, Person, Site | None]:
    """A check with its inspector and site (the review card, the messages about it)."""
    statement = (
        select(ChecklistRun, Person, Site)
        .join(Person, Person.id == ChecklistRun.person_id)
        .join(Site, Site.id == ChecklistRun.site_id, isouter=True)
        .where(ChecklistRun.id == run_id)
    )
    row = (await session.exec(statement)).first()
    if row is None:
        raise LookupError(run_id)
    return row[0], row[1], row[2]


# --- reviewers half-way through a decision ---------------------------------------------


async def draft_of(session: AsyncSession, person_id: int) -> ReviewDraft | None:
    known, draft = await prefetch.review_draft(session, person_id)  # read with the person
    return draft if known else await session.get(ReviewDraft, person_id)


async def put_draft(
    session: AsyncSession,
    person_id: int,
    run_id: int,
    seq: int,
    action: str,
    question_ids: list[str],
    waiting_for: str,
) -> ReviewDraft:
    draft = await session.get(ReviewDraft, person_id) or ReviewDraft(
        person_id=person_id, run_id=run_id, seq=seq, action=action
    )
    draft.run_id, draft.seq, draft.action = run_id, seq, action
    draft.question_ids, draft.waiting_for = list(question_ids), waiting_for
    draft.updated_at = utcnow()
    session.add(draft)
    await session.flush()
    return draft


async def clear_draft(session: AsyncSession, person_id: int) -> None:
    draft = await session.get(ReviewDraft, person_id)
    if draft is not None:
        await session.delete(draft)
        await session.flush()


# --- nudges ----------------------------------------------------------------------------


async def claim_nudge(session: AsyncSession, run_id: int, request_seq: int, day: date) -> bool:
    """True once per (check, request, day): two clocks never nudge twice."""
    statement = (
        runs._insert(session)(ReviewNudge)
        .values(run_id=run_id, request_seq=request_seq, sent_on=day, sent_at=utcnow())
        .on_conflict_do_nothing()
    )
    return (await session.exec(statement)).rowcount == 1


async def nudges_sent(session: AsyncSession, run_id: int, request_seq: int) -> int:
    statement = select(func.count()).where(
        ReviewNudge.run_id == run_id, ReviewNudge.request_seq == request_seq
    )
    return int((await session.exec(statement)).one())


async def untouched_drafts(
    session: AsyncSession, before: datetime
) -> list[tuple[ChecklistRun, bool]]:
    """Drafts not touched since ``before`` with whether they were nudged already."""
    nudged = exists().where(ReviewNudge.run_id == ChecklistRun.id, ReviewNudge.request_seq == 0)
    statement = (
        select(ChecklistRun, nudged)
        .where(ChecklistRun.status == "draft", col(ChecklistRun.updated_at) < before)
        .order_by(col(ChecklistRun.updated_at))
    )
    return [(row[0], bool(row[1])) for row in (await session.exec(statement)).all()]


# --- the export --------------------------------------------------------------------------


async def reviewed_in(session: AsyncSession, since: datetime, until: datetime) -> dict[int, str]:
    """The state of every check submitted in [since, until) that has a review step
    (the others are "received"): a small dict even for a large year."""
    statement = (
        select(ReviewEvent.run_id, ReviewEvent.state)
        .join(ChecklistRun, ChecklistRun.id == ReviewEvent.run_id)
        .where(col(ChecklistRun.submitted_at) >= since, col(ChecklistRun.submitted_at) < until)
        .order_by(col(ReviewEvent.run_id), col(ReviewEvent.seq))
    )
    return {run_id: state for run_id, state in (await session.exec(statement)).all()}
