"""Wrap-up dispositions: one row per answered call whose operator closed it with a
disposition, or ended a wrap-up that required one without it (`call_dispositions`, on the
call records' `Base`; migration 0006 creates the same table and a test compares the two).

They arrive after the call record (the wrap-up follows the conversation), so they are a table
of their own, keyed like the record by the call id. Until stored, they wait in Redis (the
ACD's `dispositions` list, which the controller drains): no spool file is needed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.records.models import Base, UtcDateTime


class CallDispositionRow(Base):
    __tablename__ = "call_dispositions"
    __table_args__ = (UniqueConstraint("hotline_id", "call_id", name="uq_call_dispositions_call"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    hotline_id: Mapped[str] = mapped_column(String(32))
    call_id: Mapped[str] = mapped_column(String(64))
    operator_id: Mapped[str] = mapped_column(String(64))
    disposition: Mapped[str] = mapped_column(String(64))
    # True: the hotline requires a disposition and the wrap-up ended without one.
    missing: Mapped[bool] = mapped_column(Boolean)
    # When the wrap-up ended; None when the ACD did not know (a logout ended it).
    at: Mapped[datetime | None] = mapped_column(UtcDateTime())
