"""Corrections of submitted checks: the draft that corrects a check, its answers
written back into the check, and the history of every change (old value, new value,
who, when, why). The review steps themselves are storage/review.py."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import runs
from storage.kpis.keys import note_enterprise
from storage.models import Answer, AnswerChange, ChecklistRun, Person, ReviewCorrection, utcnow

# --- the correcting draft -----------------------------------------------------------------------


async def correction_of(session: AsyncSession, draft_run_id: int) -> ReviewCorrection | None:
    return await session.get(ReviewCorrection, draft_run_id)


async def open_correction(session: AsyncSession, run_id: int) -> ChecklistRun | None:
    """The draft already correcting this check, if one is open."""
    statement = (
        select(ChecklistRun)
        .join(ReviewCorrection, ReviewCorrection.draft_run_id == ChecklistRun.id)
        .where(ReviewCorrection.run_id == run_id, ChecklistRun.status == "draft")
    )
    return (await session.exec(statement)).first()


async def start_correction(
    session: AsyncSession, check: ChecklistRun, request_seq: int, first_question: str, channel: str
) -> ChecklistRun:
    """A draft holding the check's answers, at the first question to fix. It names the
    check it supersedes, so the conversation treats it as an update of that check (no
    site to pick again); on resubmit its answers go back into the check itself."""
    draft = ChecklistRun(
        person_id=check.person_id,
        site_id=check.site_id,
        checklist_id=check.checklist_id,
        checklist_version=check.checklist_version,
        phase="question",
        current_question=first_question,
        editing=True,
        supersedes_id=check.id,
        channel=channel,
    )
    session.add(draft)
    await session.flush()
    await runs.copy_answers(session, check.id, draft)
    session.add(ReviewCorrection(draft_run_id=draft.id, run_id=check.id, request_seq=request_seq))
    await session.flush()
    return draft


def answer_value(answer: Answer | None) -> dict | None:
    """An answer as the history keeps it; None for no answer."""
    if answer is None:
        return None
    return {
        "text": answer.value_text,
        "number": answer.value_number,
        "date": answer.value_date.isoformat() if answer.value_date else None,
        "json": answer.value_json,
        "skipped": bool(answer.skipped),
    }


def as_answer(value: dict) -> Answer:
    """A kept value as an (unsaved) answer, so a question type can display it."""
    answer = Answer(run_id=0, question_id="")
    _set_value(answer, value)
    return answer


def _set_value(answer: Answer, value: dict) -> None:
    answer.value_text = value["text"]
    answer.value_number = value["number"]
    answer.value_date = date.fromisoformat(value["date"]) if value["date"] else None
    answer.value_json = value["json"]
    answer.skipped = value["skipped"]
    answer.answered_at = utcnow()


async def change_answers(
    session: AsyncSession,
    run_id: int,
    new_answers: dict[str, Answer],
    *,
    changed_by_id: int,
    reason: str,
    review_event_id: int | None = None,
) -> list[AnswerChange]:
    """Writes ``new_answers`` (question id -> answer, e.g. a correction draft's) into a
    submitted check; every answer that differs is kept in the history first."""
    old_answers = await runs.answers_of(session, run_id)
    changes = []
    for question_id in sorted(set(old_answers) | set(new_answers)):
        old = answer_value(old_answers.get(question_id))
        new = answer_value(new_answers.get(question_id))
        if old == new:
            continue
        changes.append(
            AnswerChange(
                run_id=run_id,
                question_id=question_id,
                old_value=old,
                new_value=new,
                changed_by_id=changed_by_id,
                changed_at=utcnow(),
                reason=reason[:1000],
                review_event_id=review_event_id,
            )
        )
        existing = old_answers.get(question_id)
        if new is None:
            await session.delete(existing)
            continue
        existing = existing or Answer(run_id=run_id, question_id=question_id)
        _set_value(existing, new)
        session.add(existing)
    session.add_all(changes)
    check = await session.get(ChecklistRun, run_id)
    if check is not None:  # K2 tells its models apart by the enterprise, maybe changed
        note_enterprise(check, new_answers)
        session.add(check)
    await session.flush()
    return changes


async def changes_of(session: AsyncSession, run_ids: list[int]) -> list[AnswerChange]:
    """The answer history of some checks, oldest change first."""
    if not run_ids:
        return []
    statement = (
        select(AnswerChange)
        .where(col(AnswerChange.run_id).in_(run_ids))
        .order_by(col(AnswerChange.run_id), col(AnswerChange.id))
    )
    return list((await session.exec(statement)).all())


async def people_named(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.exec(select(Person.id, Person.name).where(col(Person.id).in_(ids)))
    return {row[0]: row[1] for row in rows.all()}


async def changes_in(
    session: AsyncSession, since: datetime, until: datetime
) -> list[tuple[AnswerChange, ChecklistRun, str]]:
    """Every answer change to checks submitted in [since, until), with the check and
    the name of who changed it, oldest first."""
    statement = (
        select(AnswerChange, ChecklistRun, Person.name)
        .join(ChecklistRun, ChecklistRun.id == AnswerChange.run_id)
        .join(Person, Person.id == AnswerChange.changed_by_id)
        .where(col(ChecklistRun.submitted_at) >= since, col(ChecklistRun.submitted_at) < until)
        .order_by(col(AnswerChange.id))
    )
    return [(row[0], row[1], row[2]) for row in (await session.exec(statement)).all()]
