"""The SQL tables of the recipients lists (on the call records' `Base`, so one Alembic
history covers both; `migrations/versions/0002_recipient_lists.py` creates the same tables
and a test compares the two).

An IIN is stored only as `IinHasher.hash` (64 hex digits), never in clear.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.records.models import Base, UtcDateTime

LIST_NAME_MAX = 64
SOURCE_FILE_MAX = 255
NOTE_MAX = 255
IIN_HASH_LENGTH = 64


class RecipientList(Base):
    __tablename__ = "recipient_lists"
    __table_args__ = (UniqueConstraint("name", name="uq_recipient_lists_name"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(LIST_NAME_MAX))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    entry_count: Mapped[int] = mapped_column(Integer)
    source_file: Mapped[str] = mapped_column(String(SOURCE_FILE_MAX))


class RecipientEntry(Base):
    __tablename__ = "recipient_entries"
    __table_args__ = (
        UniqueConstraint("list_id", "iin_hash", name="uq_recipient_entries_list_iin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(
        ForeignKey("recipient_lists.id", name="fk_recipient_entries_list", ondelete="CASCADE")
    )
    iin_hash: Mapped[str] = mapped_column(String(IIN_HASH_LENGTH))
    amount_tenge: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
