"""Call-back attempts: one row per time the controller rang an operator to call a caller
back (`callback_attempts`, on the call records' `Base`; migration 0005 creates the same
table and a test compares the two), and the spool that keeps them while the database is
down (the same scheme as the call records': JSON lines, fsynced, replayed first).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.records.errors import InvalidRecordError
from hotline.records.models import Base, UtcDateTime
from hotline.records.spool import JsonLinesSpool

log = logging.getLogger(__name__)

ATTEMPT_SPOOL_NAME: Final = "callback-attempts.spool.jsonl"
ATTEMPT_REJECTED_NAME: Final = "callback-attempts.spool.rejected.jsonl"
_TIME_FIELDS = ("started_at", "ended_at")


class AttemptResult(StrEnum):
    """How one call-back attempt ended."""

    OPERATOR_NO_ANSWER = "operator_no_answer"  # the operator did not answer (or hung up first)
    CALLER_BUSY = "caller_busy"  # the caller's line was busy
    CALLER_NO_ANSWER = "caller_no_answer"  # the caller's phone rang out
    ANSWERED = "answered"  # the caller picked up and talked to the operator
    FAILED = "failed"  # the number could not be reached (congestion, unavailable, bad number)


@dataclass(frozen=True, kw_only=True)
class CallbackAttempt:
    """One attempt. `call_id` is the call that asked for the call-back (its record says
    `callback`); `entry_state` is the request's state in the ACD after the attempt
    (`waiting` for a retry, `talking`/`done` once answered, `callback_failed` when the
    attempts ran out)."""

    call_id: str
    hotline_id: str
    attempt: int
    operator_id: str
    number: str
    started_at: datetime
    ended_at: datetime
    result: AttemptResult
    talk_s: float = 0.0
    entry_state: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "result", AttemptResult(self.result))
        for name in _TIME_FIELDS:
            value: datetime = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise InvalidRecordError(f"{name} of call-back {self.call_id} has no timezone")
            object.__setattr__(self, name, value.astimezone(UTC))

    def to_json_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["result"] = str(self.result)
        for name in _TIME_FIELDS:
            data[name] = getattr(self, name).isoformat()
        return data

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> CallbackAttempt:
        values = dict(data)
        try:
            for name in _TIME_FIELDS:
                values[name] = datetime.fromisoformat(values[name])
            return cls(**values)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidRecordError(f"not a call-back attempt: {exc}") from exc


class CallbackAttemptRow(Base):
    __tablename__ = "callback_attempts"
    __table_args__ = (
        UniqueConstraint("hotline_id", "call_id", "attempt", name="uq_callback_attempts_attempt"),
        Index("ix_callback_attempts_hotline_started", "hotline_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(64))
    hotline_id: Mapped[str] = mapped_column(String(32))
    attempt: Mapped[int] = mapped_column(Integer)
    operator_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime())
    result: Mapped[str] = mapped_column(String(24))
    talk_s: Mapped[float] = mapped_column(Float)
    entry_state: Mapped[str | None] = mapped_column(String(24))


ATTEMPT_FIELDS: Final = (
    "call_id",
    "hotline_id",
    "attempt",
    "operator_id",
    "number",
    "started_at",
    "ended_at",
    "result",
    "talk_s",
    "entry_state",
)


def attempt_to_row(attempt: CallbackAttempt) -> dict[str, Any]:
    row = {name: getattr(attempt, name) for name in ATTEMPT_FIELDS}
    row["result"] = str(attempt.result)
    return row


def attempt_from_row(row: Any) -> CallbackAttempt:
    return CallbackAttempt(**{name: getattr(row, name) for name in ATTEMPT_FIELDS})


class AttemptSpool(JsonLinesSpool[CallbackAttempt]):
    """Attempts the database did not take (the call records' scheme: JSON lines, fsynced,
    an unreadable line moved to ATTEMPT_REJECTED_NAME for a person, never dropped)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(
            directory / ATTEMPT_SPOOL_NAME,
            directory / ATTEMPT_REJECTED_NAME,
            CallbackAttempt.to_json_dict,
            CallbackAttempt.from_json_dict,
            lambda attempt: f"call-back attempt {attempt.call_id}",
        )
