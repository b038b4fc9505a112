"""Department annual reports (issue 14)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from storage.models.base import utcnow

# draft: being filled; submitted: sent to KTATMT (confirms the report and stops its
# reminders); returned: KTATMT sent it back with a comment, the head corrects it.
DEPT_REPORT_STATUSES = ("draft", "submitted", "returned")


class DeptReport(SQLModel, table=True):
    """One department's report for a year (handlers/report_forms/department_report.toml):
    the answers as one JSON object (question id -> text, number, or a list of entries
    for a repeatable group) and where the person filling it stopped (``cursor``)."""

    __tablename__ = "dept_report"
    __table_args__ = (sa.UniqueConstraint("department_code", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(foreign_key="department.code", max_length=16)
    year: int
    status: str = Field(default="draft", max_length=16)
    form_version: int = Field(default=1)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    cursor: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The person the head named to fill it in (the head may always fill it in).
    delegate_id: int | None = Field(default=None, foreign_key="person.id")
    submitted_at: datetime | None = None
    submitted_by_id: int | None = Field(default=None, foreign_key="person.id")
    returned_at: datetime | None = None
    returned_by_id: int | None = Field(default=None, foreign_key="person.id")
    return_comment: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
