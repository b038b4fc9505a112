"""Checklist runs (a draft is the conversation's state), their answers, and
the choices last offered."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from storage.models.base import utcnow

# superseded: a submitted check later replaced by an "update that check" run.
RUN_STATUSES = ("draft", "submitted", "cancelled", "superseded")
# Where an open run waits: choosing a site, confirming a site checked recently,
# typing the name of a site missing from the list (issue 12's "Báo cơ sở mới"),
# answering a question, or reviewing before submit.
RUN_PHASES = ("site", "site_duplicate", "site_propose", "question", "review")


# The checklist K2 counts (storage/kpis/keys.py: CLEANER_PRODUCTION), whose runs
# alone are in ix_run_models.
_MODELS = sa.text("checklist_id = 'cleaner_production'")
ENTERPRISE_KEY_LENGTH = 255


class ChecklistRun(SQLModel, table=True):
    """One filling of one checklist; while a draft, it is the conversation state."""

    __tablename__ = "checklist_run"
    __table_args__ = (
        sa.Index("ix_run_site_status_submitted", "site_id", "status", "submitted_at"),
        sa.Index("ix_run_person_status", "person_id", "status"),
        # A checklist's runs of a year, read from the index alone on PostgreSQL
        # (/summary K6, K7; SQLite's indexes hold id as the rowid): migration 0011.
        sa.Index(
            "ix_run_checklist_status_submitted",
            "checklist_id",
            "status",
            "submitted_at",
            "id",
            "site_id",
        ),
        # The year's checks over every checklist (/summary): migration 0007.
        sa.Index("ix_run_status_submitted", "status", "submitted_at"),
        # A site's latest run of one checklist (/summary K1, K3-K5): migration 0010.
        sa.Index(
            "ix_run_site_checklist_submitted",
            "site_id",
            "checklist_id",
            "status",
            "submitted_at",
            "id",
        ),
        # K2's runs in the order it ranks them, each (cluster, enterprise) together and
        # its latest last, read from the index alone: migration 0012.
        sa.Index(
            "ix_run_models",
            "checklist_id",
            "status",
            "site_id",
            "enterprise_key",
            "submitted_at",
            "id",
            sqlite_where=_MODELS,
            postgresql_where=_MODELS,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    site_id: int | None = Field(default=None, foreign_key="site.id")
    checklist_id: str = Field(max_length=64)
    checklist_version: int
    status: str = Field(default="draft", max_length=16)
    phase: str = Field(default="site", max_length=16)
    current_question: str | None = Field(default=None, max_length=64)
    # After an edit from the review screen the run returns to the review.
    editing: bool = Field(default=False)
    # The submitted run this draft will replace ("update that check").
    supersedes_id: int | None = Field(default=None, foreign_key="checklist_run.id")
    # Site picked but checked recently: waiting for "update" or "new".
    pending_site_id: int | None = Field(default=None, foreign_key="site.id")
    # The earlier check whose answers filled this draft ("Dùng lại câu trả lời lần
    # trước"): the review marks what changed since (migration 0008).
    reused_from_id: int | None = Field(default=None, foreign_key="checklist_run.id")
    channel: str = Field(default="telegram", max_length=16)
    started_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None
    # A cleaner-production check's enterprise as K2 tells models apart (trimmed and
    # lower-cased: storage.kpis.keys.enterprise_key), written when the check is submitted
    # or corrected; NULL for every other checklist and for drafts (migration 0012).
    enterprise_key: str | None = Field(default=None, max_length=ENTERPRISE_KEY_LENGTH)


# The answers /summary reads over every run of a checklist (K2, K6, K7), each with a
# small partial index (run_id, question_id, value) of its own rows: migration 0011.
# The ids are storage/kpis/keys.py's (tests/test_kpi_keys.py checks both lists, and
# that the text ones are short enough for an index entry).
# (The enterprise answer had one until K2 read checklist_run.enterprise_key: 0012.)
KPI_INDEXED_ANSWERS = {
    "stage": "value_text",
    "facilities_reached": "value_number",
    "eco_products": "value_number",
    "suppliers": "value_number",
}


def _one_question_index(question_id: str, value_column: str) -> sa.Index:
    where = sa.text(f"question_id = '{question_id}'")
    return sa.Index(
        f"ix_answer_q_{question_id}",
        "run_id",
        # With both of the unique index's columns, SQLite prefers this covering one
        # once it has statistics (storage/statistics.py).
        "question_id",
        value_column,
        sqlite_where=where,
        postgresql_where=where,
    )


class Answer(SQLModel, table=True):
    """One answer, typed: choices and text in value_text, numbers in value_number,
    dates in value_date, several choices or a location in value_json."""

    __tablename__ = "answer"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "question_id"),
        *(_one_question_index(*pair) for pair in KPI_INDEXED_ANSWERS.items()),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="checklist_run.id")
    question_id: str = Field(max_length=64)
    value_text: str | None = Field(default=None, max_length=4000)
    value_number: float | None = None
    value_date: date | None = None
    value_json: Any | None = Field(default=None, sa_column=Column(JSON))
    skipped: bool = Field(default=False)
    answered_at: datetime = Field(default_factory=utcnow)


class OfferedChoices(SQLModel, table=True):
    """The choices last shown to a person, so a typed number ("2") on a channel
    without buttons means the same as pressing the second button."""

    __tablename__ = "offered_choices"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    payloads: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
