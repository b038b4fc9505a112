"""review of submitted checks: decisions as rows, answer history, corrections, nudges

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "review_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", String(length=24), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("channel", String(length=16), nullable=False),
        sa.Column("comment", String(length=1000), nullable=False),
        sa.Column("question_ids", sa.JSON(), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["checklist_run.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "seq"),
    )
    op.create_table(
        "answer_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("question_id", String(length=64), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", UTC(), nullable=False),
        sa.Column("reason", String(length=1000), nullable=False),
        sa.Column("review_event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["changed_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["review_event_id"], ["review_event.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["checklist_run.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_answer_change_run", "answer_change", ["run_id", "id"])
    op.create_table(
        "review_correction",
        sa.Column("draft_run_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("request_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["draft_run_id"], ["checklist_run.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["checklist_run.id"]),
        sa.PrimaryKeyConstraint("draft_run_id"),
    )
    op.create_index("ix_review_correction_run_id", "review_correction", ["run_id"])
    op.create_table(
        "review_draft",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", String(length=24), nullable=False),
        sa.Column("question_ids", sa.JSON(), nullable=False),
        sa.Column("waiting_for", String(length=16), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["checklist_run.id"]),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "review_nudge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("request_seq", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("sent_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["checklist_run.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "request_seq", "sent_on"),
    )


def downgrade() -> None:
    op.drop_table("review_nudge")
    op.drop_table("review_draft")
    op.drop_index("ix_review_correction_run_id", table_name="review_correction")
    op.drop_table("review_correction")
    op.drop_index("ix_answer_change_run", table_name="answer_change")
    op.drop_table("answer_change")
    op.drop_table("review_event")
