"""Deadline reminders: which are due on a day, what they say, and one tick that
claims and sends them.

A deadline has scheduled *slots*: each offset before the due date (moved to the
next working day when it falls on a weekend or holiday) and, after the due date,
every working day until the head confirms. A tick sends, per department and
recipient, only the latest slot that has come: a bot that was down for four
days sends one message with today's state, not four.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.catalog import t
from handlers.checklist import ChecklistRegistry
from handlers.messages import Choice, Reply
from storage import reminders as store
from storage.db import Database
from storage.models import Deadline, Person

log = logging.getLogger(__name__)

# Overdue reminders stop after a month even without a confirmation: by then it is
# for the coordinating office to chase, and last year's report must not nag in spring.
OVERDUE_LIMIT_DAYS = 31


class Unreachable(Exception):
    """The person has no messenger account the bot can write to."""


# Sends replies to a person; returns the channel used; raises Unreachable or any error.
Sender = Callable[[Person, list[Reply]], Awaitable[str]]


@dataclass(frozen=True)
class ReminderSettings:
    timezone: ZoneInfo
    holidays: frozenset[date] = frozenset()
    tick_time: time = time(8, 0)
    max_attempts: int = 5
    concurrency: int = 50


@dataclass(frozen=True)
class Slot:
    offset_days: int  # days before the due date; negative once overdue
    send_on: date


@dataclass
class Planned:
    """One message due: who gets it, under which claim key, saying what."""

    key: dict
    person: Person
    replies: list[Reply]
    already: str | None = None  # status of an existing delivery, for previews


@dataclass
class TickReport:
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def is_working_day(day: date, holidays: frozenset[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def next_working_day(day: date, holidays: frozenset[date]) -> date:
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def due_date(deadline: Deadline, year: int) -> date | None:
    if deadline.due_date is not None:
        return deadline.due_date if deadline.due_date.year == year else None
    if deadline.yearly_month and deadline.yearly_day:
        return date(year, deadline.yearly_month, deadline.yearly_day)
    return None


def slots(deadline: Deadline, due: date, holidays: frozenset[date], until: date) -> list[Slot]:
    planned = [
        Slot(offset, next_working_day(due - timedelta(days=offset), holidays))
        for offset in sorted(set(deadline.offsets), reverse=True)
    ]
    if deadline.repeat_overdue:
        day = due + timedelta(days=1)
        last = min(until, due + timedelta(days=OVERDUE_LIMIT_DAYS))
        while day <= last:
            if is_working_day(day, holidays):
                planned.append(Slot(-(day - due).days, day))
            day += timedelta(days=1)
    return planned


def current_slot(
    deadline: Deadline, due: date, holidays: frozenset[date], today: date
) -> Slot | None:
    """The latest slot whose day has come (the most urgent one on a shared day)."""
    if today > due + timedelta(days=OVERDUE_LIMIT_DAYS if deadline.repeat_overdue else 0):
        return None  # over: a missed reminder is not caught up forever
    come = [s for s in slots(deadline, due, holidays, today) if s.send_on <= today]
    return max(come, key=lambda s: (s.send_on, -s.offset_days)) if come else None


class Reminders:
    def __init__(
        self, db: Database, checklists: ChecklistRegistry, settings: ReminderSettings
    ) -> None:
        self.db = db
        self.checklists = checklists
        self.settings = settings

    # --- what is due -------------------------------------------------------------

    async def plan(self, today: date, only_new_slots: bool = False) -> list[Planned]:
        """Every message due on ``today``. With only_new_slots, just the slots scheduled
        for that very day (what a preview of a normal day shows)."""
        if not is_working_day(today, self.settings.holidays):
            return []
        planned: list[Planned] = []
        async with self.db.session() as session:
            departments = await store.all_departments(session)
            for deadline in await store.active_deadlines(session):
                for year in (today.year - 1, today.year):
                    due = due_date(deadline, year)
                    if due is None:
                        continue
                    slot = current_slot(deadline, due, self.settings.holidays, today)
                    if slot is None or (only_new_slots and slot.send_on != today):
                        continue
                    planned += await self._plan_deadline(
                        session,
                        deadline,
                        year,
                        due,
                        slot,
                        today,
                        departments,
                        with_status=only_new_slots,
                    )
        return planned

    async def _plan_deadline(
        self, session, deadline, year, due, slot, today, departments, with_status=False
    ):
        codes = deadline.departments or [d.code for d in departments]
        names = {d.code: d for d in departments}
        confirmed = await store.confirmed_departments(session, deadline.id, year)
        waiting = [code for code in codes if code not in confirmed and code in names]
        planned = []
        for code in waiting:
            progress = await self._progress(session, code, year)
            for head in await store.heads_of(session, code):
                key = dict(
                    deadline_id=deadline.id,
                    department_code=code,
                    recipient_id=head.id,
                    year=year,
                    offset_days=slot.offset_days,
                    kind="reminder",
                )
                reply = self._reminder(head.language, deadline, due, today, year, code, progress)
                planned.append(Planned(key, head, [reply]))
        if slot.offset_days < 0 and deadline.escalate_to and waiting:
            for head in await store.heads_of(session, deadline.escalate_to):
                key = dict(
                    deadline_id=deadline.id,
                    department_code=deadline.escalate_to,
                    recipient_id=head.id,
                    year=year,
                    offset_days=slot.offset_days,
                    kind="escalation",
                )
                text = t(
                    head.language,
                    "reminder_escalation",
                    title=self._title(deadline, head.language),
                    due=due.strftime("%d/%m/%Y"),
                    days=(today - due).days,
                    departments=", ".join(waiting),
                )
                planned.append(Planned(key, head, [Reply(text)]))
        if with_status:  # previews show what was already sent; ticks need not ask
            for item in planned:
                existing = await store.delivery(session, item.key)
                item.already = existing.status if existing else None
        return planned

    @staticmethod
    def _title(deadline: Deadline, language: str) -> str:
        return deadline.title_en if language == "en" else deadline.title_vi

    def _reminder(self, language, deadline, due, today, year, department, progress) -> Reply:
        # Days are counted from today, not from the slot: a caught-up reminder tells the truth.
        days_left = (due - today).days
        values = dict(
            title=self._title(deadline, language),
            due=due.strftime("%d/%m/%Y"),
            days=abs(days_left),
            progress=self._progress_text(language, progress),
        )
        key = (
            "reminder_before"
            if days_left > 0
            else "reminder_today"
            if days_left == 0
            else "reminder_overdue"
        )
        return Reply(
            t(language, key, **values),
            [
                Choice(t(language, "button_report_done"), f"rc:{deadline.id}:{year}:{department}"),
            ],
        )

    async def _progress(self, session, department: str, year: int) -> list[tuple]:
        tz = self.settings.timezone
        start = datetime(year, 1, 1, tzinfo=tz)
        end = datetime(year + 1, 1, 1, tzinfo=tz)
        rows = []
        for checklist in self.checklists.by_id.values():
            if department not in checklist.departments:
                continue
            done, total = await store.department_progress(
                session, department, checklist.id, list(checklist.site_kinds), start, end
            )
            rows.append((department, checklist, done, total, year))
        return rows

    @staticmethod
    def _progress_text(language: str, rows: list[tuple]) -> str:
        lines = []
        for department, checklist, done, total, year in rows:
            if checklist.site_kinds:
                what = ", ".join(t(language, f"kind_{k}") for k in checklist.site_kinds)
                lines.append(
                    t(
                        language,
                        "progress_sites",
                        department=department,
                        done=done,
                        total=total,
                        what=what,
                        year=year,
                    )
                )
            else:
                lines.append(
                    t(
                        language,
                        "progress_count",
                        department=department,
                        count=done,
                        what=checklist.title_in(language),
                        year=year,
                    )
                )
        return "\n".join(lines)

    # --- sending -----------------------------------------------------------------

    async def tick(self, now: datetime, send: Sender) -> TickReport:
        """Claims and sends everything due at ``now``; safe to run any number of times."""
        local = now.astimezone(self.settings.timezone)
        report = TickReport()
        if local.time() < self.settings.tick_time:
            return report
        planned = await self.plan(local.date())
        gate = asyncio.Semaphore(self.settings.concurrency)

        async def one(item: Planned) -> None:
            async with gate:
                await self._send_one(item, send, report)

        await asyncio.gather(*(one(item) for item in planned))
        return report

    async def _send_one(self, item: Planned, send: Sender, report: TickReport) -> None:
        # No database connection is held while the message travels: the sender may
        # need one itself, and a tick sends to many people at once.
        async with self.db.session() as session:
            claimed = await store.claim(session, item.key, self.settings.max_attempts)
            if claimed is None:
                report.skipped += 1
                return
            reachable = await store.has_account(session, item.person.id)
        status, channel, reason = "unreachable", None, "no messenger account"
        if reachable:
            try:
                channel = await send(item.person, item.replies)
                status, reason = "sent", None
            except Unreachable as error:
                reason = str(error)
            except Exception as error:  # noqa: BLE001 - every failure is recorded, then retried
                status, reason = "failed", f"{type(error).__name__}: {error}"
                log.warning("reminder %s to person %s failed: %s", claimed, item.person.id, reason)
                report.errors.append(reason)
        async with self.db.session() as session:
            await store.record_outcome(session, claimed, status, channel=channel, error=reason)
        if status == "sent":
            report.sent += 1
        elif status == "failed":
            report.failed += 1
        else:
            report.unreachable += 1
