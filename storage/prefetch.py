"""The turn's first read: the sender, their open draft, its answers, their last screen,
their latest consent decision and a reviewer's half-made decision, in one statement
(engine.apply). storage.runs' open_run, answers_of and offered_screen, storage.privacy's
awaiting_consent and storage.review's draft_of then answer from it within the same
session instead of asking the database again.

Whatever could make it stale drops that part: a new run of the person, an answer
written or deleted for the run (flushed first, as a query's autoflush would), the run
no longer a draft, a consent recorded, a review draft written or deleted. The engine
forgets it when the turn ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, event, func
from sqlalchemy.orm import aliased, object_session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Answer,
    ChannelAccount,
    ChecklistRun,
    Consent,
    OfferedChoices,
    Person,
    ReviewDraft,
)

_PREFETCHED = "fieldbot.prefetched"


@dataclass
class Prefetched:
    person_id: int
    run: ChecklistRun | None
    answers: dict[str, Answer] | None  # handed out once: the turn keeps its own copy
    offered: OfferedChoices | None
    consent: str | None  # the latest decision and its notice version, handed out once
    consent_known: bool = True
    run_known: bool = True  # False once the person started another run in this turn
    # A reviewer's decision half made (storage.review.draft_of), until one is written.
    draft: ReviewDraft | None = None
    draft_known: bool = True


def _statement():
    """Built once: the aliased draft and its subqueries cost more to build than to run."""
    later = aliased(ChecklistRun)
    newest_draft = (
        select(func.max(later.id))
        .where(later.person_id == Person.id, later.status == "draft")
        .scalar_subquery()
    )
    latest_consent = (
        # "accepted:2026-01": the decision and the notice version it was about
        select(Consent.decision + ":" + Consent.notice_version)
        .where(Consent.person_id == Person.id)
        .order_by(col(Consent.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(Person, ChecklistRun, Answer, OfferedChoices, ReviewDraft, latest_consent)
        .join(ChannelAccount, ChannelAccount.person_id == Person.id)
        .outerjoin(ChecklistRun, col(ChecklistRun.id) == newest_draft)
        .outerjoin(Answer, col(Answer.run_id) == ChecklistRun.id)
        .outerjoin(OfferedChoices, col(OfferedChoices.person_id) == Person.id)
        .outerjoin(ReviewDraft, col(ReviewDraft.person_id) == Person.id)
        .where(
            ChannelAccount.channel == bindparam("channel"),
            ChannelAccount.external_id == bindparam("external_id"),
        )
    )


_STATEMENT = _statement()


async def person_and_open_run(
    session: AsyncSession, channel: str, external_id: str
) -> Person | None:
    """The person behind a messenger account, their open draft, its answers, their
    last screen and latest consent, in one statement; kept for this session."""
    params = {"channel": channel, "external_id": external_id}
    rows = (await session.exec(_STATEMENT, params=params)).all()
    if not rows:
        return None
    person, run, _answer, offered, draft, decision = rows[0]
    answers = {row[2].question_id: row[2] for row in rows if row[2] is not None}
    memo = Prefetched(
        person.id, run, answers if run is not None else None, offered, decision, draft=draft
    )
    session.info[_PREFETCHED] = memo
    return person


def peek(session: AsyncSession) -> Prefetched | None:
    """What this session read first, whoever it was for (nothing flushed)."""
    return session.info.get(_PREFETCHED)


def forget(session: AsyncSession) -> None:
    """At the end of the turn: the next transaction reads afresh."""
    session.info.pop(_PREFETCHED, None)


async def current(session: AsyncSession, person_id: int) -> Prefetched | None:
    """What was read for this person in this session (after flushing what is pending)."""
    memo = session.info.get(_PREFETCHED)
    if memo is None or memo.person_id != person_id:
        return None
    if session.new or session.deleted:
        await session.flush()  # as a query would: new rows fire the events below
        memo = session.info.get(_PREFETCHED)
    return memo


@event.listens_for(ChecklistRun, "after_insert")
def _new_run(_mapper, _connection, run: ChecklistRun) -> None:
    session = object_session(run)
    memo = session.info.get(_PREFETCHED) if session is not None else None
    if memo is not None and memo.person_id == run.person_id:
        memo.run_known, memo.answers = False, None


def consent(session: AsyncSession, person_id: int) -> tuple[bool, str | None]:
    """(known, "decision:notice version" of the latest consent) read with the person;
    known once only."""
    memo = session.info.get(_PREFETCHED)
    if memo is None or memo.person_id != person_id or not memo.consent_known:
        return False, None
    memo.consent_known = False
    return True, memo.consent


@event.listens_for(Consent, "after_insert")
@event.listens_for(Consent, "after_update")
def _consent_changed(_mapper, _connection, consent: Consent) -> None:
    session = object_session(consent)
    memo = session.info.get(_PREFETCHED) if session is not None else None
    if memo is not None and memo.person_id == consent.person_id:
        memo.consent_known = False


async def review_draft(session: AsyncSession, person_id: int) -> tuple[bool, ReviewDraft | None]:
    """(known, the reviewer's draft) read with the person, while no draft was written
    or deleted in this session since (pending ones are flushed first)."""
    memo = await current(session, person_id)
    if memo is None or not memo.draft_known:
        return False, None
    return True, memo.draft


@event.listens_for(ReviewDraft, "after_insert")
@event.listens_for(ReviewDraft, "after_delete")
def _draft_changed(_mapper, _connection, draft: ReviewDraft) -> None:
    session = object_session(draft)
    memo = session.info.get(_PREFETCHED) if session is not None else None
    if memo is not None and memo.person_id == draft.person_id:
        memo.draft_known, memo.draft = False, None


@event.listens_for(Answer, "after_insert")
@event.listens_for(Answer, "after_delete")
def _answer_changed(_mapper, _connection, answer: Answer) -> None:
    session = object_session(answer)
    memo = session.info.get(_PREFETCHED) if session is not None else None
    if memo is not None and memo.run is not None and memo.run.id == answer.run_id:
        memo.answers = None
