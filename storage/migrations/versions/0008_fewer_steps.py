"""fewer steps: sites proposed from the chat, and the check a draft reused

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

"Không tìm thấy? Báo cơ sở mới" records a proposed site for an admin; "Dùng lại câu
trả lời lần trước" remembers which check filled the draft, so the review can mark
what changed since.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "proposed_site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", String(length=500), nullable=False),
        sa.Column("checklist_id", String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", String(length=16), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("checklist_run") as batch:
        batch.add_column(sa.Column("reused_from_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_checklist_run_reused_from_id", "checklist_run", ["reused_from_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("checklist_run") as batch:
        batch.drop_constraint("fk_checklist_run_reused_from_id", type_="foreignkey")
        batch.drop_column("reused_from_id")
    op.drop_table("proposed_site")
