"""Deadlines, reminder claims and report confirmations.

A reminder is claimed by inserting its row before it is sent; the unique key
(deadline, department, recipient, year, offset, kind) means a second tick or a
second process finds the row taken and sends nothing (mailroom's fire rows).
Statuses: "sending" (claimed; the message may have left: never sent again), then
"sent", "failed" (retried up to max_attempts) or "unreachable"; "claimed" (taken, not
sent yet; retaken when its claimer died) is what earlier versions wrote first.
A tick claims its reminders in batches, one transaction each (storage/deliveries.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    ChannelAccount,
    ChecklistRun,
    Deadline,
    Department,
    Person,
    ReminderDelivery,
    ReportConfirmation,
    Site,
)


async def active_deadlines(session: AsyncSession) -> list[Deadline]:
    statement = select(Deadline).where(Deadline.active == True).order_by(Deadline.id)  # noqa: E712
    return list((await session.exec(statement)).all())


async def all_departments(session: AsyncSession) -> list[Department]:
    return list((await session.exec(select(Department).order_by(Department.code))).all())


async def heads_of(session: AsyncSession, department_code: str) -> list[Person]:
    statement = (
        select(Person)
        .where(
            Person.department_code == department_code,
            Person.role == "head",
            Person.active == True,  # noqa: E712
        )
        .order_by(Person.id)
    )
    return list((await session.exec(statement)).all())


async def coordinators(session: AsyncSession, department_code: str) -> list[Person]:
    """Who hears escalations for a coordinating department: its heads and admins."""
    statement = (
        select(Person)
        .where(
            Person.department_code == department_code,
            col(Person.role).in_(["head", "admin"]),
            Person.active == True,  # noqa: E712
        )
        .order_by(Person.id)
    )
    return list((await session.exec(statement)).all())


async def people_with_accounts(session: AsyncSession, person_ids: list[int]) -> set[int]:
    if not person_ids:
        return set()
    statement = select(ChannelAccount.person_id).where(
        col(ChannelAccount.person_id).in_(person_ids)
    )
    return set((await session.exec(statement)).all())


# A delivery in one of these states is not claimed again (a "sending" one may have
# reached the person: it is never sent twice).
DONE_STATUSES = ("sent", "sending", "unreachable")


async def handled_deliveries(
    session: AsyncSession, deadline_id: int, year: int, offset_days: int, max_attempts: int
) -> set[tuple[str, int, str]]:
    """(department, recipient, kind) of one slot's deliveries that need nothing more."""
    statement = select(
        ReminderDelivery.department_code,
        ReminderDelivery.recipient_id,
        ReminderDelivery.kind,
        ReminderDelivery.status,
        ReminderDelivery.attempts,
    ).where(
        ReminderDelivery.deadline_id == deadline_id,
        ReminderDelivery.year == year,
        ReminderDelivery.offset_days == offset_days,
    )
    return {
        (row[0], row[1], row[2])
        for row in (await session.exec(statement)).all()
        if row[3] in DONE_STATUSES or (row[3] == "failed" and row[4] >= max_attempts)
    }


async def unreachable_recipients(
    session: AsyncSession, deadline_id: int, year: int, max_attempts: int
) -> set[int]:
    """Heads whose latest reminder for this deadline and year could not be delivered
    (no account, or every channel failed as often as allowed)."""
    statement = (
        select(
            ReminderDelivery.recipient_id,
            ReminderDelivery.status,
            ReminderDelivery.attempts,
        )
        .where(
            ReminderDelivery.deadline_id == deadline_id,
            ReminderDelivery.year == year,
            ReminderDelivery.kind == "reminder",
        )
        .order_by(ReminderDelivery.claimed_at, ReminderDelivery.id)
    )
    latest: dict[int, bool] = {}
    for recipient, status, attempts in (await session.exec(statement)).all():
        if status in ("claimed", "sending"):
            continue
        latest[recipient] = status == "unreachable" or (
            status == "failed" and attempts >= max_attempts
        )
    return {recipient for recipient, lost in latest.items() if lost}


async def confirmed_departments(session: AsyncSession, deadline_id: int, year: int) -> set[str]:
    statement = select(ReportConfirmation.department_code).where(
        ReportConfirmation.deadline_id == deadline_id, ReportConfirmation.year == year
    )
    return set((await session.exec(statement)).all())


