"""model runs index: K2 ranks a cleaner-production check's runs from one index

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

K2 counts the latest check per (cluster, enterprise). The enterprise was an
answer, so every cleaner-production run since the programme's start was joined with
its enterprise answer, then sorted by (site, enterprise, time) before ranking: at
1,000,000 checks (50,000 such runs) 200 ms on SQLite, two fifths of the summary,
and it grows with every check ever made. The run now keeps its enterprise as K2
compares it (checklist_run.enterprise_key, trimmed and lower-cased, written when a
check is submitted or corrected), and a partial index over the cleaner-production
runs holds them in the order K2 ranks them: no join, no sort, and only the latest
run per model looks up its stage.

Existing checks get their key here, from their enterprise answer. The enterprise's
own answer index (0011) has no reader left and goes.
The model declaring it: ChecklistRun (storage/models/runs.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CLEANER_PRODUCTION = "cleaner_production"
WHERE = sa.text(f"checklist_id = '{CLEANER_PRODUCTION}'")
KEY_LENGTH = 255
BATCH = 5_000


def enterprise_key(name: str | None) -> str:
    """storage.kpis.keys.enterprise_key as it was at this revision."""
    return (name or "").strip().lower()[:KEY_LENGTH]


def _backfill() -> None:
    connection = op.get_bind()
    run = sa.table(
        "checklist_run",
        sa.column("id"),
        sa.column("checklist_id"),
        sa.column("status"),
        sa.column("enterprise_key"),
    )
    answer = sa.table(
        "answer", sa.column("run_id"), sa.column("question_id"), sa.column("value_text")
    )
    named = (
        sa.select(run.c.id, answer.c.value_text)
        .select_from(
            run.outerjoin(
                answer, (answer.c.run_id == run.c.id) & (answer.c.question_id == "enterprise")
            )
        )
        .where(run.c.checklist_id == CLEANER_PRODUCTION, run.c.status != "draft")
        .order_by(run.c.id)
    )
    rows = connection.execute(named).all()
    update = (
        sa.update(run)
        .where(run.c.id == sa.bindparam("run_id"))
        .values(enterprise_key=sa.bindparam("key"))
    )
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        connection.execute(update, [{"run_id": i, "key": enterprise_key(v)} for i, v in batch])


def upgrade() -> None:
    op.add_column(
        "checklist_run", sa.Column("enterprise_key", sa.String(length=KEY_LENGTH), nullable=True)
    )
    _backfill()
    op.create_index(
        "ix_run_models",
        "checklist_run",
        ["checklist_id", "status", "site_id", "enterprise_key", "submitted_at", "id"],
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )
    op.drop_index("ix_answer_q_enterprise", table_name="answer")


def downgrade() -> None:
    where = sa.text("question_id = 'enterprise'")
    op.create_index(
        "ix_answer_q_enterprise",
        "answer",
        ["run_id", "question_id", "value_text"],
        sqlite_where=where,
        postgresql_where=where,
    )
    op.drop_index("ix_run_models", table_name="checklist_run")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch rebuild of checklist_run
    # fails once other tables refer to its rows (foreign keys are on).
    op.drop_column("checklist_run", "enterprise_key")
