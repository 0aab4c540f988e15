"""The calls in progress as the ACD stores them, read-only: what a restarted controller needs
to take over the callers of the one before it.

Nothing here changes Redis (every change is a Lua script in `acd.py`); the key names come from
`hotline.queue.keys`. A call in progress is `waiting` (in the waiting ZSET), `offered` (its
operator `ringing`) or `talking` (its operator `on_call`): the waiting ZSET and the
operators' hashes find all of them without a SCAN over the finished calls' hashes, which
live a day.

The enqueue script does not store the caller's number: an adopted call takes it from the
channel (CoreShowChannels `CallerIDNum`, or `agi_callerid` at a hold visit).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from redis.asyncio import Redis

from hotline.queue.keys import AcdKeys

#: Call states in which a caller is still on the line as far as the ACD knows.
IN_PROGRESS = frozenset({"waiting", "offered", "talking"})


@dataclass(frozen=True)
class StoredCall:
    """The fields of a call hash (see `lua/enqueue.lua`, `assign.lua`, `answered.lua`).

    `arrived_at_s` is when the call was enqueued (its place in the queue comes from the
    stored score, not from this); `operator_id` is set while offered or talking;
    `answered_at_s` once talking; `offered_at_s` once offered (the last offer); `owner` the
    controller that tracks it ('' when none is recorded; see `hotline.queue.leases`).
    """

    call_id: str
    state: str
    queue_id: str
    channel: str
    uniqueid: str
    language: str
    topic: str
    arrived_at_s: float
    operator_id: str | None = None
    answered_at_s: float | None = None
    offered_at_s: float | None = None
    owner: str = ""
    priority: int | None = None

    @property
    def in_progress(self) -> bool:
        return self.state in IN_PROGRESS

    @classmethod
    def from_hash(cls, fields: Mapping[str, str]) -> StoredCall | None:
        """The call of a call hash (as `HGETALL` gives it, decoded); None for a hash that
        lacks a field every call has, or has a malformed time."""
        try:
            arrived = float(fields["arrived_at_s"])
            call = cls(
                call_id=fields["call_id"],
                state=fields["state"],
                queue_id=fields["queue_id"],
                channel=fields["channel"],
                uniqueid=fields["uniqueid"],
                language=fields.get("language", ""),
                topic=fields.get("topic", ""),
                arrived_at_s=arrived,
                operator_id=fields.get("operator_id") or None,
                answered_at_s=_opt_float(fields.get("answered_at_s")),
                offered_at_s=_opt_float(fields.get("offered_at_s")),
                owner=fields.get("owner", ""),
                priority=int(fields["priority"]) if fields.get("priority") else None,
            )
        except (KeyError, ValueError):
            return None
        return call if call.call_id and call.uniqueid else None


class CallInventory:
    """Read-only listing of hotline `hotline_id`'s calls in progress (client not owned)."""

    def __init__(self, redis: Redis, hotline_id: str) -> None:
        self._redis = redis
        self._keys = AcdKeys(hotline_id)

    async def in_progress(self) -> list[StoredCall]:
        """Every waiting, offered or talking call: the waiting ones first, best place
        first, then the others by operator id."""
        waiting = [_text(m) for m in await self._redis.zrange(self._keys.waiting, 0, -1)]
        op_ids = sorted(_text(m) for m in await self._redis.smembers(self._keys.operators))
        async with self._redis.pipeline(transaction=False) as pipe:
            for op_id in op_ids:
                pipe.hget(self._keys.operator(op_id), "call_id")
            held = await pipe.execute()
        call_ids = list(dict.fromkeys([*waiting, *(_text(c) for c in held if c)]))
        async with self._redis.pipeline(transaction=False) as pipe:
            for call_id in call_ids:
                pipe.hgetall(self._keys.call(call_id))
            hashes = await pipe.execute()
        calls = []
        for raw in hashes:
            call = StoredCall.from_hash({_text(k): _text(v) for k, v in raw.items()})
            if call is not None and call.in_progress:
                calls.append(call)
        return calls

    async def live_owners(self, owners: Collection[str]) -> set[str]:
        """Those of `owners` (controller ids) whose lease on this hotline is alive (see
        `hotline.queue.leases`)."""
        ordered = sorted(set(owners))
        if not ordered:
            return set()
        async with self._redis.pipeline(transaction=False) as pipe:
            for owner in ordered:
                pipe.exists(self._keys.lease(owner))
            found = await pipe.execute()
        return {owner for owner, alive in zip(ordered, found, strict=True) if alive}


def _opt_float(text: str | None) -> float | None:
    if not text:
        return None
    return float(text)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)
