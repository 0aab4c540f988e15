"""recipient_lists, recipient_entries: the IVR's "Am I on the list?" (IINs hashed only)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recipient_lists",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("source_file", sa.String(255), nullable=False),
        sa.UniqueConstraint("name", name="uq_recipient_lists_name"),
    )
    op.create_table(
        "recipient_entries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("iin_hash", sa.String(64), nullable=False),
        sa.Column("amount_tenge", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(255), nullable=True),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["recipient_lists.id"],
            name="fk_recipient_entries_list",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("list_id", "iin_hash", name="uq_recipient_entries_list_iin"),
    )


def downgrade() -> None:
    op.drop_table("recipient_entries")
    op.drop_table("recipient_lists")
