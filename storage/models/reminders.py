"""Reporting deadlines, the reminders about them, and heads' confirmations."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from storage.models.base import utcnow

DELIVERY_STATUSES = ("claimed", "sent", "failed", "unreachable")


class Deadline(SQLModel, table=True):
    """A reporting deadline: a fixed date, or a day and month every year."""

    __tablename__ = "deadline"

    id: int | None = Field(default=None, primary_key=True)
    title_vi: str = Field(max_length=300)
    title_en: str = Field(max_length=300)
    due_date: date | None = None
    yearly_month: int | None = None
    yearly_day: int | None = None
    # Department codes; empty means every department.
    departments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Days before the due date (0 = on the day).
    offsets: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    repeat_overdue: bool = Field(default=True)
    escalate_to: str | None = Field(default=None, foreign_key="department.code", max_length=16)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)


class ReminderDelivery(SQLModel, table=True):
    """A reminder claimed before it is sent: the unique key makes it exactly-once."""

    __tablename__ = "reminder_delivery"
    __table_args__ = (
        sa.UniqueConstraint(
            "deadline_id", "department_code", "recipient_id", "year", "offset_days", "kind"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    deadline_id: int = Field(foreign_key="deadline.id")
    department_code: str = Field(foreign_key="department.code", max_length=16)
    recipient_id: int = Field(foreign_key="person.id")
    year: int
    # Days before the due date; negative after it (overdue repeats).
    offset_days: int
    # "reminder" to the department's head, or "escalation" to the coordinating
    # department (whose head may also get a reminder for its own report).
    kind: str = Field(default="reminder", max_length=16)
    status: str = Field(default="claimed", max_length=16)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    channel: str | None = Field(default=None, max_length=16)
    claimed_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class ReportConfirmation(SQLModel, table=True):
    """A head's "report submitted" for one deadline, department and year."""

    __tablename__ = "report_confirmation"
    __table_args__ = (sa.UniqueConstraint("deadline_id", "department_code", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    deadline_id: int = Field(foreign_key="deadline.id")
    department_code: str = Field(foreign_key="department.code", max_length=16)
    year: int
    confirmed_by_id: int = Field(foreign_key="person.id")
    confirmed_at: datetime = Field(default_factory=utcnow)
