"""scorings: jobs that predict with another job's model over an uploaded table

A scoring is a job row (its lifecycle is every job's: claim, heartbeat, cancel, reaper,
time limit) whose ``scores_job_id`` names the job whose model it runs; it goes with
that job (ON DELETE CASCADE).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("scores_job_id", sa.String(36)))
        batch.create_index("ix_jobs_scores_job_id", ["scores_job_id"])
        batch.create_foreign_key(
            "fk_jobs_scores_job_id", "jobs", ["scores_job_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_constraint("fk_jobs_scores_job_id", type_="foreignkey")
        batch.drop_index("ix_jobs_scores_job_id")
        batch.drop_column("scores_job_id")
