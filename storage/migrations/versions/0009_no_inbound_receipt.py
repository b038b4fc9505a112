"""no inbound_receipt: the inbox applies each update once

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Every update is stored once in inbox_update (unique per channel and update key) and
claimed in the transaction that applies it, so the engine's own receipt of each
update was a second, redundant write per turn; nothing reads it any more.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("inbound_receipt")


def downgrade() -> None:
    op.create_table(
        "inbound_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "key"),
    )
