"""One word for a sweep's tasks: jobs.fold → jobs.trial, sweeps.folds → sweeps.trials

A sweep's or comparison's task is a trial (the HTTP answer already counts trials_done and
trials_total); a fold is one of its cross-validation folds, and a path sweep's last trial
is no fold at all (the path on every row).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("fold", new_column_name="trial")
    with op.batch_alter_table("sweeps") as batch:
        batch.alter_column("folds", new_column_name="trials")


def downgrade() -> None:
    with op.batch_alter_table("sweeps") as batch:
        batch.alter_column("trials", new_column_name="folds")
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("trial", new_column_name="fold")
