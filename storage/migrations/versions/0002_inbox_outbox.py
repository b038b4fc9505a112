"""inbox and outbox: updates stored before they are acknowledged, replies before they leave

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "inbox_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", String(length=16), nullable=False),
        sa.Column("update_key", String(length=64), nullable=False),
        sa.Column("sender_key", String(length=64), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("status", String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", String(length=200), nullable=True),
        sa.Column("received_at", UTC(), nullable=False),
        sa.Column("processed_at", UTC(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "update_key"),
    )
    op.create_index(
        "ix_inbox_status_sender", "inbox_update", ["status", "channel", "sender_key", "id"]
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", String(length=16), nullable=False),
        sa.Column("chat_id", String(length=64), nullable=False),
        sa.Column("language", String(length=2), nullable=False),
        sa.Column("replies", sa.JSON(), nullable=False),
        sa.Column("parts_sent", sa.Integer(), nullable=False),
        sa.Column("status", String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(), nullable=False),
        sa.Column("last_error", String(length=200), nullable=True),
        sa.Column("inbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("sent_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["inbox_id"], ["inbox_update.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_outbox_status_chat", "outbox_message", ["status", "channel", "chat_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_status_chat", table_name="outbox_message")
    op.drop_table("outbox_message")
    op.drop_index("ix_inbox_status_sender", table_name="inbox_update")
    op.drop_table("inbox_update")
