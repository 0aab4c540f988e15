"""Call-back attempts: one row per time the controller rang an operator to call a caller
back (`callback_attempts`, on the call records' `Base`; migration 0005 creates the same
table and a test compares the two), and the spool that keeps them while the database is
down (the same scheme as the call records': JSON lines, fsynced, replayed first).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.records.errors import InvalidRecordError, SpoolError
from hotline.records.models import Base, UtcDateTime
from hotline.records.spool import append_lines

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


class AttemptSpool:
    """Attempts the database did not take, one JSON line each (written under the store's
    lock). An unreadable line is moved to ATTEMPT_REJECTED_NAME for a person, never dropped."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / ATTEMPT_SPOOL_NAME

    def append(self, attempt: CallbackAttempt) -> None:
        line = json.dumps(attempt.to_json_dict(), ensure_ascii=False, sort_keys=True) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            append_lines(self.path, [line])
        except OSError as exc:
            raise SpoolError(f"cannot spool call-back attempt {attempt.call_id}: {exc}") from exc

    def read(self) -> list[CallbackAttempt]:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise SpoolError(f"cannot read the spool {self.path}: {exc}") from exc
        attempts: list[CallbackAttempt] = []
        good: list[str] = []
        bad: list[str] = []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                attempts.append(CallbackAttempt.from_json_dict(json.loads(line)))
            except (ValueError, InvalidRecordError):
                bad.append(line + "\n")
            else:
                good.append(line + "\n")
        if bad:
            self._move_aside(bad, good)
        return attempts

    def _move_aside(self, bad: list[str], good: list[str]) -> None:
        rejected = self.path.with_name(ATTEMPT_REJECTED_NAME)
        log.error("moving %d unreadable spool line(s) to %s", len(bad), rejected)
        try:
            append_lines(rejected, bad)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text("".join(good), encoding="utf-8")
            tmp.replace(self.path)
        except OSError as exc:
            raise SpoolError(f"cannot rewrite the spool {self.path}: {exc}") from exc

    def clear(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            # They are in the database: a later replay is harmless (duplicates are ignored).
            log.warning("could not clear the spool %s: %s", self.path, exc)
