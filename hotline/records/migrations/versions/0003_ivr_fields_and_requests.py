"""call_records.ivr_node and .ivr_path; request_statuses (109's "status of my request")

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode (env.py turns it on for SQLite) copes with SQLite's limited ALTER TABLE.
    with op.batch_alter_table("call_records") as batch:
        batch.add_column(sa.Column("ivr_node", sa.String(64), nullable=True))
        batch.add_column(sa.Column("ivr_path", sa.String(512), nullable=True))
    op.create_table(
        "request_statuses",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("hotline_id", sa.String(32), nullable=False),
        sa.Column("request_number", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "hotline_id", "request_number", name="uq_request_statuses_hotline_number"
        ),
    )


def downgrade() -> None:
    op.drop_table("request_statuses")
    with op.batch_alter_table("call_records") as batch:
        batch.drop_column("ivr_path")
        batch.drop_column("ivr_node")
