"""Checklist runs and their answers: the conversation state and the results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Answer,
    ChecklistRun,
    InboundReceipt,
    OfferedChoices,
    Person,
    Site,
    utcnow,
)


async def seen_inbound(session: AsyncSession, channel: str, key: str) -> bool:
    statement = select(InboundReceipt.id).where(
        InboundReceipt.channel == channel, InboundReceipt.key == key
    )
    return (await session.exec(statement)).first() is not None


def _insert(session: AsyncSession):
    """INSERT with ON CONFLICT support for the session's database."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def claim_inbound(session: AsyncSession, channel: str, key: str) -> bool:
    """Records an incoming update; False when it was already processed.

    Runs inside the caller's transaction, so an update whose processing fails
    is not marked as seen and will be processed when delivered again. One
    statement: a second worker claiming the same update waits, then finds it taken.
    """
    statement = (
        _insert(session)(InboundReceipt)
        .values(channel=channel, key=key, received_at=utcnow())
        .on_conflict_do_nothing()
    )
    result = await session.exec(statement)
    return result.rowcount == 1


async def open_run(session: AsyncSession, person_id: int) -> ChecklistRun | None:
    statement = (
        select(ChecklistRun)
        .where(ChecklistRun.person_id == person_id, ChecklistRun.status == "draft")
        .order_by(col(ChecklistRun.id).desc())
    )
    return (await session.exec(statement)).first()


async def answers_of(session: AsyncSession, run_id: int) -> dict[str, Answer]:
    rows = await session.exec(select(Answer).where(Answer.run_id == run_id))
    return {answer.question_id: answer for answer in rows.all()}


async def save_answer(
    session: AsyncSession,
    run: ChecklistRun,
    question_id: str,
    *,
    value_text: str | None = None,
    value_number: float | None = None,
    value_date=None,
    value_json: Any = None,
    skipped: bool = False,
    existing: Answer | None = None,
) -> Answer:
    answer = existing or Answer(run_id=run.id, question_id=question_id)
    answer.value_text = value_text
    answer.value_number = value_number
    answer.value_date = value_date
    answer.value_json = value_json
    answer.skipped = skipped
    answer.answered_at = utcnow()
    session.add(answer)
    return answer


async def delete_answers(session: AsyncSession, run_id: int, question_ids: list[str]) -> None:
    if question_ids:
        await session.exec(
            delete(Answer).where(Answer.run_id == run_id, col(Answer.question_id).in_(question_ids))
        )


async def copy_answers(session: AsyncSession, source_run_id: int, target: ChecklistRun) -> None:
    for answer in (await answers_of(session, source_run_id)).values():
        session.add(
            Answer(
                run_id=target.id,
                question_id=answer.question_id,
                value_text=answer.value_text,
                value_number=answer.value_number,
                value_date=answer.value_date,
                value_json=answer.value_json,
                skipped=answer.skipped,
                answered_at=answer.answered_at,
            )
        )


async def latest_check_since(
    session: AsyncSession, checklist_id: str, site_id: int, since: datetime
) -> tuple[ChecklistRun, Person] | None:
    """The latest submitted check of a site with this checklist since a moment."""
    statement = (
        select(ChecklistRun, Person)
        .join(Person, Person.id == ChecklistRun.person_id)
        .where(
            ChecklistRun.site_id == site_id,
            ChecklistRun.checklist_id == checklist_id,
            ChecklistRun.status == "submitted",
            col(ChecklistRun.submitted_at) >= since,
        )
        .order_by(col(ChecklistRun.submitted_at).desc())
    )
    row = (await session.exec(statement)).first()
    return (row[0], row[1]) if row else None


async def recent_sites(
    session: AsyncSession, person_id: int, kinds: list[str], limit: int = 4
) -> list[Site]:
    """Sites this person checked most recently, newest first."""
    last_checked = func.max(ChecklistRun.submitted_at).label("last_checked")
    statement = (
        select(Site, last_checked)
        .join(ChecklistRun, ChecklistRun.site_id == Site.id)
        .where(
            ChecklistRun.person_id == person_id,
            ChecklistRun.status == "submitted",
            col(Site.kind).in_(kinds),
            Site.status != "closed",
        )
        .group_by(Site.id)
        .order_by(last_checked.desc())
        .limit(limit)
    )
    return [row[0] for row in (await session.exec(statement)).all()]


async def submissions_of(
    session: AsyncSession, person_id: int, limit: int = 10
) -> list[tuple[ChecklistRun, Site | None]]:
    statement = (
        select(ChecklistRun, Site)
        .join(Site, Site.id == ChecklistRun.site_id, isouter=True)
        .where(ChecklistRun.person_id == person_id, ChecklistRun.status == "submitted")
        .order_by(col(ChecklistRun.submitted_at).desc())
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await session.exec(statement)).all()]


async def remember_offered(session: AsyncSession, person_id: int, payloads: list[str]) -> None:
    now = utcnow()
    statement = _insert(session)(OfferedChoices).values(
        person_id=person_id, payloads=payloads, updated_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["person_id"], set_={"payloads": payloads, "updated_at": now}
    )
    await session.exec(statement)


async def offered_payloads(session: AsyncSession, person_id: int) -> list[str]:
    offered = await session.get(OfferedChoices, person_id)
    return list(offered.payloads) if offered else []
