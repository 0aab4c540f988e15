"""The SQL table of call records (SQLAlchemy 2, typed declarative mapping).

The migrations in `migrations/versions/` (0001 creates the table, 0003 adds `ivr_node` and
`ivr_path`, 0004 `predicted_wait_s`, 0007 `lookup_result`) build the same table; a test
compares the two.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Dialect, Float, Index, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones and hands back naive values, so
    we store UTC and attach UTC again on the way out. Naive values are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: call records need timezone-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class CallRecordRow(Base):
    __tablename__ = "call_records"
    __table_args__ = (
        UniqueConstraint("call_id", name="uq_call_records_call_id"),
        Index("ix_call_records_hotline_ended", "hotline_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(64))
    hotline_id: Mapped[str] = mapped_column(String(32))
    uniqueid: Mapped[str | None] = mapped_column(String(64))
    caller: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    topic: Mapped[str | None] = mapped_column(String(64))
    queue_id: Mapped[str | None] = mapped_column(String(64))
    operator_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    arrived_at: Mapped[datetime] = mapped_column(UtcDateTime())
    enqueued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime())
    wait_s: Mapped[float] = mapped_column(Float)
    talk_s: Mapped[float] = mapped_column(Float)
    ivr_node: Mapped[str | None] = mapped_column(String(64))
    ivr_path: Mapped[str | None] = mapped_column(String(512))
    predicted_wait_s: Mapped[float | None] = mapped_column(Float)
    lookup_result: Mapped[str | None] = mapped_column(String(32))
