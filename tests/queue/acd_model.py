"""A plain-Python model of the ACD, for the stateful test (tests/queue/test_acd_stateful.py).

It says what the Lua scripts should do, in the most direct way: every waiting call and every
operator in dicts, the best match found by sorting everything. No Redis, no asyncio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hotline.queue.acd import NO_ANSWER_PAUSE, queue_score


@dataclass
class MCall:
    call_id: str
    queue_id: str
    topic: str
    priority: int
    arrived_at: float
    state: str = "waiting"  # waiting, offered, talking, done, cancelled, callback_failed
    operator_id: str = ""
    kind: str = "call"  # or "callback": a call-back entry
    not_before: float = 0.0  # a call-back retry is not offered earlier
    attempts: int = 0

    @property
    def score(self) -> int:
        return queue_score(self.priority, self.arrived_at)


@dataclass
class MOperator:
    op_id: str
    queues: tuple[str, ...] = ()
    levels: dict[str, int] = field(default_factory=dict)
    state: str = "offline"  # offline, available, ringing, on_call, wrap_up, paused
    idle_since: float = 0.0
    call_id: str = ""
    logout_pending: bool = False
    pause_pending: str = ""
    pause_reason: str = ""
    wrap_up_until: float = 0.0
    calls_taken: int = 0
    misses_in_row: int = 0

    def level(self, topic: str) -> int:
        return self.levels.get(topic, 1)


@dataclass
class AcdModel:
    strategy: str
    tier_delay_s: float
    auto_pause_after: int
    max_waiting: int
    calls: dict[str, MCall] = field(default_factory=dict)
    operators: dict[str, MOperator] = field(default_factory=dict)
    refused: int = 0
    last_served: dict[str, str] = field(default_factory=dict)  # round robin, per queue

    # -- queries ----------------------------------------------------------------------------

    def in_state(self, *states: str) -> list[str]:
        return sorted(c.call_id for c in self.calls.values() if c.state in states)

    def ops_in(self, *states: str) -> list[str]:
        return sorted(o.op_id for o in self.operators.values() if o.state in states)

    def waiting_in(self, queue_id: str) -> int:
        return sum(
            1 for c in self.calls.values() if c.state == "waiting" and c.queue_id == queue_id
        )

    def eligible(self, op: MOperator, call: MCall, now: float) -> bool:
        if op.state != "available" or call.queue_id not in op.queues or call.not_before > now:
            return False
        if self.tier_delay_s <= 0:
            return True
        return op.level(call.topic) <= 1 + math.floor((now - call.arrived_at) / self.tier_delay_s)

    def best_match(self, now: float) -> tuple[str, str] | None:
        """The (call, operator) `assign` must return: the best call that has an eligible
        operator, then the operator the strategy picks."""
        for call in sorted(self.calls.values(), key=lambda c: (c.score, c.call_id)):
            if call.state != "waiting":
                continue
            ops = [o for o in self.operators.values() if self.eligible(o, call, now)]
            if ops:
                return call.call_id, self._pick(ops, call)
        return None

    def _pick(self, ops: list[MOperator], call: MCall) -> str:
        by_idle = sorted(ops, key=lambda o: (o.idle_since, o.op_id))
        ids = sorted(o.op_id for o in ops)
        if self.strategy == "longest_idle":
            return by_idle[0].op_id
        if self.strategy == "fewest_calls":
            return min(by_idle, key=lambda o: o.calls_taken).op_id
        if self.strategy == "round_robin":
            last = self.last_served.get(call.queue_id, "")
            return next((i for i in ids if i > last), ids[0])
        h = 0
        for byte in call.call_id.encode():
            h = (h * 31 + byte) % 2147483647
        return ids[h % len(ids)]

    # -- events (each mirrors one Acd method) ---------------------------------------------

    def arrive(self, call: MCall) -> bool:
        if self.waiting_in(call.queue_id) >= self.max_waiting:
            self.refused += 1
            return False
        self.calls[call.call_id] = call
        return True

    def assign(self, call_id: str, op_id: str, now: float) -> None:
        call, op = self.calls[call_id], self.operators[op_id]
        call.state, call.operator_id = "offered", op_id
        op.state, op.call_id = "ringing", call_id
        if self.strategy == "round_robin":
            self.last_served[call.queue_id] = op_id

    def expire_wrap_ups(self, now: float) -> None:
        for op in self.operators.values():
            if op.state == "wrap_up" and op.wrap_up_until <= now:
                self._release(op, op.wrap_up_until)

    def login(self, op_id: str, queues: tuple[str, ...], levels: dict[str, int], now: float) -> str:
        op = self.operators.setdefault(op_id, MOperator(op_id))
        op.queues, op.levels = queues, levels
        if op.state == "offline":
            op.state, op.idle_since = "available", now
            op.logout_pending, op.pause_pending, op.pause_reason = False, "", ""
            return "available"
        op.logout_pending = False
        return op.state

    def logout(self, op_id: str) -> str:
        op = self.operators[op_id]
        if op.state in ("available", "paused", "wrap_up"):
            op.state, op.pause_reason, op.pause_pending = "offline", "", ""
        elif op.state in ("ringing", "on_call"):
            op.logout_pending = True
        return op.state

    def pause(self, op_id: str, reason: str, now: float) -> str | None:
        """None: refused (offline)."""
        op = self.operators[op_id]
        if op.state == "offline":
            return None
        if op.state == "available":
            op.state, op.pause_reason, op.pause_pending = "paused", reason, ""
        elif op.state == "paused":
            op.pause_reason = reason
        else:
            op.pause_pending = reason
        return op.state

    def ready(self, op_id: str, now: float) -> str:
        op = self.operators[op_id]
        if op.state == "wrap_up":
            op.pause_pending = ""
            self._release(op, now)
        elif op.state == "paused":
            op.state, op.pause_reason, op.idle_since = "available", "", now
        elif op.state in ("ringing", "on_call"):
            op.pause_pending = ""
        return op.state

    def answer(self, call_id: str) -> None:
        call = self.calls[call_id]
        op = self.operators[call.operator_id]
        call.state, op.state, op.misses_in_row = "talking", "on_call", 0

    def ring_no_answer(self, call_id: str, now: float) -> None:
        call = self.calls[call_id]
        op = self.operators[call.operator_id]
        if call.state == "offered":
            call.state, call.operator_id = "waiting", ""
            op.misses_in_row += 1
            if 0 < self.auto_pause_after <= op.misses_in_row:
                op.misses_in_row = 0
                op.pause_pending = op.pause_pending or NO_ANSWER_PAUSE
        self._release(op, now)

    def enqueue_callback(self, entry: MCall) -> bool:
        if entry.call_id in self.calls:
            return False
        self.calls[entry.call_id] = entry
        return True

    def callback_no_answer(
        self, entry_id: str, now: float, retry_after_s: float, max_attempts: int
    ) -> str:
        entry = self.calls[entry_id]
        op = self.operators[entry.operator_id]
        entry.attempts += 1
        if entry.attempts >= max_attempts:
            entry.state = "callback_failed"
        else:
            entry.state, entry.operator_id = "waiting", ""
            entry.not_before = now + retry_after_s
        self._release(op, now)
        return entry.state

    def cancel(self, call_id: str) -> None:
        """The caller hung up while waiting or ringing (the operator keeps ringing)."""
        call = self.calls[call_id]
        call.state = "cancelled"

    def complete(self, call_id: str, now: float, wrap_up_s: float) -> None:
        call = self.calls[call_id]
        op = self.operators[call.operator_id]
        call.state = "done"
        op.calls_taken += 1
        if wrap_up_s > 0 and not op.logout_pending:
            op.state, op.call_id, op.wrap_up_until = "wrap_up", "", now + wrap_up_s
        else:
            self._release(op, now)

    def _release(self, op: MOperator, at: float) -> None:
        op.call_id, op.idle_since = "", at
        if op.logout_pending:
            op.state, op.pause_pending = "offline", ""
        elif op.pause_pending:
            op.state, op.pause_reason, op.pause_pending = "paused", op.pause_pending, ""
        else:
            op.state = "available"
        op.logout_pending = False
