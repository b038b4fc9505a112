"""What was sent, to whom, when, on which channel, and what failed: the table of
`fieldbot reminders history` (the preview shows what is scheduled; this, what
happened)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from storage import reminders as store
from storage.db import Database

# A long error is cut here: the table must stay readable in a terminal.
PROBLEM_WIDTH = 80
HEADERS = ["when", "to", "department", "deadline", "what", "channel", "status", "problem"]

KINDS = {
    "reminder": "reminder",
    "escalation": "escalation",
    "final_escalation": "last escalation",
    "unreachable_note": "note: heads to phone",
}
STATUSES = {
    "sent": "sent",
    "failed": "failed",
    "unreachable": "unreachable",
    # The message may have left but its outcome is not written yet (never re-sent).
    "sending": "sent?",
    "claimed": "in progress",
}


async def history(database: Database, year: int, timezone: ZoneInfo) -> list[list[str]]:
    """The rows of the year's history (by the local date of the send or last try)."""
    start = datetime(year, 1, 1, tzinfo=timezone)
    end = datetime(year + 1, 1, 1, tzinfo=timezone)
    async with database.session() as session:
        found = await store.delivery_history(session, start, end)
    return [row_of(item, timezone) for item in found]


def row_of(item: store.HistoryRow, timezone: ZoneInfo) -> list[str]:
    delivery = item.delivery
    moment = delivery.sent_at or delivery.claimed_at
    if moment.tzinfo is None:  # a driver that hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    problem = delivery.last_error or ""
    if delivery.status == "failed":
        problem = f"attempt {delivery.attempts}: {problem}"
    if len(problem) > PROBLEM_WIDTH:
        problem = problem[: PROBLEM_WIDTH - 1] + "…"
    return [
        moment.astimezone(timezone).strftime("%d/%m/%Y %H:%M"),
        item.recipient,
        item.department_vi,
        item.title_vi,
        describe(delivery.kind, delivery.offset_days),
        delivery.channel or "",
        STATUSES.get(delivery.status, delivery.status),
        problem,
    ]


def describe(kind: str, offset_days: int) -> str:
    """Which message it was: "reminder, 7 days before", "escalation, 3 days overdue"."""
    if offset_days > 0:
        when = f"{offset_days} day{'s' if offset_days != 1 else ''} before"
    elif offset_days == 0:
        when = "on the day"
    else:
        late = -offset_days
        when = f"{late} day{'s' if late != 1 else ''} overdue"
    return f"{KINDS.get(kind, kind)}, {when}"
