"""Call-backs placed through the whole controller: a 1414 caller asks to be called back (5,
then 1), the ACD holds the request at the caller's place, and the dispatcher rings a free
operator (AMI Originate into [hotline-callback]), then the caller's number from the
operator's channel. Every attempt lands in `callback_attempts`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hotline.ami.protocol import AmiMessage
from hotline.config import HotlineConfig, find_hotline, load_hotline
from hotline.config.callbacks import CallbacksConfig
from hotline.queue import Assignment
from hotline.queue.callbacks import callback_entry_id
from hotline.records import AttemptResult, CallbackAttempt, Outcome
from hotline.sim import SimCaller, SimOperator
from hotline.sim import ami_wire as wire

from .conftest import AT_10, Rig, RigFactory, talks

# 2 Russian, 5 a call-back instead of waiting, 1 yes: queue egov-portal-ru.
RU_CALLBACK = ["2", "5", "1"]
# 2 Russian, 1 eGov portal: the same queue, waiting on the line.
RU_EGOV = ["2", "1"]
OP01_DIAL = "PJSIP/op1414-01"  # a desk phone of the early shift (no press-1 confirmation)
PATIENT = 600.0


def hotline_1414(**callbacks: Any) -> HotlineConfig:
    """1414 with no wrap-up (quicker tests) and the given `callbacks:` settings."""
    config = load_hotline(find_hotline("1414"))
    routing = config.routing.model_copy(update={"wrap_up_s": 0})
    return config.model_copy(update={"routing": routing, "callbacks": CallbacksConfig(**callbacks)})


def number_dial(number: str) -> str:
    return f"PJSIP/{number}@trunk"  # the default `callbacks.dial`


def durations(*seconds: float) -> Callable[[], float]:
    """A talk time per call, in turn (the last one repeats)."""
    values: Iterator[float] = iter(seconds)
    last = [seconds[-1]]

    def next_talk() -> float:
        last[0] = next(values, last[0])
        return last[0]

    return next_talk


async def callback_rig(make_rig: RigFactory, **callbacks: Any) -> Rig:
    return await make_rig(
        hotline=hotline_1414(**callbacks),
        start=AT_10.timestamp(),
        present={"op01"},
        # The operator stays on until the called-back caller hangs up.
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talks(120.0))},
    )


async def ask_for_callback(rig: Rig, answer: SimOperator) -> tuple[str, str]:
    """A caller asks for a call-back; (their number, the request's call id) once the call
    has ended. `answer`: how the caller's phone behaves when called back."""
    number = f"+770100000{rig._callers + 1:02d}"
    rig.pbx.add_operator(number_dial(number), answer)
    call = await rig.call(SimCaller(digits=RU_CALLBACK, think_s=0.5, patience_s=PATIENT))
    await rig.within(call.ended)
    record = next(r for r in await rig.records() if r.uniqueid == call.uniqueid)
    assert record.outcome == Outcome.CALLBACK
    assert record.caller == number
    return number, record.call_id


async def attempts_until(
    rig: Rig, done: Callable[[list[CallbackAttempt]], bool], within_s: float = 600.0
) -> list[CallbackAttempt]:
    """The recorded attempts once `done` holds for them (looked at every clock second)."""

    async def poll() -> list[CallbackAttempt]:
        while True:
            attempts = rig.controller.store.fetch_attempts()
            if done(attempts):
                return attempts
            await rig.clock.sleep(1.0)

    return await rig.within(poll(), within_s)


def operator_channel_of(rig: Rig, call_id: str, attempt: int) -> dict[str, str]:
    """The Newchannel of an attempt's operator leg (Uniqueid = the Originate's ChannelId)."""
    uniqueid = f"{callback_entry_id(call_id)}-{attempt}"
    [event] = rig.events.matching("Newchannel", Uniqueid=uniqueid)
    return event


def index_of(rig: Rig, name: str, **fields: str) -> int:
    return next(
        i
        for i, e in enumerate(rig.events.events)
        if e.get("Event") == name and all(e.get(k) == v for k, v in fields.items())
    )


async def test_a_callback_rings_the_operator_then_the_caller_and_is_recorded(
    make_rig: RigFactory,
) -> None:
    rig = await callback_rig(make_rig)
    number, call_id = await ask_for_callback(rig, SimOperator(ring_s=2.0, talk_s=talks(15.0)))

    [attempt] = await attempts_until(rig, lambda a: len(a) == 1)

    assert (attempt.call_id, attempt.attempt, attempt.operator_id) == (call_id, 1, "op01")
    assert (attempt.number, attempt.result) == (number, AttemptResult.ANSWERED)
    assert attempt.entry_state == "done"
    assert 14.0 <= attempt.talk_s <= 16.5
    # The operator's phone rang first (the Originate), the caller's only from its channel.
    operator_leg = operator_channel_of(rig, call_id, 1)
    assert operator_leg["Channel"].startswith(OP01_DIAL)
    to_caller = index_of(rig, "DialBegin", Channel=operator_leg["Channel"])
    assert index_of(rig, "Newchannel", Uniqueid=operator_leg["Uniqueid"]) < to_caller
    [dial_begin] = rig.events.matching("DialBegin", Channel=operator_leg["Channel"])
    assert dial_begin["DialString"] == f"{number}@trunk"
    dial_end = rig.events.matching("DialEnd", Channel=operator_leg["Channel"])
    assert [(e["DestChannel"], e["DialStatus"]) for e in dial_end] == [
        (dial_begin["DestChannel"], "ANSWER")
    ]
    # The operator heard who is called back before the caller's phone rang.
    played = [
        e["Value"]
        for e in rig.events.matching("VarSet", Channel=operator_leg["Channel"])
        if e.get("Variable") == "HOTLINE_CALLBACK_DIAL"
    ]
    assert played == [number_dial(number)]
    assert rig.events.matching("BridgeEnter", Channel=operator_leg["Channel"])
    # Over in the ACD; the operator is free again (no wrap-up in this configuration).
    entry = await rig.acd.call(callback_entry_id(call_id)) or {}
    assert entry["state"] == "done"
    assert (await rig.acd.operator("op01") or {})["state"] == "available"
    # The asking call's record is unchanged: one record, outcome callback.
    records = await rig.records()
    assert [r.outcome for r in records] == [Outcome.CALLBACK]


async def test_a_callback_keeps_the_place_of_its_call_before_a_later_live_caller(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(
        hotline=hotline_1414(),
        start=AT_10.timestamp(),
        present={"op01"},
        # First a live call of 60 s, then the call-back, then the waiting caller.
        operators={"op01": SimOperator(ring_s=1.0, talk_s=durations(60.0, 120.0))},
    )
    first = await rig.call(SimCaller(digits=RU_EGOV, think_s=0.5, patience_s=PATIENT))
    await rig.events.first(
        lambda e: e.get("Event") == "DialEnd"
        and e.get("Channel") == first.channel
        and e.get("DialStatus") == "ANSWER",
        rig.clock,
        120.0,
    )
    # Now op01 is busy: the call-back request waits from t=0 ...
    number = f"+770100000{rig._callers + 1:02d}"
    rig.pbx.add_operator(number_dial(number), SimOperator(ring_s=2.0, talk_s=talks(10.0)))
    asking = await rig.call(SimCaller(digits=RU_CALLBACK, think_s=0.5, patience_s=PATIENT))
    # ... and a live caller of the same queue arrives at t=10 and waits.
    await rig.clock.sleep(10.0)
    later = await rig.call(SimCaller(digits=RU_EGOV, think_s=0.5, patience_s=PATIENT))
    await rig.within(later.ended)
    await rig.settle()

    [attempt] = rig.controller.store.fetch_attempts()
    assert attempt.result == AttemptResult.ANSWERED
    asking_record = next(r for r in await rig.records() if r.uniqueid == asking.uniqueid)
    assert attempt.call_id == asking_record.call_id
    # When op01 came free, the call-back went first; the live caller only after it.
    originated = index_of(rig, "Newchannel", Uniqueid=f"cb-{attempt.call_id}-1")
    later_dialled = index_of(rig, "DialBegin", Channel=later.channel)
    assert originated < later_dialled
    assert index_of(rig, "Hangup", Uniqueid=f"cb-{attempt.call_id}-1") < later_dialled
    later_record = next(r for r in await rig.records() if r.uniqueid == later.uniqueid)
    assert later_record.outcome == Outcome.ANSWERED
    assert later_record.answered_at is not None
    assert attempt.ended_at <= later_record.answered_at


def max_in_flight(rig: Rig) -> int:
    """The most operator legs of call-backs up at once, from the PBX's events."""
    up, most = 0, 0
    for event in rig.events.events:
        if not event.get("Uniqueid", "").startswith("cb-"):
            continue
        if event.get("Event") == "Newchannel":
            up += 1
        elif event.get("Event") == "Hangup":
            up -= 1
        most = max(most, up)
    return most


async def test_one_free_operator_takes_three_callbacks_one_at_a_time(
    make_rig: RigFactory,
) -> None:
    rig = await callback_rig(make_rig)
    asked = [
        await ask_for_callback(rig, SimOperator(ring_s=1.0, talk_s=talks(8.0))) for _ in range(3)
    ]

    attempts = await attempts_until(rig, lambda a: len(a) == 3)

    assert all(a.result == AttemptResult.ANSWERED for a in attempts)
    assert sorted(a.call_id for a in attempts) == sorted(call_id for _, call_id in asked)
    # The operator is reserved by each assignment: never two originations at once.
    assert max_in_flight(rig) == 1
    assert rig.controller.dispatcher.callbacks.originates == 3
    # Served in the order they asked (their original arrival).
    assert [a.call_id for a in attempts] == [call_id for _, call_id in asked]


async def test_duplicate_events_and_a_repeated_assignment_never_ring_a_number_twice(
    make_rig: RigFactory,
) -> None:
    rig = await callback_rig(make_rig)
    dialer = rig.controller.dispatcher.callbacks
    number, call_id = await ask_for_callback(rig, SimOperator(ring_s=2.0, talk_s=talks(20.0)))
    entry_id = callback_entry_id(call_id)
    # The caller's phone rings: the attempt is in flight.
    await rig.events.first(
        lambda e: e.get("Event") == "DialBegin" and e.get("DialString") == f"{number}@trunk",
        rig.clock,
        120.0,
    )
    # A repeated assignment of the same entry is not placed again.
    repeat = Assignment(entry_id, "op01", "egov-portal-ru", "", "", 0.0, "callback", number)
    assert await dialer.place(rig.hotline.id, repeat) is False
    # An Originate of the same attempt sent again (as after a lost answer): its ChannelId
    # is in use, so no second channel rings.
    again = await rig.controller.ami.originate(
        OP01_DIAL, "hotline-callback", "s", 1, channel_id=f"{entry_id}-1", timeout_ms=5000
    )
    assert (again.success, again.reason) == (False, "0")
    # The operator's DialEnd ANSWER and the Hangup, each delivered twice.
    answered = await rig.events.first(
        lambda e: e.get("Event") == "DialEnd"
        and e.get("Uniqueid") == f"{entry_id}-1"
        and e.get("DialStatus") == "ANSWER",
        rig.clock,
        120.0,
    )
    await dialer.follow(_ami(answered))
    resend(rig, answered)  # and once more over AMI, through the dispatcher
    [attempt] = await attempts_until(rig, lambda a: len(a) == 1)
    hangup = rig.events.matching("Hangup", Uniqueid=f"{entry_id}-1")[0]
    await dialer.follow(_ami(hangup))
    await dialer.follow(_ami(answered))
    resend(rig, hangup)
    # A dispatch round with the entry over finds nothing to place.
    rig.controller.dispatcher.wake()
    await rig.clock.sleep(10.0)

    assert attempt.result == AttemptResult.ANSWERED
    assert len(rig.controller.store.fetch_attempts()) == 1
    calls_to_number = rig.events.matching("DialBegin", DialString=f"{number}@trunk")
    assert len(calls_to_number) == 1
    assert dialer.originates == 1
    assert len(rig.events.matching("Newchannel", Uniqueid=f"{entry_id}-1")) == 1


def _ami(event: dict[str, str]) -> AmiMessage:
    return AmiMessage(list(event.items()))


def resend(rig: Rig, event: dict[str, str]) -> None:
    """Deliver a PBX event to the AMI clients once more (a duplicate on the wire)."""
    rig.ami_server.broadcast(wire.EVENT_FLAGS["call"], wire.encode(list(event.items())))


async def test_a_busy_caller_is_called_again_after_the_retry_time(make_rig: RigFactory) -> None:
    rig = await callback_rig(make_rig, retry_after_s=20, max_attempts=2)
    number, call_id = await ask_for_callback(
        rig, SimOperator(ring_s=1.0, talk_s=talks(8.0), busy=True)
    )
    busy = await rig.events.first(
        lambda e: e.get("Event") == "DialEnd" and e.get("DialStatus") == "BUSY",
        rig.clock,
        120.0,
    )
    # The line is free by the next attempt.
    rig.pbx.add_operator(number_dial(number), SimOperator(ring_s=1.0, talk_s=talks(8.0)))

    first, second = await attempts_until(rig, lambda a: len(a) == 2)

    assert (first.attempt, first.result, first.entry_state) == (
        1,
        AttemptResult.CALLER_BUSY,
        "waiting",
    )
    assert (second.attempt, second.result, second.entry_state) == (
        2,
        AttemptResult.ANSWERED,
        "done",
    )
    assert busy["Uniqueid"] == f"{callback_entry_id(call_id)}-1"
    # Not offered again before retry_after_s.
    assert (second.started_at - first.ended_at).total_seconds() >= 20.0
    # The busy leg hung up with cause 17 (User busy), as Asterisk reports it.
    [busy_leg] = rig.events.matching("Hangup", Channel=busy["DestChannel"])
    assert busy_leg["Cause"] == "17"


async def test_a_caller_who_never_answers_ends_callback_failed(make_rig: RigFactory) -> None:
    rig = await callback_rig(make_rig, retry_after_s=5, max_attempts=2)
    _, call_id = await ask_for_callback(rig, SimOperator(ring_s=None, talk_s=talks(8.0)))

    attempts = await attempts_until(rig, lambda a: len(a) == 2)

    assert [(a.attempt, a.result, a.entry_state) for a in attempts] == [
        (1, AttemptResult.CALLER_NO_ANSWER, "waiting"),
        (2, AttemptResult.CALLER_NO_ANSWER, "callback_failed"),
    ]
    entry = await rig.acd.call(callback_entry_id(call_id)) or {}
    assert entry["state"] == "callback_failed"
    # The operator was freed after each attempt, without a miss.
    op = await rig.acd.operator("op01") or {}
    assert (op["state"], op.get("misses", "0")) == ("available", "0")
    await rig.clock.sleep(30.0)
    assert len(rig.controller.store.fetch_attempts()) == 2


async def test_an_operator_who_does_not_answer_keeps_the_callback_waiting(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(
        hotline=hotline_1414(),
        start=AT_10.timestamp(),
        present={"op01"},
        operators={"op01": SimOperator(ring_s=None, talk_s=talks(10.0))},
    )
    number, call_id = await ask_for_callback(rig, SimOperator(ring_s=1.0, talk_s=talks(8.0)))

    first = (await attempts_until(rig, lambda a: len(a) >= 1))[0]

    assert (first.result, first.entry_state) == (AttemptResult.OPERATOR_NO_ANSWER, "waiting")
    # The caller's number was never dialled.
    assert not rig.events.matching("DialBegin", DialString=f"{number}@trunk")
    entry = await rig.acd.call(callback_entry_id(call_id)) or {}
    assert int(entry["misses"]) >= 1


@pytest.mark.parametrize("ends", ["during the restart", "after the restart"])
async def test_a_callback_talking_across_a_restart_is_completed_once(
    make_rig: RigFactory, ends: str
) -> None:
    rig = await callback_rig(make_rig)
    talk_s = 5.0 if ends == "during the restart" else 40.0
    _, call_id = await ask_for_callback(rig, SimOperator(ring_s=1.0, talk_s=talks(talk_s)))
    channel_id = f"{callback_entry_id(call_id)}-1"
    await rig.events.first(
        lambda e: e.get("Event") == "DialEnd"
        and e.get("Uniqueid") == channel_id
        and e.get("DialStatus") == "ANSWER",
        rig.clock,
        120.0,
    )

    await rig.controller.stop()
    if ends == "during the restart":
        await rig.events.first(
            lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") == channel_id,
            rig.clock,
            120.0,
        )
    await rig.restart_controller()
    [attempt] = await attempts_until(rig, lambda a: len(a) == 1)

    assert (attempt.call_id, attempt.attempt) == (call_id, 1)
    assert (attempt.result, attempt.entry_state) == (AttemptResult.ANSWERED, "done")
    assert attempt.talk_s > 0.0
    assert (await rig.acd.operator("op01") or {})["state"] == "available"
    # The new controller placed nothing: the request was over.
    assert rig.controller.dispatcher.callbacks.originates == 0
    assert len(rig.events.matching("Newchannel", Uniqueid=channel_id)) == 1


@pytest.mark.parametrize("presses", ["1", ""], ids=["takes it", "voicemail"])
async def test_a_remote_operator_presses_1_before_the_caller_is_called_back(
    make_rig: RigFactory, presses: str
) -> None:
    # op04 answers on a mobile through the trunk: a call-back needs their 1 first.
    rig = await make_rig(
        hotline=hotline_1414(),
        start=AT_10.timestamp(),
        present={"op04"},
        operators={"op04": SimOperator(ring_s=1.0, talk_s=talks(120.0), confirm_digits=presses)},
    )
    _number, call_id = await ask_for_callback(rig, SimOperator(ring_s=1.0, talk_s=talks(10.0)))
    [attempt, *_] = await attempts_until(rig, lambda found: len(found) >= 1)

    operator_leg = operator_channel_of(rig, call_id, 1)
    heard = [
        e["Command"] for e in rig.events.matching("AGIExecStart", Channel=operator_leg["Channel"])
    ]
    assert any("operator-press-1" in command for command in heard)
    # The caller is dialled from the operator's channel (through the trunk).
    dialled_caller = rig.events.matching("DialBegin", Channel=operator_leg["Channel"])
    if presses == "1":
        assert attempt.result == AttemptResult.ANSWERED
        assert len(dialled_caller) == 1
    else:
        # The voicemail took the operator's leg: the caller is never rung, the operator
        # misses, and the request keeps its place for the next attempt.
        assert attempt.result == AttemptResult.OPERATOR_NO_ANSWER
        assert dialled_caller == []
        op04 = await rig.acd.operator("op04") or {}
        assert int(op04.get("misses", "0")) >= 1


async def test_a_second_live_controller_leaves_a_call_back_in_progress_to_its_owner(
    make_rig: RigFactory,
) -> None:
    rig = await callback_rig(make_rig)
    _number, call_id = await ask_for_callback(rig, SimOperator(ring_s=2.0, talk_s=talks(30.0)))
    # The call-back is under way (the operator's channel exists) when B starts.
    await rig.events.first(
        lambda e: e.get("Event") == "Newchannel"
        and e.get("Uniqueid") == f"{callback_entry_id(call_id)}-1",
        rig.clock,
        120.0,
    )
    second = await rig.add_controller(present=set())
    await rig.within(second.dispatcher.wait_in_sync())

    # B's startup resync found the call-back placed by A, which is alive: it is A's.
    assert second.dispatcher.callbacks.in_flight() == 0
    assert rig.controller.dispatcher.callbacks.in_flight() == 1
    [attempt] = await attempts_until(rig, lambda found: len(found) == 1)
    assert attempt.result == AttemptResult.ANSWERED
    stored = await rig.acd.call(callback_entry_id(call_id)) or {}
    assert stored.get("owner") == rig.controller.id


async def test_a_dead_controller_s_call_back_in_progress_is_taken_over(
    make_rig: RigFactory,
) -> None:
    rig = await callback_rig(make_rig)
    _number, call_id = await ask_for_callback(rig, SimOperator(ring_s=2.0, talk_s=talks(60.0)))
    entry_uniqueid = f"{callback_entry_id(call_id)}-1"
    await rig.events.first(
        lambda e: e.get("Event") == "Newchannel" and e.get("Uniqueid") == entry_uniqueid,
        rig.clock,
        120.0,
    )
    second = await rig.add_controller(present=set())
    await rig.within(second.dispatcher.wait_in_sync())
    assert second.dispatcher.callbacks.in_flight() == 0  # A is alive: A's

    # A dies as SIGKILL leaves it: no clean stop, its lease left to expire.
    first = rig.controller
    await first.lease.stop()
    for keeper in first.shift_keepers:
        await keeper.stop()
    await first.dispatcher.stop()
    await first.agi.close()
    await first.ami.close()

    # B's periodic take-over finds the call-back nobody alive follows, and ends it when the
    # talk ends: one attempt, answered, and op01 free again (not stuck on a call).
    [attempt] = await attempts_until(rig, lambda found: len(found) == 1)
    assert attempt.result == AttemptResult.ANSWERED
    stored = await rig.acd.call(callback_entry_id(call_id)) or {}
    assert stored.get("owner") == second.id
    op01 = await rig.acd.operator("op01") or {}
    assert op01.get("state") != "on_call"
