"""callback_attempts: one row per call-back attempt (operator rung, then the caller)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "callback_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("hotline_id", sa.String(32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.String(64), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(24), nullable=False),
        sa.Column("talk_s", sa.Float(), nullable=False),
        sa.Column("entry_state", sa.String(24), nullable=True),
        sa.UniqueConstraint(
            "hotline_id", "call_id", "attempt", name="uq_callback_attempts_attempt"
        ),
    )
    op.create_index(
        "ix_callback_attempts_hotline_started", "callback_attempts", ["hotline_id", "started_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_callback_attempts_hotline_started", table_name="callback_attempts")
    op.drop_table("callback_attempts")
