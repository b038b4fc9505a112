"""What a reminder run needs to know, and the types its parts hand each other."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from handlers.reminders.calendar import OVERDUE_LIMIT_DAYS
from storage.models import Person

if TYPE_CHECKING:
    from handlers.reminders.content import Message

# Reminders go out between tick_time and this time (the end of the working day).
WORK_END = time(18, 0)
# Writing a delivery's outcome: tries at once, then at the next ticks.
BOOKKEEPING_ATTEMPTS = 3


class Unreachable(Exception):
    """The person has no messenger account the bot can write to."""


# Sends a message to a person; returns the channel used; raises Unreachable or any error.
Sender = Callable[[Person, "Message"], Awaitable[str]]


@dataclass(frozen=True)
class ReminderSettings:
    timezone: ZoneInfo
    holidays: frozenset[date] = frozenset()
    tick_time: time = time(8, 0)
    max_attempts: int = 5
    concurrency: int = 50  # sends under way at once (each claimed "sending" first)
    claim_batch: int = 25  # reminders claimed in one transaction
    outcome_linger: float = 0.2  # seconds outcomes gather before one transaction writes them
    work_end: time = WORK_END
    overdue_limit_days: int = OVERDUE_LIMIT_DAYS
    bookkeeping_delay: float = 0.05  # seconds before the 2nd try of an outcome write


@dataclass
class TickReport:
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
