"""Checklist runs and their answers: the conversation state and the results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, literal, text
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import prefetch
from storage.models import (
    Answer,
    ChecklistRun,
    OfferedChoices,
    Person,
    ProposedSite,
    Site,
    utcnow,
)


def _insert(session: AsyncSession):
    """INSERT with ON CONFLICT support for the session's database."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def open_run(session: AsyncSession, person_id: int) -> ChecklistRun | None:
    memo = await prefetch.current(session, person_id)
    if memo is not None and memo.run_known and (memo.run is None or memo.run.status == "draft"):
        return memo.run
    statement = (
        select(ChecklistRun)
        .where(ChecklistRun.person_id == person_id, ChecklistRun.status == "draft")
        .order_by(col(ChecklistRun.id).desc())
    )
    return (await session.exec(statement)).first()


async def answers_of(session: AsyncSession, run_id: int) -> dict[str, Answer]:
    memo = prefetch.peek(session)
    if memo is not None and memo.run is not None and memo.run.id == run_id:
        memo = await prefetch.current(session, memo.person_id)
        if memo is not None and memo.answers is not None and memo.run.id == run_id:
            answers, memo.answers = memo.answers, None
            return answers
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
        memo = prefetch.peek(session)
        if memo is not None and memo.run is not None and memo.run.id == run_id:
            memo.answers = None  # a bulk delete fires no ORM event
        await session.exec(
            delete(Answer).where(Answer.run_id == run_id, col(Answer.question_id).in_(question_ids))
        )


async def copy_answers(session: AsyncSession, source_run_id: int, target: ChecklistRun) -> None:
    """The source run's answers into ``target``, except for questions the target has
    answered already (its own answers are newer and (run, question) is unique)."""
    have = set(await answers_of(session, target.id))
    for answer in (await answers_of(session, source_run_id)).values():
        if answer.question_id in have:
            continue
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


# What the last reply showed a person: the choices in order (so a typed "2" or a typed
# label means pressing that button) and, when the reply asked a question of the open
# run, which one ("<run id>:<question id>", so typed digits answer a numeric question
# only when that question is the prompt on screen). Stored in OfferedChoices.payloads
# as a one-item list holding a dict; rows written before are plain lists of payloads.
_SCREEN_VERSION = 2
_SCREEN_WRITTEN = "fieldbot.screen_written"


@dataclass
class Screen:
    choices: list[tuple[str, str]] = field(default_factory=list)  # (payload, label)
    question: str | None = None
    # An old row (payloads only, no labels, no question): read as before.
    legacy: bool = False

    @property
    def payloads(self) -> list[str]:
        return [payload for payload, _label in self.choices]


async def _upsert_offered(session: AsyncSession, person_id: int, stored: list) -> None:
    memo = await prefetch.current(session, person_id)
    if memo is not None:  # later reads in this turn see what is written here
        if memo.offered is not None:  # set as loaded: not written again at the flush
            set_committed_value(memo.offered, "payloads", stored)
        else:
            memo.offered = OfferedChoices(person_id=person_id, payloads=stored)
    values = {"person_id": person_id, "payloads": stored, "updated_at": utcnow()}
    await session.flush()  # the turn's writes in their order, as an ORM statement would
    await session.exec(_UPSERT_OFFERED, params=values)


# Written as text, which SQLAlchemy compiles once: its dialect INSERT ... ON CONFLICT
# constructs are never cached (inherit_cache = False) and were compiled at every
# turn (~1.3 ms of CPU each, ~0.9 per answer). The same SQL on SQLite and PostgreSQL.
_offered = OfferedChoices.__table__
_UPSERT_OFFERED = text(
    "INSERT INTO offered_choices (person_id, payloads, updated_at) "
    "VALUES (:person_id, :payloads, :updated_at) "
    "ON CONFLICT (person_id) DO UPDATE "
    "SET payloads = excluded.payloads, updated_at = excluded.updated_at"
).bindparams(
    bindparam("payloads", type_=_offered.c.payloads.type),
    bindparam("updated_at", type_=_offered.c.updated_at.type),
)


