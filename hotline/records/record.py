"""One finished call, as stored in `call_records`, and its JSON form for the spool."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from hotline.records.errors import InvalidRecordError


class Outcome(StrEnum):
    """How a call ended."""

    ANSWERED = "answered"  # an operator talked to the caller
    ABANDONED = "abandoned"  # the caller hung up first (in the menu or waiting)
    SELF_SERVED = "self_served"  # the menu answered the question (e.g. an IIN look-up)
    CALLBACK = "callback"  # the caller chose to be called back instead of waiting
    FAILED = "failed"  # our fault: an error sent the caller to the fallback
    CLOSED = "closed"  # called outside opening hours (or on a holiday): heard the hours


_TIME_FIELDS = ("arrived_at", "enqueued_at", "answered_at", "ended_at")


@dataclass(frozen=True, kw_only=True)
class CallRecord:
    """A finished call. Datetimes must be timezone-aware; they are kept in UTC."""

    call_id: str
    hotline_id: str
    outcome: Outcome
    arrived_at: datetime
    ended_at: datetime
    uniqueid: str | None = None
    caller: str | None = None
    language: str | None = None
    topic: str | None = None
    queue_id: str | None = None
    operator_id: str | None = None
    enqueued_at: datetime | None = None
    answered_at: datetime | None = None
    wait_s: float = 0.0
    talk_s: float = 0.0

    def __post_init__(self) -> None:
        # Frozen: normalise through object.__setattr__, once, at construction.
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        for name in _TIME_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            if value.tzinfo is None or value.utcoffset() is None:
                raise InvalidRecordError(f"{name} of call {self.call_id} has no timezone")
            object.__setattr__(self, name, value.astimezone(UTC))
        if not self.call_id or not self.hotline_id:
            raise InvalidRecordError("a call record needs a call_id and a hotline_id")

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO 8601 times), the spool's line format."""
        data = dataclasses.asdict(self)
        data["outcome"] = str(self.outcome)
        for name in _TIME_FIELDS:
            value = data[name]
            data[name] = None if value is None else value.isoformat()
        return data

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> CallRecord:
        """The inverse of `to_json_dict`."""
        values = dict(data)
        for name in _TIME_FIELDS:
            raw = values.get(name)
            values[name] = None if raw is None else datetime.fromisoformat(raw)
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise InvalidRecordError(f"not a call record: {exc}") from exc
