"""kpi question indexes: the answers /summary sums or ranks, one small index each

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

K2 (models), K6 and K7 read one answer of every run of a checklist over a year or
more. Through the unique (run_id, question_id) index each lookup then fetched its
row from the answer table, whose rows of one question are spread over every page
of it (~10 answers per run): at 1,000,000 checks (9.4 M answers) K2 took 482 ms
on PostgreSQL and 740 ms on SQLite, K6 and K7 399 and 471 ms. A partial index per
question, keyed (run_id, question_id, value), answers the lookup without touching
the table (with question_id in the key SQLite prefers it to the unique index),
and holds only that question's rows (1-2 % of the answers each), so it costs
other answers nothing. Led by question and run and covering the value, it is the
covering index the summary needs without the 439 MB of one over every answer.

ix_run_checklist_status_submitted gains id and site_id so PostgreSQL reads a
checklist's runs of a year from the index alone (SQLite's indexes hold the rowid,
which is id, already): 23 ms for 50,000 runs against 46-866 ms through the table.
The models declaring them: storage/models/runs.py.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The question ids of storage/kpis/keys.py as they were at this revision.
QUESTIONS = {
    "enterprise": "value_text",
    "stage": "value_text",
    "facilities_reached": "value_number",
    "eco_products": "value_number",
    "suppliers": "value_number",
}
RUN_COLUMNS_BEFORE = ["checklist_id", "status", "submitted_at"]
RUN_COLUMNS = [*RUN_COLUMNS_BEFORE, "id", "site_id"]


def _where(question_id: str) -> dict:
    clause = sa.text(f"question_id = '{question_id}'")
    return {"sqlite_where": clause, "postgresql_where": clause}


def upgrade() -> None:
    for question_id, value in QUESTIONS.items():
        op.create_index(
            f"ix_answer_q_{question_id}",
            "answer",
            ["run_id", "question_id", value],
            **_where(question_id),
        )
    op.drop_index("ix_run_checklist_status_submitted", table_name="checklist_run")
    op.create_index("ix_run_checklist_status_submitted", "checklist_run", RUN_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_run_checklist_status_submitted", table_name="checklist_run")
    op.create_index("ix_run_checklist_status_submitted", "checklist_run", RUN_COLUMNS_BEFORE)
    for question_id in QUESTIONS:
        op.drop_index(f"ix_answer_q_{question_id}", table_name="answer")
