"""sweeps.kind (sweep or comparison), so each can be listed newest first

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sweeps") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="sweep"))
        batch.create_index("ix_sweeps_owner_kind_created_at", ["owner", "kind", "created_at"])
    # Rows from before: the kind is in the spec (JSON, read here the same on every dialect).
    sweeps = sa.table("sweeps", sa.column("id", sa.String), sa.column("spec", sa.JSON))
    connection = op.get_bind()
    for sweep_id, spec in connection.execute(sa.select(sweeps.c.id, sweeps.c.spec)):
        if spec.get("kind") == "comparison":
            connection.execute(
                sa.text("UPDATE sweeps SET kind = 'comparison' WHERE id = :id"), {"id": sweep_id}
            )


def downgrade() -> None:
    with op.batch_alter_table("sweeps") as batch:
        batch.drop_index("ix_sweeps_owner_kind_created_at")
        batch.drop_column("kind")
