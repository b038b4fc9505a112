"""The pure calendar both the reminders and the report statuses read: working days
and a deadline's due date in a year. Here, below handlers/, so storage/kpis can ask
without importing handlers (handlers/reminders/calendar.py builds the reminder
slots on top and re-exports these)."""

from __future__ import annotations

import calendar as _calendar
from datetime import date, timedelta

from storage.models import Deadline


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
    """The deadline's due date in ``year``, or None when it has none that year. A
    yearly 29/02 falls on 28/02 in a common year (the last day of February)."""
    if deadline.due_date is not None:
        return deadline.due_date if deadline.due_date.year == year else None
    if deadline.yearly_month and deadline.yearly_day:
        last = _calendar.monthrange(year, deadline.yearly_month)[1]
        return date(year, deadline.yearly_month, min(deadline.yearly_day, last))
    return None
