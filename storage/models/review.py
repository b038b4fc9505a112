"""The review of submitted checks (issue 13)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from storage.models.base import utcnow

# A submitted check with no review row is "received"; every decision after that is a
# row, and the row with the highest seq is the check's state now.
REVIEW_STATES = ("received", "approved", "needs_correction", "corrected", "rejected")


class ReviewEvent(SQLModel, table=True):
    """One step of a check's review: who, when, why. A decision names the step it
    follows (seq = that step + 1), so of two reviewers acting at once one row goes in
    and the other hits the unique key."""

    __tablename__ = "review_event"
    __table_args__ = (sa.UniqueConstraint("run_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="checklist_run.id")
    seq: int
    state: str = Field(max_length=24)
    actor_id: int = Field(foreign_key="person.id")
    channel: str = Field(default="", max_length=16)
    # The request to correct, or the reason for a rejection.
    comment: str = Field(default="", max_length=1000)
    # The questions a request to correct concerns.
    question_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(default_factory=utcnow)


class AnswerChange(SQLModel, table=True):
    """One change to an answer of a submitted check: the old and new value as JSON
    ({"text", "number", "date", "json", "skipped"}; null = no answer)."""

    __tablename__ = "answer_change"
    __table_args__ = (sa.Index("ix_answer_change_run", "run_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="checklist_run.id")
    question_id: str = Field(max_length=64)
    old_value: Any | None = Field(default=None, sa_column=Column(JSON))
    new_value: Any | None = Field(default=None, sa_column=Column(JSON))
    changed_by_id: int = Field(foreign_key="person.id")
    changed_at: datetime = Field(default_factory=utcnow)
    reason: str = Field(default="", max_length=1000)
    review_event_id: int | None = Field(default=None, foreign_key="review_event.id")


class ReviewCorrection(SQLModel, table=True):
    """A draft that corrects a submitted check: on resubmit its answers go back into the
    check (which keeps its id, its review rows and its place in the indicators)."""

    __tablename__ = "review_correction"

    draft_run_id: int = Field(foreign_key="checklist_run.id", primary_key=True)
    run_id: int = Field(foreign_key="checklist_run.id", index=True)
    # The needs_correction step this draft answers.
    request_seq: int
    created_at: datetime = Field(default_factory=utcnow)


class ReviewDraft(SQLModel, table=True):
    """A reviewer half-way through a decision: the answers picked so far, and whether
    the next message is the comment (or the reason for a rejection)."""

    __tablename__ = "review_draft"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    run_id: int = Field(foreign_key="checklist_run.id")
    seq: int
    action: str = Field(max_length=24)
    question_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    waiting_for: str = Field(default="pick", max_length=16)
    updated_at: datetime = Field(default_factory=utcnow)


class ReviewNudge(SQLModel, table=True):
    """A reminder about a pending correction (once a working day, a few at most), or the
    one nudge about a draft left untouched (request_seq 0); the key makes each once."""

    __tablename__ = "review_nudge"
    __table_args__ = (sa.UniqueConstraint("run_id", "request_seq", "sent_on"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="checklist_run.id")
    request_seq: int
    sent_on: date
    sent_at: datetime = Field(default_factory=utcnow)
