"""The reminder calendar: working days, due dates and the days reminders go out.

The one copy of these rules: planning, previews, history and the report statuses
all ask here when a deadline is due and when its reminders are.

A deadline has scheduled *slots*: each offset before the due date (moved to the
next working day when it falls on a weekend or holiday, or to the previous one
when moving forward would reach or pass the due date) and, after the due date,
every working day until the head confirms (at most ``limit_days``; then one last
escalation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# The pure calendar lives in storage (the report statuses read it too); re-exported.
from storage.calendar import due_date, is_working_day, next_working_day, previous_working_day
from storage.models import Deadline

__all__ = [
    "OVERDUE_LIMIT_DAYS",
    "Slot",
    "candidate_years",
    "current_slot",
    "due_date",
    "final_day",
    "is_working_day",
    "next_working_day",
    "previous_working_day",
    "progress_year",
    "slot_day",
    "slots",
]

# Overdue reminders stop after a month even without a confirmation (the default of
# [reminders] overdue_limit_days): by then it is for the coordinating office to
# chase, and last year's report must not nag in spring.
OVERDUE_LIMIT_DAYS = 31


@dataclass(frozen=True)
class Slot:
    offset_days: int  # days before the due date; negative once overdue
    send_on: date
    final: bool = False  # the last escalation, when overdue reminders stop


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


def progress_year(deadline: Deadline, due: date) -> int:
    """The year whose work a reminder shows: the one its reminder window opens in
    (a report due 10/01/2027 is about 2026)."""
    return (due - timedelta(days=max(deadline.offsets, default=0))).year
