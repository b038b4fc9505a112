"""personal data: consent to the privacy notice, the access log, /forget requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("notice_version", String(length=32), nullable=False),
        sa.Column("decision", String(length=16), nullable=False),
        sa.Column("channel", String(length=16), nullable=False),
        sa.Column("shown_at", UTC(), nullable=False),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consent_person_id", "consent", ["person_id"])
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("operator", String(length=100), nullable=False),
        sa.Column("source", String(length=16), nullable=False),
        sa.Column("action", String(length=32), nullable=False),
        sa.Column("detail", String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_log_at", "access_log", ["at"])
    op.create_table(
        "forget_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", String(length=16), nullable=False),
        sa.Column("requested_at", UTC(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_forget_request_person_id", "forget_request", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_forget_request_person_id", table_name="forget_request")
    op.drop_table("forget_request")
    op.drop_index("ix_access_log_at", table_name="access_log")
    op.drop_table("access_log")
    op.drop_index("ix_consent_person_id", table_name="consent")
    op.drop_table("consent")
