"""The automatic call distributor of one hotline: waiting calls and operators in Redis.

Every state change is one Lua script (see `lua/`), so concurrent controllers never hand one
call to two operators, and every script is idempotent: repeating an event after a timeout
changes nothing. Times are epoch seconds from the injected clock, passed in as `at`.

Call states: waiting -> offered -> talking -> done; waiting/offered -> cancelled (the caller
hung up); offered -> waiting again on ring-no-answer. Operator states: available -> ringing
-> on_call -> available (or offline after a pending logout).

Cancelling an offered call does not free its operator: the Dial that rings the operator is
still running and ends with `ring_no_answer` or `complete`, which free the operator (without
counting a miss for a call the caller abandoned). Freeing it earlier could offer the operator
a second call while the first still rings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import ResponseError

from hotline.queue.errors import AcdConflictError, InvalidAcdRequestError
from hotline.queue.keys import CALL_TTL_S, AcdKeys
from hotline.queue.mode import get_mode
from hotline.queue.scripts import AcdScripts

#: Priorities run 0..PRIORITY_MAX, higher served first.
PRIORITY_MAX = 99
# A place in the queue is one number: (PRIORITY_MAX - priority) * _PRIORITY_STEP + arrival in
# ms. Arrival ms stay below 1e13 until the year 2286 and the whole score below 2**53, so the
# ZSET's doubles hold it exactly and ring_no_answer can restore the very same place.
_PRIORITY_STEP = 10**13


@dataclass(frozen=True)
class Assignment:
    """A call offered to an operator by `Acd.assign`."""

    call_id: str
    operator_id: str
    queue_id: str
    channel: str
    uniqueid: str
    waited_s: float


class Acd:
    """Queue operations of hotline `hotline_id` on an asyncio Redis client (not owned)."""

    def __init__(self, redis: Redis, hotline_id: str) -> None:
        self._redis = redis
        self._keys = AcdKeys(hotline_id)
        self._scripts = AcdScripts(redis)
        self._keys_list = self._keys.script_keys()
        self._prelude = [*self._keys.script_prefixes(), str(CALL_TTL_S)]

    @property
    def keys(self) -> AcdKeys:
        return self._keys

    async def mode(self) -> str:
        """The hotline's mode, `normal` or `emergency` (one GET; see `hotline.queue.mode`)."""
        return await get_mode(self._redis, self._keys.hotline_id)

    async def enqueue(
        self,
        call_id: str,
        queue_id: str,
        priority: int,
        at: float,
        channel: str,
        uniqueid: str,
        language: str,
        topic: str,
    ) -> int:
        """Put a call in `queue_id`; its 1-based position in that queue.

        Enqueueing a known call id again changes nothing: it returns the call's position if
        it still waits, 0 if it is offered, talking or over.
        """
        _check_id("call id", call_id)
        _check_id("queue id", queue_id)
        score = queue_score(priority, at)
        args = [call_id, queue_id, str(score), _time(at), channel, uniqueid, language, topic]
        return int(await self._run(self._scripts.enqueue, *args, str(priority)))

    async def position(self, call_id: str) -> int | None:
        """1-based place among the waiting calls of the call's own queue; None if not waiting.

        Calls of other queues are not counted: they are served by other operators, or, when
        operators overlap, by the priority-then-arrival order that `assign` follows.
        """
        result = await self._run(self._scripts.position, call_id)
        return None if result is None else int(result)

    async def cancel(self, call_id: str, at: float) -> str | None:
        """The caller hung up; the state the call was in, None if unknown.

        A waiting or offered call becomes `cancelled`; a talking or finished one is left to
        `complete`. The operator of an offered call keeps ringing (see the module doc).
        """
        return _opt_text(await self._run(self._scripts.cancel, call_id, _time(at)))

    async def operator_login(self, op_id: str, queue_ids: Iterable[str], at: float) -> str:
        """Make an operator available for `queue_ids`; the operator's state after the login.

        Logging in again only updates the queues (and withdraws a pending logout): the
        operator keeps their idle time, so a retried login does not cost them their turn.
        """
        _check_id("operator id", op_id)
        queues = list(queue_ids)
        for queue_id in queues:
            _check_id("queue id", queue_id)
        csv = ",".join(dict.fromkeys(queues))
        return _text(await self._run(self._scripts.login, op_id, _time(at), csv))

    async def operator_logout(self, op_id: str) -> str | None:
        """Log an operator out: now if available, after the current call if busy.

        Returns the state after the request (`offline`, or `ringing`/`on_call` with the
        logout pending), None for an unknown operator.
        """
        return _opt_text(await self._run(self._scripts.logout, op_id))

    async def assign(self, at: float) -> Assignment | None:
        """Offer the best waiting call to the longest-idle eligible operator, if any.

        Best: higher priority first, then the earliest original arrival, across all queues; a
        call no available operator serves is passed over for the next one.
        """
        result = await self._run(self._scripts.assign, _time(at))
        if result is None:
            return None
        call_id, op_id, queue_id, channel, uniqueid, arrived_at_s = (_text(v) for v in result)
        return Assignment(
            call_id=call_id,
            operator_id=op_id,
            queue_id=queue_id,
            channel=channel,
            uniqueid=uniqueid,
            waited_s=max(0.0, at - float(arrived_at_s)),
        )

    async def answered(self, call_id: str, op_id: str, at: float) -> str | None:
        """The operator picked up; the call's state after the event (None if unknown).

        Raises `AcdConflictError` if the call is not offered to (or talking with) `op_id`.
        """
        try:
            result = await self._run(self._scripts.answered, call_id, op_id, _time(at))
        except ResponseError as exc:
            raise AcdConflictError(str(exc)) from exc
        return _opt_text(result)

    async def ring_no_answer(self, call_id: str, op_id: str, at: float) -> str | None:
        """The operator did not pick up: the call waits again at its original place.

        Returns the call's state after the event, None if unknown.
        """
        return _opt_text(await self._run(self._scripts.ring_no_answer, call_id, op_id, _time(at)))

    async def complete(self, call_id: str, at: float) -> str | None:
        """The call is over; its operator is free again. The call's state after, or None."""
        return _opt_text(await self._run(self._scripts.complete, call_id, _time(at)))

    async def call(self, call_id: str) -> dict[str, str] | None:
        """The stored fields of a call (see `lua/enqueue.lua`), None if unknown or expired."""
        return _text_dict(await self._redis.hgetall(self._keys.call(call_id)))

    async def operator(self, op_id: str) -> dict[str, str] | None:
        """The stored fields of an operator (see `lua/login.lua`), None if unknown."""
        return _text_dict(await self._redis.hgetall(self._keys.operator(op_id)))

    async def operator_states(self) -> dict[str, str]:
        """Every operator that ever logged in, with their state (for supervisors, gauges)."""
        members = await self._redis.smembers(self._keys.operators)
        op_ids = sorted(_text(m) for m in members)
        async with self._redis.pipeline(transaction=False) as pipe:
            for op_id in op_ids:
                pipe.hget(self._keys.operator(op_id), "state")
            states = await pipe.execute()
        return {op: _text(st) for op, st in zip(op_ids, states, strict=True) if st is not None}

    async def waiting_count(self, queue_id: str | None = None) -> int:
        """How many calls wait, in all queues or in `queue_id`."""
        key = self._keys.waiting if queue_id is None else self._keys.queue_waiting(queue_id)
        return int(await self._redis.zcard(key))

    async def _run(self, script: AsyncScript, *args: str) -> Any:
        # Script replies are untyped (Redis' Lua conversion rules): callers convert them.
        return await script(keys=self._keys_list, args=[*self._prelude, *args])


