"""The automatic call distributor of one hotline: waiting calls and operators in Redis.

Every state change is one Lua script (see `lua/`), so concurrent controllers never hand one
call to two operators, and every script is idempotent: repeating an event after a timeout
changes nothing. Times are epoch seconds from the injected clock, passed in as `at`.

Call states: waiting -> offered -> talking -> done; waiting/offered -> cancelled (the caller
hung up); offered -> waiting again on ring-no-answer. Operator states: available -> ringing
-> on_call -> wrap_up -> available; paused (by request, or after `auto_pause_after` misses in
a row) until `operator_ready`; offline. A logout or a pause asked while the operator is busy
waits for the call (or wrap-up) to end. Wrap-ups end at `wrap_up_until_s` lazily: the next
`assign` notices the expired ones first, so no timer has to run, and the operator's idle time
starts at the wrap-up's end, not when it was noticed.

Call-back entries (kind `callback`, `enqueue_callback`) wait and are offered like calls; the
caller not answering sends one back to waiting, not offered before a retry time, or after the
last attempt to `callback_failed` (`callback_no_answer`).

Cancelling an offered call does not free its operator: the Dial that rings the operator is
still running and ends with `ring_no_answer` or `complete`, which free the operator (without
counting a miss for a call the caller abandoned). Freeing it earlier could offer the operator
a second call while the first still rings.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import ResponseError

from hotline.queue.errors import AcdConflictError, InvalidAcdRequestError, QueueFullError
from hotline.queue.keys import CALL_TTL_S, AcdKeys
from hotline.queue.mode import get_mode
from hotline.queue.scripts import AcdScripts

log = logging.getLogger(__name__)

#: Priorities run 0..PRIORITY_MAX, higher served first.
PRIORITY_MAX = 99
# A place in the queue is one number: (PRIORITY_MAX - priority) * _PRIORITY_STEP + arrival in
# ms. Arrival ms stay below 1e13 until the year 2286 and the whole score below 2**53, so the
# ZSET's doubles hold it exactly and ring_no_answer can restore the very same place.
_PRIORITY_STEP = 10**13

#: How `assign` picks among the eligible operators (see `lua/assign.lua`).
ROUTING_STRATEGIES = ("longest_idle", "fewest_calls", "round_robin", "random")
#: The pause reason `ring_no_answer` gives an operator paused for missing calls in a row.
NO_ANSWER_PAUSE = "no-answer"
#: Skill levels run 1 (first offered) .. LEVEL_MAX (offered after the longest wait).
LEVEL_MAX = 3


@dataclass(frozen=True)
class Disposition:
    """How an operator closed a call in wrap-up: `disposition` (one of the hotline's), or
    `missing` when one was required and the wrap-up ended without it; `at` None when the
    ACD did not know the time (a logout)."""

    call_id: str
    operator_id: str
    disposition: str
    missing: bool
    at: float | None


@dataclass(frozen=True)
class Assignment:
    """A call (or a call-back entry: `kind` "callback", `number` to call) offered to an
    operator by `Acd.assign`. A call-back has no channel: the dispatcher rings the operator,
    then the number."""

    call_id: str
    operator_id: str
    queue_id: str
    channel: str
    uniqueid: str
    waited_s: float
    kind: str = "call"
    number: str = ""


class Acd:
    """Queue operations of hotline `hotline_id` on an asyncio Redis client (not owned)."""

    def __init__(self, redis: Redis, hotline_id: str) -> None:
        self._redis = redis
        self._keys = AcdKeys(hotline_id)
        self._scripts = AcdScripts(redis)
        self._keys_list = self._keys.script_keys()
        self._prelude = [*self._keys.script_prefixes(), str(CALL_TTL_S)]

    @property
    def redis(self) -> Redis:
        """The client the scripts run on, for state read or kept beside the queue (the figures of
        `hotline.queue.stats`, the operator API's PIN counters)."""
        return self._redis

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
        max_waiting: int | None = None,
        *,
        owner: str = "",
    ) -> int:
        """Put a call in `queue_id`; its 1-based position in that queue.

        `owner`: the id of the controller that tracks the call, stored with it ('' : none;
        see `claim`).

        Enqueueing a known call id again changes nothing: it returns the call's position if
        it still waits, 0 if it is offered, talking or over (a retry is never refused).
        A new call finding `max_waiting` calls already waiting in its queue is not stored:
        `QueueFullError` (None: no limit).
        """
        _check_id("call id", call_id)
        _check_id("queue id", queue_id)
        if max_waiting is not None and max_waiting < 0:
            raise InvalidAcdRequestError(f"max_waiting must be >= 0, got {max_waiting!r}")
        score = queue_score(priority, at)
        args = [call_id, queue_id, str(score), _time(at), channel, uniqueid, language, topic]
        limit = "" if max_waiting is None else str(max_waiting)
        position = int(await self._run(self._scripts.enqueue, *args, str(priority), limit, owner))
        if position < 0:
            raise QueueFullError(f"queue {queue_id} is full ({max_waiting} waiting)")
        return position

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

    async def operator_login(
        self,
        op_id: str,
        queue_ids: Iterable[str],
        at: float,
        levels: Mapping[str, int] | None = None,
    ) -> str:
        """Make an operator available for `queue_ids`; the operator's state after the login.

        `levels` maps a topic to the operator's skill level for it (1..LEVEL_MAX, absent: 1);
        `assign` offers a call to a level-L operator only after (L - 1) tier delays.
        Logging in again only updates the queues and levels (and withdraws a pending logout):
        the operator keeps their state and idle time, so a retried login costs no turn.
        """
        _check_id("operator id", op_id)
        queues = list(queue_ids)
        for queue_id in queues:
            _check_id("queue id", queue_id)
        csv = ",".join(dict.fromkeys(queues))
        levels_csv = _levels_csv(levels or {})
        return _text(await self._run(self._scripts.login, op_id, _time(at), csv, levels_csv))

    async def operator_logout(self, op_id: str) -> str | None:
        """Log an operator out: now if available, paused or in wrap-up; after the call if busy.

        Returns the state after the request (`offline`, or `ringing`/`on_call` with the
        logout pending), None for an unknown operator. A wrap-up cut short by a logout marks
        its call `disposition_missing` when a disposition was required.
        """
        return _opt_text(await self._run(self._scripts.logout, op_id))

    async def operator_pause(
        self, op_id: str, reason: str, at: float, allowed_reasons: Collection[str]
    ) -> str:
        """Pause an operator for `reason` (one of `allowed_reasons`, from the configuration).

        Available: paused now. Ringing, on a call or in wrap-up: the pause waits for that to
        end (`pause_pending`). Returns the state after the request. Raises
        `InvalidAcdRequestError` for a reason not allowed and `AcdConflictError` for an
        unknown or offline operator.
        """
        if reason not in allowed_reasons:
            raise InvalidAcdRequestError(
                f"unknown pause reason {reason!r} (allowed: {sorted(allowed_reasons)})"
            )
        result = await self._run_checked(self._scripts.pause, op_id, reason, _time(at))
        if result is None:
            raise AcdConflictError(f"unknown operator {op_id!r}")
        return _text(result)

    async def operator_ready(
        self,
        op_id: str,
        at: float,
        disposition: str | None = None,
        allowed_dispositions: Collection[str] = (),
    ) -> str:
        """The operator is ready for calls: ends a wrap-up early or a pause (idle from `at`).

        `disposition` (one of `allowed_dispositions` when that is not empty) is stored on the
        wrapped-up call. A wrap-up that requires one (`complete(disposition_required=True)`)
        cannot end here without it: `AcdConflictError` "disposition required", nothing
        changes. While busy, a pending pause is withdrawn. Returns the state after.
        """
        if allowed_dispositions and disposition not in (None, *allowed_dispositions):
            shown = sorted(allowed_dispositions)
            raise InvalidAcdRequestError(f"unknown disposition {disposition!r} (allowed: {shown})")
        has = "0" if disposition is None else "1"
        args = (op_id, _time(at), has, disposition or "")
        result = await self._run_checked(self._scripts.ready, *args)
        if result is None:
            raise AcdConflictError(f"unknown operator {op_id!r}")
        return _text(result)

    async def assign(
        self, at: float, strategy: str = "longest_idle", tier_delay_s: float = 30.0
    ) -> Assignment | None:
        """Offer the best waiting call to an eligible operator, if any.

        Best: higher priority first, then the earliest original arrival, across all queues; a
        call no available operator serves (or, by skill tier, may serve yet) is passed over
        for the next one. Among the eligible operators `strategy` picks (ROUTING_STRATEGIES;
        see `lua/assign.lua`). Expired wrap-ups end first.
        """
        if strategy not in ROUTING_STRATEGIES:
            raise InvalidAcdRequestError(f"unknown routing strategy {strategy!r}")
        args = (_time(at), strategy, _time(tier_delay_s))
        result = await self._run(self._scripts.assign, *args)
        if result is None:
            return None
        call_id, op_id, queue_id, channel, uniqueid, arrived_at_s, kind, number = (
            _text(v) for v in result
        )
        return Assignment(
            call_id=call_id,
            operator_id=op_id,
            queue_id=queue_id,
            channel=channel,
            uniqueid=uniqueid,
            waited_s=max(0.0, at - float(arrived_at_s)),
            kind=kind,
            number=number,
        )

    async def enqueue_callback(
        self,
        entry_id: str,
        queue_id: str,
        priority: int,
        arrived_at: float,
        number: str,
        language: str,
        topic: str,
        requested_at: float,
    ) -> bool:
        """Queue a call-back request as an entry of kind `callback` at the caller's original
        place (`arrived_at`: when the call that asked arrived). False if `entry_id` is known
        already (a retry changes nothing, so nobody is called back twice for one request).

        The entry id must differ from every call id (e.g. "cb-" + the asking call's id): the
        asking call keeps its own hash until it ends.
        """
        _check_id("call-back id", entry_id)
        _check_id("queue id", queue_id)
        if not number:
            raise InvalidAcdRequestError("a call-back needs the caller's number")
        score = str(queue_score(priority, arrived_at))
        args = (entry_id, queue_id, score, _time(arrived_at), number, language, topic)
        added = await self._run(
            self._scripts.callback_enqueue, *args, str(priority), _time(requested_at)
        )
        return bool(added)

    async def callback_answered(self, entry_id: str, op_id: str, at: float) -> str | None:
        """The called-back caller picked up: the entry is `talking` with `op_id` (as
        `answered` for a call; `complete` ends it)."""
        return await self.answered(entry_id, op_id, at)

    async def callback_no_answer(
        self, entry_id: str, op_id: str, at: float, retry_after_s: float, max_attempts: int
    ) -> str | None:
        """The called-back caller did not pick up. Below `max_attempts` attempts the entry
        waits again at its place, not offered before `at + retry_after_s`; then it ends as
        `callback_failed`. The operator is free at once, without a miss. The entry's state
        after, None if unknown. (An operator who does not answer is `ring_no_answer`.)"""
        if max_attempts < 1 or not (math.isfinite(retry_after_s) and retry_after_s >= 0):
            raise InvalidAcdRequestError(
                f"bad call-back retry: after {retry_after_s!r} s, {max_attempts!r} attempts"
            )
        args = (entry_id, op_id, _time(at), _time(at + retry_after_s), str(max_attempts))
        return _opt_text(await self._run(self._scripts.callback_no_answer, *args))

    async def answered(self, call_id: str, op_id: str, at: float) -> str | None:
        """The operator picked up; the call's state after the event (None if unknown).

        Raises `AcdConflictError` if the call is not offered to (or talking with) `op_id`.
        """
        try:
            result = await self._run(self._scripts.answered, call_id, op_id, _time(at))
        except ResponseError as exc:
            raise AcdConflictError(str(exc)) from exc
        return _opt_text(result)

    async def restore_talking(
        self,
        call_id: str,
        queue_id: str,
        priority: int,
        at: float,
        channel: str,
        uniqueid: str,
        language: str,
        topic: str,
        op_id: str,
        answered_at: float,
        *,
        owner: str = "",
    ) -> bool:
        """Redis lost its data while `op_id` talked on this call (`hotline.controller.rebuild`):
        store the call again as talking (enqueued `at` with `priority`, answered at
        `answered_at`) and put the logged-in operator on it, so the hang-up completes it as
        usual. False (nothing changed) if the operator is not logged in or the call is known.
        """
        _check_id("call id", call_id)
        _check_id("queue id", queue_id)
        _check_id("operator id", op_id)
        score = queue_score(priority, at)
        args = [call_id, queue_id, str(score), _time(at), channel, uniqueid, language, topic]
        args += [str(priority), owner, op_id, _time(answered_at)]
        return bool(await self._run(self._scripts.restore_talking, *args))

    async def ring_no_answer(
        self,
        call_id: str,
        op_id: str,
        at: float,
        auto_pause_after: int = 0,
        reoffer_after_s: float = 0.0,
    ) -> str | None:
        """The operator did not pick up: the call waits again at its original place.

        The operator's `auto_pause_after`-th miss in a row (0: never) pauses them with reason
        NO_ANSWER_PAUSE instead of making them available: a phone nobody answers should not
        keep drawing callers. With `reoffer_after_s` > 0 this operator is not offered this
        call again for that long (others may take it at once), so that the caller waits on
        hold rather than ringing the same phone again at once. Returns the call's state
        after the event, None if unknown.
        """
        if auto_pause_after < 0:
            raise InvalidAcdRequestError(f"auto_pause_after must be >= 0: {auto_pause_after}")
        if not (math.isfinite(reoffer_after_s) and reoffer_after_s >= 0):
            raise InvalidAcdRequestError(f"reoffer_after_s must be >= 0: {reoffer_after_s!r}")
        reoffer_after = _time(at + reoffer_after_s) if reoffer_after_s > 0 else ""
        args = (call_id, op_id, _time(at), str(auto_pause_after), reoffer_after)
        return _opt_text(await self._run(self._scripts.ring_no_answer, *args))

    async def complete(
        self,
        call_id: str,
        at: float,
        wrap_up_s: float = 0.0,
        disposition_required: bool = False,
    ) -> str | None:
        """The call is over. The call's state after, or None if unknown.

        The operator who talked counts one call more and goes to `wrap_up` until
        `at + wrap_up_s` (0: available at once; with a logout pending: offline at once);
        `operator_ready` ends the wrap-up early and, with `disposition_required`, must carry
        a disposition. An operator only ringing is free at once.
        """
        if not (math.isfinite(wrap_up_s) and wrap_up_s >= 0):
            raise InvalidAcdRequestError(f"wrap_up_s must be >= 0, got {wrap_up_s!r}")
        until = _time(at + wrap_up_s) if wrap_up_s > 0 else ""
        required = "1" if disposition_required else "0"
        args = (call_id, _time(at), until, required)
        return _opt_text(await self._run(self._scripts.complete, *args))

    async def claim(self, call_id: str, controller_id: str) -> bool:
        """Make `controller_id` the owner of a call in progress, if the call is its own
        already, has no owner, or its owner's lease has expired (one script: of two
        controllers taking over from a dead one, one only gets the call). False: the call
        is over, unknown, or owned by a controller that is alive."""
        _check_id("controller id", controller_id)
        args = (call_id, controller_id, self._keys.lease_prefix)
        return bool(await self._run(self._scripts.claim, *args))

    async def call(self, call_id: str) -> dict[str, str] | None:
        """The stored fields of a call (see `lua/enqueue.lua`), None if unknown or expired."""
        return _text_dict(await self._redis.hgetall(self._keys.call(call_id)))

    async def operator(self, op_id: str) -> dict[str, str] | None:
        """The stored fields of an operator (see `lua/login.lua`), None if unknown."""
        return _text_dict(await self._redis.hgetall(self._keys.operator(op_id)))

    async def operator_states(self) -> dict[str, str]:
        """Every operator that ever logged in, with their state (for supervisors, gauges)."""
        rows = await self._operator_fields("state")
        return {op: _text(state) for op, (state,) in rows.items() if state is not None}

    async def _operator_fields(self, *fields: str) -> dict[str, list[Any]]:
        """`fields` of every operator that ever logged in (one pipelined HMGET each), raw."""
        members = await self._redis.smembers(self._keys.operators)
        op_ids = sorted(_text(m) for m in members)
        async with self._redis.pipeline(transaction=False) as pipe:
            for op_id in op_ids:
                pipe.hmget(self._keys.operator(op_id), list(fields))
            rows = await pipe.execute()
        return dict(zip(op_ids, rows, strict=True))

    async def move(self, call_id: str, to_queue: str) -> str | None:
        """Overflow a waiting call into `to_queue` at its original place; the call's queue
        after (unchanged if it no longer waits), None if the call is unknown."""
        _check_id("queue id", to_queue)
        return _opt_text(await self._run(self._scripts.move, call_id, to_queue))

    async def dispositions(self, limit: int = 500) -> tuple[list[Disposition], list[str]]:
        """The oldest `limit` wrap-up dispositions not yet stored in SQL, and the raw entries
        read (for `forget_dispositions`); an unreadable entry is logged and skipped."""
        raws = await self._redis.lrange(self._keys.dispositions, 0, limit - 1)
        rows = [_text(raw) for raw in raws]
        found = []
        for raw in rows:
            parts = raw.split("\t")
            if len(parts) != 5:
                log.warning("unreadable disposition entry %r: skipped", raw)
                continue
            call_id, op_id, disposition, missing, at = parts
            when = float(at) if at else None
            found.append(Disposition(call_id, op_id, disposition, missing == "1", when))
        return found, rows

    async def forget_dispositions(self, entries: Sequence[str]) -> None:
        """Drop these entries: they are stored in SQL now. Each is removed by value, so two
        controllers draining at once never drop an entry neither has stored."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for entry in entries:
                pipe.lrem(self._keys.dispositions, 1, entry)
            await pipe.execute()

    async def pauses(self) -> dict[str, tuple[str, float]]:
        """Every paused operator: (reason, paused since, epoch seconds)."""
        rows = await self._operator_fields("state", "pause_reason", "paused_at_s")
        return {
            op_id: (_text(reason or ""), float(_text(since)))
            for op_id, (state, reason, since) in rows.items()
            if state is not None and _text(state) == "paused" and since
        }

    async def notify_change(self) -> None:
        """Tell every dispatcher of this hotline to look for matches now (PUBLISH on
        `keys.wake_channel`): an operator became free outside any controller."""
        await self._redis.publish(self._keys.wake_channel, "1")

    async def next_wrap_up_end(self) -> float | None:
        """When the earliest wrap-up runs out (epoch seconds), None if nobody wraps up: the
        dispatcher wakes then, so the operator gets the next caller without waiting a tick."""
        head = await self._redis.zrange(self._keys.wrap_up, 0, 0, withscores=True)
        return float(head[0][1]) if head else None

    async def next_reoffer_at(self) -> float | None:
        """When the earliest "not this operator again yet" of a call runs out (epoch
        seconds), None if there is none: the dispatcher wakes then to offer it again."""
        head = await self._redis.zrange(self._keys.reoffer, 0, 0, withscores=True)
        return float(head[0][1]) if head else None

    async def waiting_count(self, queue_id: str | None = None) -> int:
        """How many calls wait, in all queues or in `queue_id`."""
        key = self._keys.waiting if queue_id is None else self._keys.queue_waiting(queue_id)
        return int(await self._redis.zcard(key))

    async def _run(self, script: AsyncScript, *args: str) -> Any:
        # Script replies are untyped (Redis' Lua conversion rules): callers convert them.
        return await script(keys=self._keys_list, args=[*self._prelude, *args])

    async def _run_checked(self, script: AsyncScript, *args: str) -> Any:
        """`_run` for scripts whose error replies are conflicts with the stored state."""
        try:
            return await self._run(script, *args)
        except ResponseError as exc:
            raise AcdConflictError(str(exc)) from exc


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


def _levels_csv(levels: Mapping[str, int]) -> str:
    for topic, level in levels.items():
        _check_id("topic", topic)
        if ":" in topic or isinstance(level, bool) or not 1 <= level <= LEVEL_MAX:
            raise InvalidAcdRequestError(f"bad skill level {topic!r}: {level!r}")
    return ",".join(f"{topic}:{level}" for topic, level in sorted(levels.items()))


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


__all__: Sequence[str] = (
    "LEVEL_MAX",
    "NO_ANSWER_PAUSE",
    "PRIORITY_MAX",
    "ROUTING_STRATEGIES",
    "Acd",
    "Assignment",
)
