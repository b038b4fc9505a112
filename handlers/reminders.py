"""Deadline reminders: which are due on a day, what they say, and one tick that
claims and sends them.

A deadline has scheduled *slots*: each offset before the due date (moved to the
next working day when it falls on a weekend or holiday, or to the previous one
when moving forward would reach or pass the due date) and, after the due date,
every working day until the head confirms (at most ``overdue_limit_days``; then
one last escalation). A tick sends, per department and recipient, only the
latest slot that has come, and only inside working hours: a bot that was down
for four days sends one message with today's state, not four.

A delivery is recorded "sending" before the message leaves and "sent" (or
"failed") after; a "sending" row is never sent again, so when the bookkeeping
write fails it is the write that is retried, not the message.
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

# Overdue reminders stop after a month even without a confirmation (the default of
# ReminderSettings.overdue_limit_days): by then it is for the coordinating office to
# chase, and last year's report must not nag in spring.
OVERDUE_LIMIT_DAYS = 31
# Reminders go out between tick_time and this time (the end of the working day).
WORK_END = time(18, 0)
# Checklists that record models built (TTKC's cleaner-production models), not sites
# checked: their progress is a count of models.
MODEL_CHECKLISTS = frozenset({"cleaner_production"})
# Writing a delivery's outcome: tries at once, then at the next ticks.
BOOKKEEPING_ATTEMPTS = 3


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
    work_end: time = WORK_END
    overdue_limit_days: int = OVERDUE_LIMIT_DAYS
    bookkeeping_delay: float = 0.05  # seconds before the 2nd try of an outcome write


@dataclass(frozen=True)
class Slot:
    offset_days: int  # days before the due date; negative once overdue
    send_on: date
    final: bool = False  # the last escalation, when overdue reminders stop


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


def previous_working_day(day: date, holidays: frozenset[date]) -> date:
    while not is_working_day(day, holidays):
        day -= timedelta(days=1)
    return day


def due_date(deadline: Deadline, year: int) -> date | None:
    if deadline.due_date is not None:
        return deadline.due_date if deadline.due_date.year == year else None
    if deadline.yearly_month and deadline.yearly_day:
        return date(year, deadline.yearly_month, deadline.yearly_day)
    return None


def slot_day(due: date, offset: int, holidays: frozenset[date]) -> date:
    """The day an offset's reminder goes out: its own day if that is a working day,
    else the next working day, unless that reaches or passes the due date: then the
    previous one (a Sunday deadline's "1 day before" and "on the day" go out on Friday)."""
    target = due - timedelta(days=offset)
    if is_working_day(target, holidays):
        return target
    forward = next_working_day(target, holidays)
    if offset < 0 or forward < due:
        return forward
    return previous_working_day(target, holidays)


def final_day(due: date, holidays: frozenset[date], limit_days: int) -> date:
    """The first working day after the overdue limit: the last escalation."""
    return next_working_day(due + timedelta(days=limit_days + 1), holidays)


def slots(
    deadline: Deadline,
    due: date,
    holidays: frozenset[date],
    until: date,
    limit_days: int = OVERDUE_LIMIT_DAYS,
) -> list[Slot]:
    planned = [
        Slot(offset, slot_day(due, offset, holidays))
        for offset in sorted(set(deadline.offsets), reverse=True)
    ]
    if deadline.repeat_overdue:
        day = due + timedelta(days=1)
        last = min(until, due + timedelta(days=limit_days))
        while day <= last:
            if is_working_day(day, holidays):
                planned.append(Slot(-(day - due).days, day))
            day += timedelta(days=1)
        end = final_day(due, holidays, limit_days)
        if end <= until:
            planned.append(Slot(-(end - due).days, end, final=True))
    return planned


def current_slot(
    deadline: Deadline,
    due: date,
    holidays: frozenset[date],
    today: date,
    limit_days: int = OVERDUE_LIMIT_DAYS,
) -> Slot | None:
    """The latest slot whose day has come (the most urgent one on a shared day)."""
    last = final_day(due, holidays, limit_days) if deadline.repeat_overdue else due
    if today > last:
        return None  # over: a missed reminder is not caught up forever
    come = [s for s in slots(deadline, due, holidays, today, limit_days) if s.send_on <= today]
    return max(come, key=lambda s: (s.send_on, -s.offset_days)) if come else None


def candidate_years(today: date, limit_days: int) -> range:
    """Years whose due date may have a reminder window containing today: the window
    opens up to a year before the due date and closes after the overdue limit."""
    return range(today.year - 1 - limit_days // 365, today.year + 2)


class Reminders:
    def __init__(
        self, db: Database, checklists: ChecklistRegistry, settings: ReminderSettings
    ) -> None:
        self.db = db
        self.checklists = checklists
        self.settings = settings
        # Outcomes of sends whose bookkeeping write failed: (delivery id, status,
        # channel, error), written again at the next tick (never sent again).
        self.pending_outcomes: list[tuple[int, str, str | None, str | None]] = []
        self.warned: set[tuple] = set()

    # --- what is due -------------------------------------------------------------

    def in_working_hours(self, local: datetime) -> bool:
        return (
            is_working_day(local.date(), self.settings.holidays)
            and self.settings.tick_time <= local.time() < self.settings.work_end
        )

    async def plan(
        self, today: date, only_new_slots: bool = False, *, skip_handled: bool = False
    ) -> list[Planned]:
        """Every message due on ``today``. With only_new_slots, just the slots scheduled
        for that very day (what a preview of a normal day shows). With skip_handled,
        leaves out what was already sent, is being sent, or may not be tried again
        (what a tick needs: no text is built for them)."""
        if not is_working_day(today, self.settings.holidays):
            return []
        limit = self.settings.overdue_limit_days
        planned: list[Planned] = []
        async with self.db.session() as session:
            departments = None
            for deadline in await store.active_deadlines(session):
                # Every year whose reminder window may hold today: a deadline on
                # 10/01 has its reminders in December of the year before.
                for year in candidate_years(today, limit):
                    due = due_date(deadline, year)
                    if due is None:
                        continue
                    slot = current_slot(deadline, due, self.settings.holidays, today, limit)
                    if slot is None or (only_new_slots and slot.send_on != today):
                        continue
                    if departments is None:
                        departments = await store.all_departments(session)
                    planned += await self._plan_deadline(
                        session,
                        deadline,
                        year,
                        due,
                        slot,
                        today,
                        departments,
                        with_status=only_new_slots,
                        skip_handled=skip_handled,
                    )
        return planned

    def progress_year(self, deadline: Deadline, due: date) -> int:
        """The year whose work a reminder shows: the one its reminder window opens in
        (a report due 10/01/2027 is about 2026)."""
        return (due - timedelta(days=max(deadline.offsets, default=0))).year

    async def _plan_deadline(
        self,
        session,
        deadline,
        year,
        due,
        slot,
        today,
        departments,
        with_status=False,
        skip_handled=False,
    ):
        codes = deadline.departments or [d.code for d in departments]
        by_code = {d.code: d for d in departments}
        confirmed = await store.confirmed_departments(session, deadline.id, year)
        waiting = [code for code in codes if code not in confirmed and code in by_code]
        if not waiting:
            return []
        handled = (
            await store.handled_deliveries(
                session, deadline.id, year, slot.offset_days, self.settings.max_attempts
            )
            if skip_handled
            else set()
        )
        heads = {code: await store.heads_of(session, code) for code in waiting}
        reachable = await store.people_with_accounts(
            session, [head.id for people_ in heads.values() for head in people_]
        )
        lost = await store.unreachable_recipients(
            session, deadline.id, year, self.settings.max_attempts
        )
        progress_year = self.progress_year(deadline, due)
        planned = []
        if not slot.final:  # after the limit the heads hear no more; KTATMT does
            for code in waiting:
                progress = None
                for head in heads[code]:
                    key = dict(
                        deadline_id=deadline.id,
                        department_code=code,
                        recipient_id=head.id,
                        year=year,
                        offset_days=slot.offset_days,
                        kind="reminder",
                    )
                    if (code, head.id, "reminder") in handled:
                        continue
                    if progress is None:
                        progress = await self._progress(session, code, progress_year)
                    reply = self._reminder(
                        head.language, deadline, due, today, year, code, progress
                    )
                    planned.append(Planned(key, head, [reply]))
        coordinator = deadline.escalate_to
        if coordinator:
            # Heads someone must phone: no account, their last reminder could not be
            # delivered, or a department with no head in the bot at all.
            cannot_reach = [
                (code, head)
                for code in waiting
                for head in heads[code]
                if head.id not in reachable or head.id in lost
            ]
            headless = [code for code in waiting if not heads[code] and code != coordinator]
            others = [code for code in waiting if code != coordinator]
            kind = None
            if slot.final and others:
                kind = "final_escalation"
            elif slot.offset_days < 0 and others:
                kind = "escalation"
            elif slot.offset_days >= 0 and (cannot_reach or headless):
                kind = "unreachable_note"
            if kind is not None:
                recipients = await store.coordinators(session, coordinator)
                warning = (deadline.id, year, slot.offset_days, kind)
                if warning not in self.warned and not await store.people_with_accounts(
                    session, [p.id for p in recipients]
                ):
                    self.warned.add(warning)  # once per slot, not at every tick
                    log.warning(
                        "deadline %s: nobody in %s can be reached for the %s",
                        deadline.id,
                        coordinator,
                        kind,
                    )
                for person in recipients:
                    if (coordinator, person.id, kind) in handled:
                        continue
                    key = dict(
                        deadline_id=deadline.id,
                        department_code=coordinator,
                        recipient_id=person.id,
                        year=year,
                        offset_days=slot.offset_days,
                        kind=kind,
                    )
                    text = self._coordinator_text(
                        person.language,
                        kind,
                        deadline,
                        due,
                        today,
                        [by_code[code] for code in others],
                        [(by_code[code], head) for code, head in cannot_reach],
                        [by_code[code] for code in headless],
                    )
                    planned.append(Planned(key, person, [Reply(text)]))
        if with_status:  # previews show what was already sent; ticks need not ask
            for item in planned:
                existing = await store.delivery(session, item.key)
                item.already = existing.status if existing else None
        return planned

    @staticmethod
    def _department_name(department, language: str) -> str:
        return department.name_en if language == "en" else department.name_vi

    def _coordinator_text(
        self, language, kind, deadline, due, today, others, cannot_reach, headless
    ) -> str:
        names = ", ".join(self._department_name(d, language) for d in others)
        values = dict(
            title=self._title(deadline, language),
            due=due.strftime("%d/%m/%Y"),
            days=(today - due).days,
            departments=names,
        )
        if kind == "escalation":
            lines = [t(language, "reminder_escalation", **values)]
        elif kind == "final_escalation":
            lines = [t(language, "reminder_escalation_final", **values)]
        else:
            lines = [t(language, "reminder_unreachable_note", **values)]
        if cannot_reach or headless:
            people_ = [
                t(
                    language,
                    "reminder_unreachable_person",
                    name=head.name,
                    department=self._department_name(department, language),
                )
                for department, head in cannot_reach
            ] + [
                t(
                    language,
                    "reminder_no_head",
                    department=self._department_name(department, language),
                )
                for department in headless
            ]
            lines.append(t(language, "reminder_unreachable_list", people="; ".join(people_)))
        return "\n".join(lines)

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
        text = t(language, key, **values)
        if not values["progress"]:  # a department without a checklist: no empty line
            text = text.replace("\n\n", "\n")
        return Reply(
            text,
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
            kinds = [] if checklist.id in MODEL_CHECKLISTS else list(checklist.site_kinds)
            done, total = await store.department_progress(
                session, department, checklist.id, kinds, start, end
            )
            rows.append((department, checklist, done, total, year))
        return rows

    @staticmethod
    def _progress_text(language: str, rows: list[tuple]) -> str:
        lines = []
        for department, checklist, done, total, year in rows:
            if checklist.id in MODEL_CHECKLISTS:
                line = t(language, "progress_models", department=department, count=done, year=year)
                if line not in lines:
                    lines.append(line)
            elif checklist.site_kinds:
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
        return "\n".join(dict.fromkeys(lines))  # each line once

    # --- sending -----------------------------------------------------------------

    async def tick(self, now: datetime, send: Sender) -> TickReport:
        """Claims and sends everything due at ``now``; safe to run any number of times.
        Outside working hours it only writes outcomes left over from a failed write."""
        local = now.astimezone(self.settings.timezone)
        report = TickReport()
        await self._write_pending_outcomes(report)
        if not self.in_working_hours(local):
            return report
        planned = await self.plan(local.date(), skip_handled=True)
        gate = asyncio.Semaphore(self.settings.concurrency)

        async def one(item: Planned) -> None:
            async with gate:
                await self._send_one(item, send, report)

        await asyncio.gather(*(one(item) for item in planned))
        return report

    async def _send_one(self, item: Planned, send: Sender, report: TickReport) -> None:
        # No database connection is held while the message travels: the sender may
        # need one itself, and a tick sends to many people at once.
        try:
            async with self.db.session() as session:
                claimed = await store.claim(session, item.key, self.settings.max_attempts)
                if claimed is None:
                    report.skipped += 1
                    return
                reachable = await store.has_account(session, item.person.id)
                if reachable:
                    # From here on the message may have left: never sent again.
                    await store.mark_sending(session, claimed)
        except Exception as error:  # noqa: BLE001 - nothing was sent; the next tick retries
            reason = f"{type(error).__name__}: {error}"
            log.warning("reminder to person %s not claimed: %s", item.person.id, reason)
            report.failed += 1
            report.errors.append(reason)
            return
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
        await self._write_outcome((claimed, status, channel, reason), report)
        if status == "sent":
            report.sent += 1
        elif status == "failed":
            report.failed += 1
        else:
            report.unreachable += 1

    async def _write_outcome(
        self, outcome: tuple[int, str, str | None, str | None], report: TickReport
    ) -> bool:
        """Records a send's outcome, trying again a few times; if the database still
        refuses, keeps it for the next tick. The message itself is not sent again."""
        delivery_id, status, channel, reason = outcome
        for attempt in range(BOOKKEEPING_ATTEMPTS):
            try:
                async with self.db.session() as session:
                    await store.record_outcome(
                        session, delivery_id, status, channel=channel, error=reason
                    )
                return True
            except Exception as error:  # noqa: BLE001 - e.g. "database is locked"
                last = f"{type(error).__name__}: {error}"
                if attempt + 1 < BOOKKEEPING_ATTEMPTS:
                    await asyncio.sleep(self.settings.bookkeeping_delay * 2**attempt)
        log.error(
            "reminder %s was %s but could not be recorded (%s); recording at the next tick",
            delivery_id,
            status,
            last,
        )
        report.errors.append(f"recording reminder {delivery_id}: {last}")
        self.pending_outcomes.append(outcome)
        return False

    async def _write_pending_outcomes(self, report: TickReport) -> None:
        pending, self.pending_outcomes = self.pending_outcomes, []
        for outcome in pending:
            await self._write_outcome(outcome, report)
