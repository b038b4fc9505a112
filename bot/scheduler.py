"""The reminder clock: APScheduler ticks, handlers decide, the database claims.

Nothing is pickled into a job store: the jobs are rebuilt at every start and
each tick asks handlers.reminders what is due now.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.config import Config
from handlers.checklist import ChecklistRegistry
from handlers.reminders import Reminders, ReminderSettings, Sender
from storage.db import Database

log = logging.getLogger(__name__)

# Retries of failed sends stop at the end of the working day.
LAST_TICK_HOUR = 17


def reminder_settings(config: Config) -> ReminderSettings:
    hours, minutes = config.get("reminders", "tick_time").split(":")
    return ReminderSettings(
        timezone=config.timezone,
        holidays=frozenset(date.fromisoformat(d) for d in config.get("reminders", "holidays")),
        tick_time=time(int(hours), int(minutes)),
        max_attempts=config.get("reminders", "max_attempts"),
    )


def build_reminders(config: Config, database: Database) -> Reminders:
    return Reminders(database, ChecklistRegistry.load(), reminder_settings(config))


class ReminderClock:
    """Ticks at the configured time on weekdays, then every retry_minutes until 17:xx
    (a tick only retries failed sends and catches up; it never repeats a sent one)."""

    def __init__(self, config: Config, reminders: Reminders, send: Sender) -> None:
        self.reminders = reminders
        self.send = send
        self.timezone = config.timezone
        tick = reminders.settings.tick_time
        retry = config.get("reminders", "retry_minutes")
        self.scheduler = AsyncIOScheduler(timezone=self.timezone)
        self.scheduler.add_job(
            self.tick,
            CronTrigger(
                day_of_week="mon-fri",
                hour=f"{tick.hour}-{LAST_TICK_HOUR}",
                minute=f"{tick.minute}/{retry}" if retry < 60 else str(tick.minute),
                timezone=self.timezone,
            ),
            id="reminder-tick",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )

    async def tick(self) -> None:
        try:
            report = await self.reminders.tick(datetime.now(self.timezone), self.send)
        except Exception:  # a failed tick must not stop the clock
            log.exception("reminder tick failed")
            return
        if report.sent or report.failed or report.unreachable:
            log.info(
                "reminders: %d sent, %d failed, %d unreachable",
                report.sent,
                report.failed,
                report.unreachable,
            )

    async def start(self) -> None:
        """Starts the clock and catches up at once: the tick sends only the latest
        slot per recipient, so days missed while the bot was down make one message."""
        self.scheduler.start()
        await self.tick()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
