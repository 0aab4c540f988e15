"""call_records.predicted_wait_s: the first expected wait told to the caller

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode (env.py turns it on for SQLite) copes with SQLite's limited ALTER TABLE.
    with op.batch_alter_table("call_records") as batch:
        batch.add_column(sa.Column("predicted_wait_s", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_records") as batch:
        batch.drop_column("predicted_wait_s")
