"""summary indexes: the year's submitted checks counted from one index range

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

/summary counts the submitted checks of a year over every checklist; without an
index led by status and submitted_at that count read the whole run table.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_run_status_submitted", "checklist_run", ["status", "submitted_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_run_status_submitted", table_name="checklist_run")
