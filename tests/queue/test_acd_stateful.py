"""The ACD against a plain-Python model (tests/queue/acd_model.py), by a hypothesis state
machine on the real redis-server: random arrivals, hang-ups, logins, logouts, pauses, misses,
answers, completions, wrap-up expiries, shift changes and call-back requests (entries of
kind `callback` that a caller may not answer), each followed by a dispatch
(`assign` until nothing matches) and a check of every invariant of the issue:

- each call is in exactly one state, and Redis' sets agree with the hashes (a waiting call is
  in the global waiting ZSET and its own queue's, nowhere else; an available operator is in
  the available ZSETs of exactly its queues; a wrapping-up one in the wrap-up ZSET);
- no operator holds two calls and no call has two operators;
- after a dispatch, no eligible available operator is idle while a call it may take waits;
- each assignment is the model's best: priority, then original arrival (first come, first
  served), skill tiers, then the routing strategy's operator;
- conservation: arrivals (calls and call-backs) = done + talking + cancelled + waiting +
  offered + callback_failed + refused (queue full).

A failure prints the steps that led to it (hypothesis' `state.rule(...)` lines, with the ids
drawn in each step).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, ClassVar, TypeVar

import pytest
import redis
import redis.asyncio as aioredis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from hotline.queue import Acd, AcdConflictError, QueueFullError
from hotline.queue.keys import AcdKeys

from .acd_model import AcdModel, MCall

pytestmark = pytest.mark.redis

T = TypeVar("T")

HOTLINE = "sm"
# queue id -> (topic, language): two topics, two languages.
QUEUES = {"pay-kk": ("pay", "kk"), "pay-ru": ("pay", "ru"), "cp-kk": ("cp", "kk")}
OPERATORS = tuple(f"op{i}" for i in range(6))
REASONS = ("break", "lunch")
TIER_DELAY_S = 30.0
AUTO_PAUSE_AFTER = 2
MAX_WAITING = 5
CALLBACK_RETRY_S = 20.0
CALLBACK_ATTEMPTS = 2

queue_sets = st.lists(st.sampled_from(sorted(QUEUES)), min_size=1, max_size=3, unique=True)
levels = st.fixed_dictionaries(
    {"pay": st.sampled_from([1, 1, 2, 3]), "cp": st.sampled_from([1, 1, 2, 3])}
)


class AcdMachine(RuleBasedStateMachine):
    redis_url: ClassVar[str] = ""
    strategy: ClassVar[str] = "longest_idle"

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.client = aioredis.Redis.from_url(self.redis_url, decode_responses=True)
        self.inspect = redis.Redis.from_url(self.redis_url, decode_responses=True)
        self.inspect.flushall()
        self.acd = Acd(self.client, HOTLINE)
        self.keys = AcdKeys(HOTLINE)
        self.model = AcdModel(self.strategy, TIER_DELAY_S, AUTO_PAUSE_AFTER, MAX_WAITING)
        self.now = 1_000.0
        self.arrived = 0

    def teardown(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()
        self.inspect.close()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    # -- the dispatch after every event -----------------------------------------------------

    def dispatch(self) -> None:
        self.model.expire_wrap_ups(self.now)
        while True:
            expected = self.model.best_match(self.now)
            got = self.run(self.acd.assign(self.now, self.strategy, TIER_DELAY_S))
            assert (None if got is None else (got.call_id, got.operator_id)) == expected
            if expected is None:
                return
            self.model.assign(*expected, self.now)

    def step(self, seconds: float = 1.0) -> None:
        self.now += seconds

    # -- rules ------------------------------------------------------------------------------

    @initialize(first=st.lists(st.sampled_from(OPERATORS), min_size=1, max_size=3, unique=True))
    def first_shift(self, first: list[str]) -> None:
        for op_id in first:
            self.login_one(op_id, tuple(QUEUES), {})
        self.dispatch()

    @rule(
        callers=st.lists(
            st.tuples(st.sampled_from([0, 5, 9]), st.sampled_from(sorted(QUEUES))),
            min_size=1,
            max_size=3,
        )
    )
    def arrivals(self, callers: list[tuple[int, str]]) -> None:
        """One to three callers, a second apart (calls outnumber the other events)."""
        for priority, queue_id in callers:
            self.arrive(priority, queue_id)

    def arrive(self, priority: int, queue_id: str) -> None:
        self.step()
        call_id = f"c{self.arrived:03d}"
        self.arrived += 1
        topic, language = QUEUES[queue_id]
        call = MCall(call_id, queue_id, topic, priority, self.now)
        accepted = self.model.arrive(call)
        enqueue = self.acd.enqueue(
            call_id, queue_id, priority, self.now, "ch", "u", language, topic, MAX_WAITING
        )
        if accepted:
            assert self.run(enqueue) >= 1
        else:
            with pytest.raises(QueueFullError):
                self.run(enqueue)
        self.dispatch()

    @rule(
        priority=st.sampled_from([0, 5, 9]),
        queue_id=st.sampled_from(sorted(QUEUES)),
        waited_s=st.sampled_from([0.0, 10.0, 45.0]),
    )
    def callback_request(self, priority: int, queue_id: str, waited_s: float) -> None:
        """A caller who waited `waited_s` asks to be called back: an entry at their place."""
        self.step()
        entry_id = f"cb-{self.arrived:03d}"
        self.arrived += 1
        topic, language = QUEUES[queue_id]
        arrived_at = self.now - waited_s
        entry = MCall(entry_id, queue_id, topic, priority, arrived_at, kind="callback")
        assert self.model.enqueue_callback(entry)
        added = self.acd.enqueue_callback(
            entry_id, queue_id, priority, arrived_at, "+77010000001", language, topic, self.now
        )
        assert self.run(added) is True
        self.dispatch()

    @precondition(lambda self: self.offered_callbacks())
    @rule(data=st.data())
    def callback_not_answered(self, data: st.DataObject) -> None:
        self.step()
        entry_id = data.draw(st.sampled_from(self.offered_callbacks()), "call-back")
        op_id = self.model.calls[entry_id].operator_id
        result = self.acd.callback_no_answer(
            entry_id, op_id, self.now, CALLBACK_RETRY_S, CALLBACK_ATTEMPTS
        )
        expected = self.model.callback_no_answer(
            entry_id, self.now, CALLBACK_RETRY_S, CALLBACK_ATTEMPTS
        )
        assert self.run(result) == expected
        self.dispatch()

    def offered_callbacks(self) -> list[str]:
        return [c for c in self.model.in_state("offered") if self.model.calls[c].kind == "callback"]

    def callers_on_the_line(self) -> list[str]:
        """Calls (not call-back entries) a caller can hang up: waiting or offered."""
        calls = self.model.calls
        return [c for c in self.model.in_state("waiting", "offered") if calls[c].kind == "call"]

    @precondition(lambda self: self.callers_on_the_line())
    @rule(data=st.data())
    def hang_up_before_talking(self, data: st.DataObject) -> None:
        """As the dispatcher does: cancel, then free a ringing operator (the Dial ends)."""
        self.step()
        call_id = data.draw(st.sampled_from(self.callers_on_the_line()), "call")
        call = self.model.calls[call_id]
        was = call.state
        assert self.run(self.acd.cancel(call_id, self.now)) == was
        self.model.cancel(call_id)
        if was == "offered":
            self.run(self.acd.ring_no_answer(call_id, call.operator_id, self.now))
            self.model.ring_no_answer(call_id, self.now)
        self.dispatch()

    @precondition(lambda self: self.model.in_state("talking"))
    @rule(data=st.data(), wrap_up_s=st.sampled_from([0.0, 10.0, 30.0]))
    def completion(self, data: st.DataObject, wrap_up_s: float) -> None:
        self.step()
        call_id = data.draw(st.sampled_from(self.model.in_state("talking")), "call")
        assert self.run(self.acd.complete(call_id, self.now, wrap_up_s)) == "done"
        self.model.complete(call_id, self.now, wrap_up_s)
        self.dispatch()

    @precondition(lambda self: self.model.in_state("offered"))
    @rule(data=st.data())
    def answer(self, data: st.DataObject) -> None:
        self.step()
        call_id = data.draw(st.sampled_from(self.model.in_state("offered")), "call")
        call = self.model.calls[call_id]
        answered = self.acd.callback_answered if call.kind == "callback" else self.acd.answered
        assert self.run(answered(call_id, call.operator_id, self.now)) == "talking"
        self.model.answer(call_id)
        self.dispatch()

    @precondition(lambda self: self.model.in_state("offered"))
    @rule(data=st.data())
    def ring_no_answer(self, data: st.DataObject) -> None:
        self.step()
        call_id = data.draw(st.sampled_from(self.model.in_state("offered")), "call")
        op_id = self.model.calls[call_id].operator_id
        result = self.acd.ring_no_answer(call_id, op_id, self.now, AUTO_PAUSE_AFTER)
        assert self.run(result) == "waiting"
        self.model.ring_no_answer(call_id, self.now)
        self.dispatch()

    @rule(op_id=st.sampled_from(OPERATORS), queues=queue_sets, op_levels=levels)
    def login(self, op_id: str, queues: list[str], op_levels: dict[str, int]) -> None:
        self.step()
        self.login_one(op_id, tuple(queues), op_levels)
        self.dispatch()

    @precondition(lambda self: self.model.operators)
    @rule(data=st.data())
    def logout(self, data: st.DataObject) -> None:
        self.step()
        op_id = data.draw(st.sampled_from(sorted(self.model.operators)), "operator")
        assert self.run(self.acd.operator_logout(op_id)) == self.model.logout(op_id)
        self.dispatch()

    @precondition(lambda self: self.model.operators)
    @rule(data=st.data(), reason=st.sampled_from(REASONS))
    def pause(self, data: st.DataObject, reason: str) -> None:
        self.step()
        op_id = data.draw(st.sampled_from(sorted(self.model.operators)), "operator")
        expected = self.model.pause(op_id, reason, self.now)
        if expected is None:
            with pytest.raises(AcdConflictError):
                self.run(self.acd.operator_pause(op_id, reason, self.now, REASONS))
        else:
            assert self.run(self.acd.operator_pause(op_id, reason, self.now, REASONS)) == expected
        self.dispatch()

    @precondition(lambda self: self.model.operators)
    @rule(data=st.data())
    def ready(self, data: st.DataObject) -> None:
        self.step()
        op_id = data.draw(st.sampled_from(sorted(self.model.operators)), "operator")
        assert self.run(self.acd.operator_ready(op_id, self.now)) == self.model.ready(
            op_id, self.now
        )
        self.dispatch()

    @rule(seconds=st.sampled_from([5.0, 15.0, 31.0, 60.0]))
    def time_passes(self, seconds: float) -> None:
        """Wrap-ups run out and skill tiers open up as the clock advances."""
        self.step(seconds)
        self.dispatch()

    @rule(
        leaving=st.lists(st.sampled_from(OPERATORS), max_size=2, unique=True),
        coming=st.lists(st.sampled_from(OPERATORS), max_size=3, unique=True),
        queues=queue_sets,
    )
    def shift_change(self, leaving: list[str], coming: list[str], queues: list[str]) -> None:
        self.step()
        for op_id in leaving:
            if op_id in self.model.operators:
                assert self.run(self.acd.operator_logout(op_id)) == self.model.logout(op_id)
        for op_id in coming:
            self.login_one(op_id, tuple(queues), {})
        self.dispatch()

    def login_one(self, op_id: str, queues: tuple[str, ...], op_levels: dict[str, int]) -> None:
        got = self.run(self.acd.operator_login(op_id, queues, self.now, op_levels))
        assert got == self.model.login(op_id, queues, op_levels, self.now)

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def invariants_hold(self) -> None:
        # One invariant (calling the checks) keeps the printed step list short, and one
        # pipelined snapshot of Redis keeps the steps fast.
        snap = self.snapshot()
        self.calls_agree_with_redis(snap)
        self.operators_agree_with_redis(snap)
        self.one_call_per_operator_and_one_operator_per_call(snap)
        self.nobody_eligible_idles_while_a_call_waits()
        self.every_arrival_is_accounted_for(snap)

    def snapshot(self) -> dict[str, Any]:
        """Every key the checks read, at one instant: waiting ZSETs as lists of ids in
        order, operator ZSETs as {id: score}, hashes as dicts."""
        keys = self.keys
        ordered = [keys.waiting, *(keys.queue_waiting(q) for q in QUEUES)]
        scored = [keys.available, keys.wrap_up, *(keys.queue_available(q) for q in QUEUES)]
        hashes = [keys.call(c) for c in self.model.calls]
        hashes += [keys.operator(o) for o in self.model.operators]
        with self.inspect.pipeline(transaction=True) as pipe:
            for key in ordered:
                pipe.zrange(key, 0, -1)
            for key in scored:
                pipe.zrange(key, 0, -1, withscores=True)
            for key in hashes:
                pipe.hgetall(key)
            replies = iter(pipe.execute())
        snap: dict[str, Any] = {key: next(replies) for key in ordered}
        snap |= {key: dict(next(replies)) for key in scored}
        snap |= {key: next(replies) for key in hashes}
        return snap

    def calls_agree_with_redis(self, snap: dict[str, Any]) -> None:
        keys, model = self.keys, self.model
        by_place = sorted(
            (c for c in model.calls.values() if c.state == "waiting"),
            key=lambda c: (c.score, c.call_id),
        )
        assert snap[keys.waiting] == [c.call_id for c in by_place]
        for queue_id in QUEUES:
            expected = [c.call_id for c in by_place if c.queue_id == queue_id]
            assert snap[keys.queue_waiting(queue_id)] == expected, queue_id
        for call in model.calls.values():
            stored = snap[keys.call(call.call_id)]
            assert stored["state"] == call.state, call
            if call.state in ("offered", "talking"):
                assert stored["operator_id"] == call.operator_id, call

    def operators_agree_with_redis(self, snap: dict[str, Any]) -> None:
        keys, model = self.keys, self.model
        ops = model.operators.values()
        available = {o.op_id: o.idle_since for o in ops if o.state == "available"}
        assert snap[keys.available] == available
        for queue_id in QUEUES:
            serving = {
                op_id: idle
                for op_id, idle in available.items()
                if queue_id in model.operators[op_id].queues
            }
            assert snap[keys.queue_available(queue_id)] == serving, queue_id
        wrapping = {o.op_id: o.wrap_up_until for o in ops if o.state == "wrap_up"}
        assert snap[keys.wrap_up] == wrapping
        for op in ops:
            stored = snap[keys.operator(op.op_id)]
            got = (stored["state"], int(stored["calls_taken"]), int(stored["misses_in_row"]))
            assert got == (op.state, op.calls_taken, op.misses_in_row), op
            if op.state in ("ringing", "on_call"):
                assert stored["call_id"] == op.call_id, op
            if op.state == "paused":
                assert stored["pause_reason"] == op.pause_reason, op

    def one_call_per_operator_and_one_operator_per_call(self, snap: dict[str, Any]) -> None:
        """Checked on Redis' own data, not through the model."""
        held: dict[str, str] = {}
        for op_id in self.model.operators:
            stored = snap[self.keys.operator(op_id)]
            if stored["state"] in ("ringing", "on_call"):
                assert stored["call_id"] not in held.values(), (op_id, stored)
                held[op_id] = stored["call_id"]
        owners: dict[str, str] = {}
        for call_id in self.model.calls:
            stored = snap[self.keys.call(call_id)]
            if stored["state"] in ("offered", "talking"):
                assert stored["operator_id"] not in owners.values(), (call_id, stored)
                owners[call_id] = stored["operator_id"]
                assert held.get(stored["operator_id"]) == call_id, (call_id, held)

    def nobody_eligible_idles_while_a_call_waits(self) -> None:
        model = self.model
        for call in model.calls.values():
            if call.state == "waiting":
                idle = [o for o in model.operators.values() if model.eligible(o, call, self.now)]
                assert not idle, (call, idle)

    def every_arrival_is_accounted_for(self, snap: dict[str, Any]) -> None:
        states = [snap[self.keys.call(c)]["state"] for c in self.model.calls]
        ends = ("done", "talking", "cancelled", "waiting", "offered", "callback_failed")
        counted = {s: states.count(s) for s in ends}
        assert sum(counted.values()) == len(states)
        assert self.arrived == sum(counted.values()) + self.model.refused


@pytest.mark.parametrize(
    ("strategy", "examples"),
    [("longest_idle", 200), ("fewest_calls", 50), ("round_robin", 50), ("random", 30)],
)
def test_the_acd_behaves_like_its_model(redis_url: str, strategy: str, examples: int) -> None:
    attrs = {"redis_url": redis_url, "strategy": strategy}
    machine = type(f"AcdMachine_{strategy}", (AcdMachine,), attrs)
    run_state_machine_as_test(  # type: ignore[no-untyped-call]
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=50,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
