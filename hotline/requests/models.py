"""The SQL table of the request statuses (on the call records' `Base`, so one Alembic history
covers everything; `migrations/versions/0003_ivr_fields_and_requests.py` creates the same
table and a test compares the two).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.records.models import Base, UtcDateTime

HOTLINE_ID_MAX: Final = 32
REQUEST_NUMBER_COLUMN_MAX: Final = 32
STATUS_MAX: Final = 32


class RequestStatus(Base):
    __tablename__ = "request_statuses"
    __table_args__ = (
        UniqueConstraint("hotline_id", "request_number", name="uq_request_statuses_hotline_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    hotline_id: Mapped[str] = mapped_column(String(HOTLINE_ID_MAX))
    request_number: Mapped[str] = mapped_column(String(REQUEST_NUMBER_COLUMN_MAX))
    status: Mapped[str] = mapped_column(String(STATUS_MAX))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
