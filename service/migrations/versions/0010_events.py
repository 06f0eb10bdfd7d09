"""events: every change a caller can see, for streams, the event feed and webhooks

Written in the same transaction as the change itself; ``events_pruned`` keeps the
highest id pruned by retention, so a stale ``Last-Event-ID`` is told apart from a gap.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.db import UTCDateTime

EVENT_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", EVENT_ID, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("subject_type", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_events_created_at", "events", ["created_at"])
    op.create_index("ix_events_subject_id_id", "events", ["subject_id", "id"])
    op.create_index("ix_events_owner_id", "events", ["owner", "id"])
    pruned = op.create_table(
        "events_pruned",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("through_id", EVENT_ID, nullable=False),
    )
    op.bulk_insert(pruned, [{"id": 1, "through_id": 0}])


def downgrade() -> None:
    op.drop_table("events_pruned")
    op.drop_table("events")
