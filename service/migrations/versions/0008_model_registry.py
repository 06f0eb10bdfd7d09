"""named models: registered_models, their versions (succeeded jobs) and aliases

A version's job is ON DELETE RESTRICT: a job that a version points at is not deleted
with no trace of the version (the jobs store answers 409 first). An alias's version is a
foreign key too, so a version an alias points at cannot be deleted.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.db import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("last_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("owner", "name", name="uq_registered_models_owner_name"),
    )
    op.create_table(
        "model_versions",
        sa.Column("model_id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["registered_models.id"],
            name="fk_model_versions_model_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_model_versions_job_id", ondelete="RESTRICT"
        ),
    )
    op.create_index("ix_model_versions_job_id", "model_versions", ["job_id"])
    op.create_table(
        "model_aliases",
        sa.Column("model_id", sa.Integer(), primary_key=True),
        sa.Column("alias", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["registered_models.id"],
            name="fk_model_aliases_model_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_id", "version"],
            ["model_versions.model_id", "model_versions.version"],
            name="fk_model_aliases_version",
        ),
    )


def downgrade() -> None:
    op.drop_table("model_aliases")
    op.drop_index("ix_model_versions_job_id", table_name="model_versions")
    op.drop_table("model_versions")
    op.drop_table("registered_models")