async def remember_screen(
    session: AsyncSession, person_id: int, choices: list[tuple[str, str]], question: str | None
) -> None:
    stored = [
        {
            "v": _SCREEN_VERSION,
            "question": question,
            "choices": [[payload, label] for payload, label in choices],
        }
    ]
    await _upsert_offered(session, person_id, stored)
    # The engine then calls remember_offered with the same payloads: not again.
    session.info[_SCREEN_WRITTEN] = (person_id, [payload for payload, _label in choices])


async def remember_offered(session: AsyncSession, person_id: int, payloads: list[str]) -> None:
    """Payloads only (a reminder's buttons); a no-op when this transaction already
    stored the same choices with their labels (remember_screen)."""
    if session.info.pop(_SCREEN_WRITTEN, None) == (person_id, list(payloads)):
        return
    await _upsert_offered(session, person_id, list(payloads))


async def remember_offered_unless_open(
    session: AsyncSession, person_id: int, payloads: list[str]
) -> None:
    """Payloads only (a reminder's buttons), unless the person has a draft open; one
    statement, so no run can open between the check and the write (and a tick's
    thousand reminders make a round trip each, not two)."""
    table = OfferedChoices.__table__
    open_draft = (
        select(ChecklistRun.id)
        .where(ChecklistRun.person_id == person_id, ChecklistRun.status == "draft")
        .exists()
    )
    row = sa_select(
        literal(person_id, table.c.person_id.type),
        literal(list(payloads), table.c.payloads.type),
        literal(utcnow(), table.c.updated_at.type),
    ).where(~open_draft)
    statement = _insert(session)(table).from_select(["person_id", "payloads", "updated_at"], row)
    statement = statement.on_conflict_do_update(
        index_elements=["person_id"],
        set_={"payloads": statement.excluded.payloads, "updated_at": statement.excluded.updated_at},
    )
    await session.exec(statement)


def _read_screen(stored: Any) -> Screen:
    if (
        isinstance(stored, list)
        and len(stored) == 1
        and isinstance(stored[0], dict)
        and stored[0].get("v") == _SCREEN_VERSION
    ):
        row = stored[0]
        choices = [
            (str(item[0]), str(item[1]))
            for item in row.get("choices") or []
            if isinstance(item, list) and len(item) == 2
        ]
        question = row.get("question")
        return Screen(choices, question if isinstance(question, str) else None)
    if isinstance(stored, list):
        return Screen([(str(p), "") for p in stored if isinstance(p, str)], legacy=True)
    return Screen(legacy=True)


async def offered_screen(session: AsyncSession, person_id: int) -> Screen:
    memo = await prefetch.current(session, person_id)
    if memo is not None:
        return _read_screen(memo.offered.payloads) if memo.offered else Screen(legacy=True)
    offered = await session.get(OfferedChoices, person_id)
    return _read_screen(offered.payloads) if offered else Screen(legacy=True)


async def offered_payloads(session: AsyncSession, person_id: int) -> list[str]:
    return (await offered_screen(session, person_id)).payloads


async def recent_checks(
    session: AsyncSession, person_id: int, checklist_ids: list[str], limit: int = 4
) -> list[tuple[Site, str]]:
    """(site, checklist id) of this person's latest checks, newest first, one per
    pair: the /start menu offers them as one-step starts."""
    last_checked = func.max(ChecklistRun.submitted_at).label("last_checked")
    statement = (
        select(Site, ChecklistRun.checklist_id, last_checked)
        .join(ChecklistRun, ChecklistRun.site_id == Site.id)
        .where(
            ChecklistRun.person_id == person_id,
            col(ChecklistRun.status).in_(("submitted", "superseded")),
            col(ChecklistRun.checklist_id).in_(checklist_ids),
            Site.status != "closed",
        )
        .group_by(Site.id, ChecklistRun.checklist_id)
        .order_by(last_checked.desc())
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await session.exec(statement)).all()]


async def propose_site(
    session: AsyncSession, person_id: int, checklist_id: str, text: str
) -> ProposedSite:
    """A site the inspector could not find, kept for an admin to add."""
    proposal = ProposedSite(text=text[:500], checklist_id=checklist_id, person_id=person_id)
    session.add(proposal)
    await session.flush()
    return proposal


async def proposed_sites(session: AsyncSession, status: str = "proposed") -> list[ProposedSite]:
    statement = select(ProposedSite).where(ProposedSite.status == status)
    return list((await session.exec(statement.order_by(col(ProposedSite.id)))).all())