async def latest_unconfirmed_reminder(
    session: AsyncSession, person_id: int
) -> tuple[int, str, int] | None:
    """(deadline id, department, year) of the newest reminder sent to this person
    whose report is not confirmed yet: what a typed "Đã nộp báo cáo" refers to."""
    confirmed = select(ReportConfirmation.id).where(
        ReportConfirmation.deadline_id == ReminderDelivery.deadline_id,
        ReportConfirmation.department_code == ReminderDelivery.department_code,
        ReportConfirmation.year == ReminderDelivery.year,
    )
    statement = (
        select(
            ReminderDelivery.deadline_id, ReminderDelivery.department_code, ReminderDelivery.year
        )
        .where(
            ReminderDelivery.recipient_id == person_id,
            ReminderDelivery.kind == "reminder",
            ReminderDelivery.status == "sent",
            ~confirmed.exists(),
        )
        .order_by(col(ReminderDelivery.sent_at).desc())
    )
    row = (await session.exec(statement)).first()
    return (row[0], row[1], row[2]) if row else None


async def confirm_report(
    session: AsyncSession, deadline_id: int, department_code: str, year: int, person_id: int
) -> tuple[ReportConfirmation, bool]:
    """Records the confirmation once; returns (row, created now)."""
    existing = (
        await session.exec(
            select(ReportConfirmation).where(
                ReportConfirmation.deadline_id == deadline_id,
                ReportConfirmation.department_code == department_code,
                ReportConfirmation.year == year,
            )
        )
    ).first()
    if existing is not None:
        return existing, False
    confirmation = ReportConfirmation(
        deadline_id=deadline_id,
        department_code=department_code,
        year=year,
        confirmed_by_id=person_id,
    )
    session.add(confirmation)
    await session.flush()
    return confirmation, True


async def delivery(session: AsyncSession, key: dict) -> ReminderDelivery | None:
    statement = select(ReminderDelivery).where(
        *(getattr(ReminderDelivery, name) == value for name, value in key.items())
    )
    return (await session.exec(statement)).first()


@dataclass(frozen=True)
class HistoryRow:
    """One delivery as the history shows it: whom it went to, about what, and how."""

    delivery: ReminderDelivery
    recipient: str
    department_vi: str
    department_en: str
    title_vi: str
    title_en: str


async def delivery_history(
    session: AsyncSession, start: datetime, end: datetime
) -> list[HistoryRow]:
    """Every delivery sent or last tried in [start, end), oldest first, with the
    recipient's name and department and the deadline's title."""
    moment = func.coalesce(ReminderDelivery.sent_at, ReminderDelivery.claimed_at)
    statement = (
        select(
            ReminderDelivery,
            Person.name,
            Department.name_vi,
            Department.name_en,
            Deadline.title_vi,
            Deadline.title_en,
        )
        .join(Person, Person.id == ReminderDelivery.recipient_id)
        .join(Department, Department.code == Person.department_code)
        .join(Deadline, Deadline.id == ReminderDelivery.deadline_id)
        .where(moment >= start, moment < end)
        .order_by(moment, ReminderDelivery.id)
    )
    return [HistoryRow(*row) for row in (await session.exec(statement)).all()]


async def department_progress(
    session: AsyncSession,
    department_code: str,
    checklist_id: str,
    kinds: list[str],
    start: datetime,
    end: datetime,
) -> tuple[int, int]:
    """(sites of these kinds checked by the department's people in [start, end),
    operating sites of these kinds); for checklists without sites, (submissions, 0)."""
    submitted = (
        select(ChecklistRun.site_id)
        .join(Person, Person.id == ChecklistRun.person_id)
        .where(
            ChecklistRun.checklist_id == checklist_id,
            ChecklistRun.status == "submitted",
            Person.department_code == department_code,
            col(ChecklistRun.submitted_at) >= start,
            col(ChecklistRun.submitted_at) < end,
        )
    )
    if not kinds:
        count = select(func.count()).select_from(submitted.subquery())
        return (await session.exec(count)).one(), 0
    operating = select(Site.id).where(col(Site.kind).in_(kinds), Site.status == "operating")
    checked = select(func.count(func.distinct(Site.id))).where(
        col(Site.id).in_(submitted.scalar_subquery()), col(Site.id).in_(operating.scalar_subquery())
    )
    total = select(func.count()).select_from(operating.subquery())
    return (await session.exec(checked)).one(), (await session.exec(total)).one()


async def add_deadline(session: AsyncSession, deadline: Deadline) -> Deadline:
    session.add(deadline)
    await session.flush()
    return deadline


async def remove_deadline(session: AsyncSession, deadline_id: int) -> bool:
    """Deactivates (deliveries and confirmations keep pointing at it)."""
    deadline = await session.get(Deadline, deadline_id)
    if deadline is None or not deadline.active:
        return False
    deadline.active = False
    session.add(deadline)
    await session.flush()
    return True
