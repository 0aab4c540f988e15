"""One finished call, as stored in `call_records`, and its JSON form for the spool."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from hotline.records.errors import InvalidRecordError


class Outcome(StrEnum):
    """How a call ended."""

    ANSWERED = "answered"  # an operator talked to the caller
    # The caller hung up first (in the menu or waiting), or ended the call in the menu
    # after a look-up that could not answer (`lookup_result` error).
    ABANDONED = "abandoned"
    # The menu answered the question: a look-up answered (found / not found / a status),
    # or a menu without look-up ended in its goodbye. Never a look-up that failed.
    SELF_SERVED = "self_served"
    CALLBACK = "callback"  # the caller chose to be called back instead of waiting
    FAILED = "failed"  # our fault: an error sent the caller to the fallback
    CLOSED = "closed"  # called outside opening hours (or on a holiday): heard the hours
    # An overflow rule took the caller out of the queue: a message, then the duty group or
    # the end of the call (hotline.config.overflow); never a silent drop.
    OVERFLOWED = "overflowed"


_TIME_FIELDS = ("arrived_at", "enqueued_at", "answered_at", "ended_at")

#: The widths of the `ivr_node` and `ivr_path` columns (characters).
IVR_NODE_MAX: Final = 64
IVR_PATH_MAX: Final = 512
#: The width of the `lookup_result` column (characters).
LOOKUP_RESULT_MAX: Final = 32
#: Ends an `ivr_path` that was cut to fit its column.
TRUNCATED_MARK: Final = "\u2026"


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
    #: The menu node the caller was at when the menu ended (e.g. where they hung up).
    ivr_node: str | None = None
    #: The menu path, steps joined by "," (`language:ru,main:1`); cut to `IVR_PATH_MAX`.
    ivr_path: str | None = None
    #: The first expected wait told to the caller with a number, in seconds from the enqueue
    #: (the time waited when it was told plus the midpoint of the range); None if none was
    #: told. Its error for an answered call is `predicted_wait_s - wait_s`.
    predicted_wait_s: float | None = None
    #: The result of the call's last self-service look-up as the caller heard it: `found`,
    #: `not_found`, a request status, or `error` (it could not answer: no IIN key, the
    #: database down); None if the call had no look-up.
    lookup_result: str | None = None

    def __post_init__(self) -> None:
        # Frozen: normalise through object.__setattr__, once, at construction.
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        if self.ivr_node is not None:
            object.__setattr__(self, "ivr_node", self.ivr_node[:IVR_NODE_MAX])
        if self.ivr_path is not None:
            object.__setattr__(self, "ivr_path", truncate_ivr_path(self.ivr_path))
        if self.lookup_result is not None:
            object.__setattr__(self, "lookup_result", self.lookup_result[:LOOKUP_RESULT_MAX])
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
        """The inverse of `to_json_dict`. Keys added later (`ivr_node`, `ivr_path`,
        `predicted_wait_s`, `lookup_result`) may be missing: a line spooled by an older
        version still loads."""
        values = dict(data)
        for name in _TIME_FIELDS:
            raw = values.get(name)
            values[name] = None if raw is None else datetime.fromisoformat(raw)
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise InvalidRecordError(f"not a call record: {exc}") from exc


def truncate_ivr_path(path: str, limit: int = IVR_PATH_MAX) -> str:
    """`path` if it fits in `limit` characters; else its start, cut after a whole step where
    possible, ending in `,…` (or `…`), `limit` characters at most.

    >>> truncate_ivr_path("language:ru,main:1,payments:1", 20)
    'language:ru,main:1,…'
    >>> truncate_ivr_path("abcdefghij", 5)
    'abcd…'
    """
    if len(path) <= limit:
        return path
    head = path[: limit - len(TRUNCATED_MARK)]
    cut = head.rfind(",")
    if cut > 0:
        return head[: cut + 1] + TRUNCATED_MARK
    return head + TRUNCATED_MARK
