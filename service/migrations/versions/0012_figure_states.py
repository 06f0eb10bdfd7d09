"""figure states: a job's figures are drawn after it succeeds, when first asked for

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.db import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_artifacts") as batch:
        batch.add_column(sa.Column("state", sa.String(16), nullable=False, server_default="ready"))
        batch.add_column(sa.Column("error", sa.Text))
        batch.add_column(sa.Column("requested_at", UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("job_artifacts") as batch:
        batch.drop_column("requested_at")
        batch.drop_column("error")
        batch.drop_column("state")
