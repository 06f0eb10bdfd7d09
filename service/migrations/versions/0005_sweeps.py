"""sweeps, and jobs that are one fold of a sweep

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("folds", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("aggregating_since", UTCDateTime()),
        sa.Column("finished_at", UTCDateTime()),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_message", sa.Text()),
        sa.Column("result", sa.JSON()),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("sweep_id", sa.String(36)))
        batch.add_column(sa.Column("fold", sa.Integer()))
        batch.create_index("ix_jobs_sweep_id", ["sweep_id"])
        batch.create_foreign_key(
            "fk_jobs_sweep_id", "sweeps", ["sweep_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_constraint("fk_jobs_sweep_id", type_="foreignkey")
        batch.drop_index("ix_jobs_sweep_id")
        batch.drop_column("fold")
        batch.drop_column("sweep_id")
    op.drop_table("sweeps")
