"""department annual reports: one row per department and year, answers as JSON

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "dept_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_code", String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", String(length=16), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=False),
        sa.Column("delegate_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", UTC(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("returned_at", UTC(), nullable=True),
        sa.Column("returned_by_id", sa.Integer(), nullable=True),
        sa.Column("return_comment", String(length=2000), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["department_code"], ["department.code"]),
        sa.ForeignKeyConstraint(["delegate_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["submitted_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["returned_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("department_code", "year"),
    )


def downgrade() -> None:
    op.drop_table("dept_report")
