"""The reminder clock: APScheduler ticks, handlers decide, the database claims.

Nothing is pickled into a job store: the jobs are rebuilt at every start and
each tick asks handlers.reminders what is due now.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.config import Config, ConfigError
from handlers.checklist import ChecklistRegistry
from handlers.reminders import WORK_END, Reminders, ReminderSettings, Sender
from storage.db import Database

log = logging.getLogger(__name__)


def reminder_settings(config: Config) -> ReminderSettings:
    text = config.get("reminders", "tick_time")
    try:
        hours, minutes = (int(part) for part in text.split(":"))
        tick = time(hours, minutes)
    except ValueError:
        raise ConfigError(
            f'[reminders] tick_time must be a time such as "08:00", got {text!r}'
        ) from None
    if tick >= WORK_END:
        raise ConfigError(
            f"[reminders] tick_time must be before {WORK_END:%H:%M} (the end of the "
            f"working day), got {text!r}"
        )
    return ReminderSettings(
        timezone=config.timezone,
        holidays=frozenset(date.fromisoformat(d) for d in config.get("reminders", "holidays")),
        tick_time=tick,
        max_attempts=config.get("reminders", "max_attempts"),
        overdue_limit_days=config.get("reminders", "overdue_limit_days"),
    )


def build_reminders(config: Config, database: Database) -> Reminders:
    return Reminders(database, ChecklistRegistry.load(), reminder_settings(config))


def tick_times(tick: time, retry_minutes: int, end: time = WORK_END) -> list[time]:
    """The day's ticks: tick_time, then every retry_minutes until the end of the day."""
    times, minute = [], tick.hour * 60 + tick.minute
    last = end.hour * 60 + end.minute
    while minute < last:
        times.append(time(minute // 60, minute % 60))
        minute += retry_minutes
    return times


def tick_trigger(tick: time, retry_minutes: int, timezone) -> OrTrigger:
    """One cron trigger per hour with that hour's minutes: any tick_time before the end
    of the day and any retry_minutes give a valid trigger covering the whole window."""
    by_hour: dict[int, list[int]] = {}
    for moment in tick_times(tick, retry_minutes):
        by_hour.setdefault(moment.hour, []).append(moment.minute)
    return OrTrigger(
        [
            CronTrigger(
                day_of_week="mon-fri",
                hour=str(hour),
                minute=",".join(str(m) for m in minutes),
                timezone=timezone,
            )
            for hour, minutes in sorted(by_hour.items())
        ]
    )


class ReminderClock:
    """Ticks at the configured time on weekdays, then every retry_minutes until the end
    of the working day (a tick only retries failed sends and catches up; it never
    repeats a sent one, and outside working hours it sends nothing)."""

    def __init__(self, config: Config, reminders: Reminders, send: Sender) -> None:
        self.reminders = reminders
        self.send = send
        self.timezone = config.timezone
        tick = reminders.settings.tick_time
        retry = config.get("reminders", "retry_minutes")
        self.scheduler = AsyncIOScheduler(timezone=self.timezone)
        self.scheduler.add_job(
            self.tick,
            tick_trigger(tick, retry, self.timezone),
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
