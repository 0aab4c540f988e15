"""Read-only figures of a hotline's ACD for the wait estimate: who serves a queue right now.

One SMEMBERS of the operators set, then one pipeline of HMGET state/queues on each operator's
hash (key names from `AcdKeys`). Nothing is written: the figures may be a moment stale, which
is fine for an estimate spoken to a caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from redis.asyncio import Redis

from hotline.queue.keys import AcdKeys

#: Operator states that count as "on shift now" for a queue they serve: logged in and not
#: paused. A busy operator with a logout or a pause pending is not counted: they will not
#: take another call after this one.
ON_SHIFT_STATES: Final = frozenset({"available", "ringing", "on_call", "wrap_up"})
AVAILABLE: Final = "available"
_FIELDS: Final = ["state", "queues", "logout_pending", "pause_pending"]


@dataclass(frozen=True)
class QueueStaffing:
    """Operators serving one queue now: on shift (see ON_SHIFT_STATES) and available."""

    on_shift: int
    available: int


async def queue_staffing(redis: Redis, keys: AcdKeys, queue_id: str) -> QueueStaffing:
    """Count the operators of `keys`' hotline who serve `queue_id` now."""
    members = await redis.smembers(keys.operators)
    op_ids = sorted(_text(member) for member in members)
    if not op_ids:
        return QueueStaffing(0, 0)
    async with redis.pipeline(transaction=False) as pipe:
        for op_id in op_ids:
            pipe.hmget(keys.operator(op_id), _FIELDS)
        rows = await pipe.execute()
    on_shift = available = 0
    for state_raw, queues_raw, logout_pending, pause_pending in rows:
        if state_raw is None or queues_raw is None:
            continue
        state = _text(state_raw)
        if state not in ON_SHIFT_STATES or queue_id not in _text(queues_raw).split(","):
            continue
        if _text(logout_pending or "") == "1" or _text(pause_pending or ""):
            continue
        on_shift += 1
        if state == AVAILABLE:
            available += 1
    return QueueStaffing(on_shift, available)


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
