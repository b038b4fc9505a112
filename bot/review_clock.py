"""The review nudges' clock: APScheduler ticks each working hour, handlers/review_nudges
decides what is due and claims it in the database (so a second process, or a restart,
never nudges twice). Apart from the reminder clock: reminders are the deadlines'
business, these are the review's."""

from __future__ import annotations

import logging
from datetime import date, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.config import Config
from handlers.checklist import ChecklistRegistry
from handlers.review_nudges import Nudges, NudgeSettings, Send
from storage.db import Database

log = logging.getLogger(__name__)


def nudge_settings(config: Config) -> NudgeSettings:
    return NudgeSettings(
        timezone=config.timezone,
        holidays=frozenset(date.fromisoformat(d) for d in config.get("reminders", "holidays")),
        correction_nudges=config.get("review", "correction_nudges"),
        draft_nudge_hours=config.get("review", "draft_nudge_hours"),
        draft_abandon_days=config.get("review", "draft_abandon_days"),
    )


class ReviewNudgeClock:
    def __init__(self, config: Config, database: Database, send: Send) -> None:
        self.nudges = Nudges(database, ChecklistRegistry.load(), nudge_settings(config))
        self.send = send
        self.timezone = config.timezone
        self.scheduler = AsyncIOScheduler(timezone=self.timezone)
        # Five past each office hour on weekdays (holidays are skipped by the tick).
        trigger = CronTrigger(day_of_week="mon-fri", hour="8-16", minute=5, timezone=self.timezone)
        self.scheduler.add_job(
            self.tick, trigger, id="review-nudges", max_instances=1, coalesce=True
        )

    async def tick(self) -> None:
        try:
            sent = await self.nudges.tick(datetime.now(self.timezone), self.send)
        except Exception:  # a failed tick must not stop the clock
            log.exception("review nudges failed")
            return
        if sent:
            log.info("review nudges: %d sent", sent)

    async def start(self) -> None:
        self.scheduler.start()
        await self.tick()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