def queue_score(priority: int, at: float) -> int:
    """A place in a queue: higher priority first, then earlier arrival (see _PRIORITY_STEP)."""
    if isinstance(priority, bool) or not 0 <= priority <= PRIORITY_MAX:
        raise InvalidAcdRequestError(f"priority must be in 0..{PRIORITY_MAX}, got {priority!r}")
    arrival_ms = round(float(_time(at)) * 1000)
    if not 0 <= arrival_ms < _PRIORITY_STEP:
        raise InvalidAcdRequestError(f"arrival time out of range: {at!r}")
    return (PRIORITY_MAX - priority) * _PRIORITY_STEP + arrival_ms


def _time(at: float) -> str:
    if not math.isfinite(at):
        raise InvalidAcdRequestError(f"time must be finite, got {at!r}")
    return repr(float(at))


def _check_id(what: str, value: str) -> None:
    # Commas separate queue ids inside an operator's hash; empty ids would collide.
    if not value or "," in value:
        raise InvalidAcdRequestError(f"{what} must be non-empty and without commas: {value!r}")


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def _opt_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _text_dict(raw: object) -> dict[str, str] | None:
    if not isinstance(raw, dict) or not raw:
        return None
    return {_text(k): _text(v) for k, v in raw.items()}


__all__: Sequence[str] = ("PRIORITY_MAX", "Acd", "Assignment")
