"""Which reminders are due on a day, to whom, saying what.

Per deadline and department only the latest slot that has come is planned: a bot
that was down for four days sends one message with today's state, not four.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from handlers.checklist import ChecklistRegistry
from handlers.messages import Reply
from handlers.reminders import content
from handlers.reminders.calendar import (
    Slot,
    candidate_years,
    current_slot,
    due_date,
    is_working_day,
    progress_year,
)
from handlers.reminders.content import Message, ProgressRow
from handlers.reminders.settings import ReminderSettings
from storage import reminders as store
from storage.db import Database
from storage.models import Deadline, Person

log = logging.getLogger(__name__)


@dataclass
class Planned:
    """One message due: who gets it, under which claim key, saying what."""

    key: dict
    person: Person
    message: Message
    already: str | None = None  # status of an existing delivery, for previews

    @property
    def replies(self) -> list[Reply]:
        return self.message.with_buttons


@dataclass
class Due:
    """One deadline's slot on one day, and the departments still waiting for it."""

    deadline: Deadline
    year: int
    due: date
    slot: Slot
    today: date
    waiting: list[str]
    heads: dict[str, list[Person]]
    handled: set[tuple[str, int, str]]

    def key(self, department: str, person: Person, kind: str) -> dict:
        return dict(
            deadline_id=self.deadline.id,
            department_code=department,
            recipient_id=person.id,
            year=self.year,
            offset_days=self.slot.offset_days,
            kind=kind,
        )


class Planner:
    def __init__(
        self, db: Database, checklists: ChecklistRegistry, settings: ReminderSettings
    ) -> None:
        self.db = db
        self.checklists = checklists
        self.settings = settings
        self.warned: set[tuple] = set()
        # Coordinating offices with nobody the bot can reach, found by the last plan
        # (what `fieldbot reminders preview` shows under its table).
        self.unheard: list[str] = []

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
        self.unheard = []
        if not is_working_day(today, self.settings.holidays):
            return []
        limit = self.settings.overdue_limit_days
        planned: list[Planned] = []
        async with self.db.session() as session:
            departments = {d.code: d for d in await store.all_departments(session)}
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
                    found = await self._due(
                        session, deadline, year, due, slot, today, departments, skip_handled
                    )
                    if found is None:
                        continue
                    items = await self._head_reminders(session, found, departments)
                    items += await self._coordinator_messages(session, found, departments)
                    if only_new_slots:  # previews show what was already sent
                        for item in items:
                            existing = await store.delivery(session, item.key)
                            item.already = existing.status if existing else None
                    planned += items
        return planned

    async def _due(self, session, deadline, year, due, slot, today, departments, skip_handled):
        codes = deadline.departments or list(departments)
        confirmed = await store.confirmed_departments(session, deadline.id, year)
        waiting = [code for code in codes if code not in confirmed and code in departments]
        if not waiting:
            return None
        handled = (
            await store.handled_deliveries(
                session, deadline.id, year, slot.offset_days, self.settings.max_attempts
            )
            if skip_handled
            else set()
        )
        heads = {code: await store.heads_of(session, code) for code in waiting}
        return Due(deadline, year, due, slot, today, waiting, heads, handled)

    async def _head_reminders(self, session, found: Due, departments) -> list[Planned]:
        if found.slot.final:  # after the limit the heads hear no more; KTATMT does
            return []
        planned = []
        year = progress_year(found.deadline, found.due)
        for code in found.waiting:
            rows: list[ProgressRow] | None = None  # asked once per department
            for head in found.heads[code]:
                if (code, head.id, "reminder") in found.handled:
                    continue
                if rows is None:
                    rows = await self._progress(session, code, year)
                language = head.language
                message = content.reminder(
                    language,
                    found.deadline,
                    found.due,
                    found.today,
                    found.year,
                    departments[code],
                    content.progress_text(language, departments[code], year, rows),
                )
                planned.append(Planned(found.key(code, head, "reminder"), head, message))
        return planned

    async def _coordinator_messages(self, session, found: Due, departments) -> list[Planned]:
        coordinator = found.deadline.escalate_to
        if not coordinator:
            return []
        kind, cannot_reach, headless, others = await self._coordinator_kind(session, found)
        if kind is None:
            return []
        recipients = await store.coordinators(session, coordinator)
        if not await store.people_with_accounts(session, [p.id for p in recipients]):
            self._nobody_reachable(found, coordinator, kind)
        planned = []
        for person in recipients:
            if (coordinator, person.id, kind) in found.handled:
                continue
            text = content.coordinator_text(
                person.language,
                kind,
                found.deadline,
                found.due,
                found.today,
                [departments[code] for code in others],
                [(departments[code], head.name) for code, head in cannot_reach],
                [departments[code] for code in headless],
            )
            key = found.key(coordinator, person, kind)
            planned.append(Planned(key, person, content.plain(text)))
        return planned

    async def _coordinator_kind(self, session, found: Due):
        """What the coordinating office hears on this slot (None: nothing), and the
        heads someone must phone: no account, their last reminder could not be
        delivered, or a department with no head in the bot at all."""
        coordinator = found.deadline.escalate_to
        all_heads = [head.id for people in found.heads.values() for head in people]
        reachable = await store.people_with_accounts(session, all_heads)
        lost = await store.unreachable_recipients(
            session, found.deadline.id, found.year, self.settings.max_attempts
        )
        cannot_reach = [
            (code, head)
            for code in found.waiting
            for head in found.heads[code]
            if head.id not in reachable or head.id in lost
        ]
        headless = [c for c in found.waiting if not found.heads[c] and c != coordinator]
        others = [code for code in found.waiting if code != coordinator]
        kind = None
        if found.slot.final and others:
            kind = "final_escalation"
        elif found.slot.offset_days < 0 and others:
            kind = "escalation"
        elif found.slot.offset_days >= 0 and (cannot_reach or headless):
            kind = "unreachable_note"
        return kind, cannot_reach, headless, others

    def _nobody_reachable(self, found: Due, coordinator: str, kind: str) -> None:
        note = (
            f"deadline {found.deadline.id} ({found.due:%d/%m/%Y}): nobody in {coordinator} "
            f"can be reached for the {kind.replace('_', ' ')}"
        )
        self.unheard.append(note)
        warning = (found.deadline.id, found.year, found.slot.offset_days, kind)
        if warning not in self.warned:
            self.warned.add(warning)  # once per slot, not at every tick
            log.warning(
                "deadline %s: nobody in %s can be reached for the %s",
                found.deadline.id,
                coordinator,
                kind,
            )

    async def _progress(self, session, department: str, year: int) -> list[ProgressRow]:
        tz = self.settings.timezone
        start = datetime(year, 1, 1, tzinfo=tz)
        end = datetime(year + 1, 1, 1, tzinfo=tz)
        rows = []
        for checklist in self.checklists.by_id.values():
            if department not in checklist.departments:
                continue
            models = checklist.id in content.MODEL_CHECKLISTS
            kinds = [] if models else list(checklist.site_kinds)
            done, total = await store.department_progress(
                session, department, checklist.id, kinds, start, end
            )
            rows.append(ProgressRow(checklist, done, total))
        return rows
