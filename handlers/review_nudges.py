"""Nudges about unfinished work, once a working day: a check sent back for correction
(at most [review] correction_nudges times per request), and a draft left untouched for
[review] draft_nudge_hours working hours (once, "Tiếp tục" / "Bỏ"); a draft untouched
for draft_abandon_days is closed as abandoned (cancelled: it never counts).

Each nudge is claimed in the database before it is sent (storage.review.claim_nudge),
so two processes, or a tick run twice, never send it twice. ``send`` is the reminders'
sender (bot/notify.Notifier): it tries the person's channels in turn.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers import payloads as p
from handlers.catalog import t
from handlers.checklist import ChecklistRegistry
from handlers.messages import Choice, Reply
from handlers.reminders.calendar import is_working_day
from storage import review as store
from storage.db import Database
from storage.models import ChecklistRun, Person, Site, utcnow

log = logging.getLogger(__name__)

# The office day the "working hours" of a draft nudge are counted in.
DAY_START, DAY_END = time(8, 0), time(17, 0)

Send = Callable[[Person, list[Reply]], Awaitable[object]]


@dataclass(frozen=True)
class NudgeSettings:
    timezone: ZoneInfo
    holidays: frozenset[date] = frozenset()
    correction_nudges: int = 3
    draft_nudge_hours: int = 4
    draft_abandon_days: int = 14


def working_hours_between(start: datetime, end: datetime, settings: NudgeSettings) -> float:
    """Office hours (08:00–17:00 on working days, local time) from ``start`` to ``end``."""
    start, end = start.astimezone(settings.timezone), end.astimezone(settings.timezone)
    total, day = 0.0, start.date()
    while day <= end.date():
        if is_working_day(day, settings.holidays):
            opens = datetime.combine(day, DAY_START, settings.timezone)
            closes = datetime.combine(day, DAY_END, settings.timezone)
            first, last = max(opens, start), min(closes, end)
            total += max((last - first).total_seconds(), 0) / 3600
        day += timedelta(days=1)
    return total


class Nudges:
    def __init__(self, db: Database, checklists: ChecklistRegistry, settings: NudgeSettings):
        self.db = db
        self.checklists = checklists
        self.settings = settings

    async def tick(self, now: datetime, send: Send) -> int:
        """Everything due now; returns how many nudges went out."""
        today = now.astimezone(self.settings.timezone).date()
        if not is_working_day(today, self.settings.holidays):
            return 0
        return await self.corrections(today, send) + await self.drafts(now, send)

    async def _about(self, session, run: ChecklistRun, language: str) -> dict:
        checklist = self.checklists.get(run.checklist_id)
        site = await session.get(Site, run.site_id) if run.site_id else None
        title = checklist.title_in(language) if checklist else run.checklist_id
        return {"title": title, "site": site.name if site else "—"}

    async def _claimed(self, run_id: int, request_seq: int, today: date, build) -> tuple | None:
        """Claims one nudge and builds it in the same transaction; None if not due."""
        async with self.db.session() as session:
            built = await build(session)
            if built is None or not await store.claim_nudge(session, run_id, request_seq, today):
                return None
            await session.commit()
            return built

    async def corrections(self, today: date, send: Send) -> int:
        async with self.db.session() as session:
            pending = await store.pending_corrections(session)
        sent = 0
        for check, request in pending:
            if request.at.astimezone(self.settings.timezone).date() >= today:
                continue  # asked today: the request itself was the message

            async def build(session, check=check, request=request):
                if await store.nudges_sent(session, check.id, request.seq) >= (
                    self.settings.correction_nudges
                ):
                    return None
                inspector = await session.get(Person, check.person_id)
                if inspector is None or not inspector.active:
                    return None
                language = inspector.language
                about = await self._about(session, check, language)
                text = t(language, "rv_nudge", comment=request.comment, **about)
                fix = p.StartCorrection(check.id, request.seq).encode()
                return inspector, [Reply(text, [Choice(t(language, "rv_button_fix"), fix)])]

            sent += await self._send(await self._claimed(check.id, request.seq, today, build), send)
        return sent

    async def drafts(self, now: datetime, send: Send) -> int:
        settings = self.settings
        abandon_before = now - timedelta(days=settings.draft_abandon_days)
        async with self.db.session() as session:
            # A draft counts as touched when its row changes; at least this old to qualify.
            untouched = await store.untouched_drafts(
                session, now - timedelta(hours=settings.draft_nudge_hours)
            )
            for run, _nudged in untouched:
                if run.updated_at < abandon_before:
                    run.status, run.updated_at = "cancelled", utcnow()
                    session.add(run)
            await session.commit()
        sent, today = 0, now.astimezone(settings.timezone).date()
        for run, nudged in untouched:
            if nudged or run.status != "draft":
                continue
            if working_hours_between(run.updated_at, now, settings) < settings.draft_nudge_hours:
                continue

            async def build(session, run=run):
                person = await session.get(Person, run.person_id)
                if person is None or not person.active:
                    return None
                language = person.language
                about = await self._about(session, run, language)
                started = run.started_at.astimezone(settings.timezone).strftime("%d/%m/%Y %H:%M")
                choices = [
                    Choice(t(language, "rv_button_continue"), p.ResumeRun(run.id).encode()),
                    Choice(t(language, "rv_button_drop"), p.DiscardRun(run.id).encode()),
                ]
                return person, [
                    Reply(t(language, "rv_draft_nudge", started=started, **about), choices)
                ]

            sent += await self._send(await self._claimed(run.id, 0, today, build), send)
        return sent

    @staticmethod
    async def _send(claimed: tuple | None, send: Send) -> int:
        if claimed is None:
            return 0
        person, replies = claimed
        try:
            await send(person, replies)
        except Exception as error:  # noqa: BLE001 - claimed: not tried again today
            log.warning("nudge to person %s not delivered (%s)", person.id, type(error).__name__)
            return 0
        return 1
