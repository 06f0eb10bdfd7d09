"""job lifecycle: owner, idempotency, heartbeats, stop requests, retries, history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(
            sa.Column("owner", sa.String(32), nullable=False, server_default="anonymous")
        )
        batch.add_column(sa.Column("idempotency_key", sa.String(255)))
        batch.add_column(sa.Column("request_hash", sa.String(64)))
        batch.add_column(
            sa.Column("max_seconds", sa.Integer(), nullable=False, server_default="3600")
        )
        batch.add_column(sa.Column("heartbeat_at", UTCDateTime()))
        batch.add_column(sa.Column("published_at", UTCDateTime()))
        batch.add_column(sa.Column("stop_request", sa.String(16)))
        batch.add_column(sa.Column("retry_of", sa.String(36)))
        batch.add_column(sa.Column("progress", sa.JSON()))
        batch.create_unique_constraint(
            "uq_jobs_owner_idempotency_key", ["owner", "idempotency_key"]
        )
        batch.create_foreign_key(
            "fk_jobs_retry_of", "jobs", ["retry_of"], ["id"], ondelete="SET NULL"
        )
    op.create_index("ix_jobs_owner_created_at", "jobs", ["owner", "created_at"])
    op.create_table(
        "job_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "job_id", sa.String(36), sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_job_history_job_id_attempt_step", "job_history", ["job_id", "attempt", "step"]
    )


def downgrade() -> None:
    op.drop_table("job_history")
    op.drop_index("ix_jobs_owner_created_at", "jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_constraint("fk_jobs_retry_of", type_="foreignkey")
        batch.drop_constraint("uq_jobs_owner_idempotency_key", type_="unique")
        for column in (
            "progress",
            "retry_of",
            "stop_request",
            "published_at",
            "heartbeat_at",
            "max_seconds",
            "request_hash",
            "idempotency_key",
            "owner",
        ):
            batch.drop_column(column)
