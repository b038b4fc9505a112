"""latest run index: a site's runs of one checklist, newest first, from one index

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

/summary finds, per site, its latest submitted run of one checklist (K3-K5 and
coverage) or whether it has one with a given answer (K1). With only
ix_run_site_status_submitted and ix_run_checklist_status_submitted both indexes
match two equalities and a range, and SQLite without statistics picked the
checklist one: every run of the checklist in the year read once per site (at
1,000,000 checks and 10,000 sites, hours). Led by site and checklist, with the id
last (the tie-break of "latest"), this index answers the lookup with one descent.
The model declaring it: ChecklistRun.__table_args__ (storage/models/runs.py).
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_run_site_checklist_submitted",
        "checklist_run",
        ["site_id", "checklist_id", "status", "submitted_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_run_site_checklist_submitted", table_name="checklist_run")
