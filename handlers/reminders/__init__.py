"""Deadline reminders: which are due on a day, what they say, and one tick that
claims and sends them.

calendar.py   working days, due dates, slots (the one copy of these rules)
content.py    what a reminder, an escalation and a note say, per channel
planning.py   what is due on a day, to whom
sending.py    the tick: claim, send, record the outcome (class Reminders)
history.py    what was sent, to whom, when and how (for `fieldbot reminders history`)
"""

from handlers.reminders.calendar import (
    OVERDUE_LIMIT_DAYS,
    Slot,
    candidate_years,
    current_slot,
    due_date,
    final_day,
    is_working_day,
    next_working_day,
    previous_working_day,
    slot_day,
    slots,
)
from handlers.reminders.content import MODEL_CHECKLISTS, Message
from handlers.reminders.planning import Planned
from handlers.reminders.sending import Reminders
from handlers.reminders.settings import (
    WORK_END,
    ReminderSettings,
    Sender,
    TickReport,
    Unreachable,
)

__all__ = [
    "MODEL_CHECKLISTS",
    "OVERDUE_LIMIT_DAYS",
    "WORK_END",
    "Message",
    "Planned",
    "ReminderSettings",
    "Reminders",
    "Sender",
    "Slot",
    "TickReport",
    "Unreachable",
    "candidate_years",
    "current_slot",
    "due_date",
    "final_day",
    "is_working_day",
    "next_working_day",
    "previous_working_day",
    "slot_day",
    "slots",
]
