"""call_records.lookup_result: the result of the call's last self-service look-up

`found`, `not_found`, a request status, or `error` (the look-up could not answer); NULL for
a call without a look-up and for the calls recorded before this column.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode (env.py turns it on for SQLite) copes with SQLite's limited ALTER TABLE.
    with op.batch_alter_table("call_records") as batch:
        batch.add_column(sa.Column("lookup_result", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_records") as batch:
        batch.drop_column("lookup_result")
