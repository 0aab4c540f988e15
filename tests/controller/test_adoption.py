"""Adopting calls an earlier controller left, and dropping AMI events that come twice: the
pure parts, then the dispatcher's event path with fakes (no sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from hotline.ami.protocol import AmiMessage
from hotline.controller.adoption import RecentEvents, adopted_call
from hotline.controller.dispatcher import Dispatcher
from hotline.controller.tracker import CallTracker, TrackedCall
from hotline.queue.inventory import StoredCall
from hotline.records import CallRecord, Outcome

from .conftest import hotline_400_100
from .fakes import FakeClock

# A call hash as the Lua scripts leave it for a call offered to op01 (enqueue, then assign).
OFFERED = {
    "call_id": "c1",
    "queue_id": "social-payments-kk",
    "score": "9900017953160405",
    "arrived_at_s": "1795316040.5",
    "channel": "PJSIP/trunk-00000001",
    "uniqueid": "1795316039.2",
    "language": "kk",
    "topic": "social-payments",
    "priority": "0",
    "state": "offered",
    "operator_id": "op01",
    "misses": "0",
    "offered_at_s": "1795316070.25",
}


def test_a_call_hash_becomes_a_stored_call() -> None:
    stored = StoredCall.from_hash(OFFERED)
    assert stored == StoredCall(
        call_id="c1",
        state="offered",
        queue_id="social-payments-kk",
        channel="PJSIP/trunk-00000001",
        uniqueid="1795316039.2",
        language="kk",
        topic="social-payments",
        arrived_at_s=1795316040.5,
        operator_id="op01",
        offered_at_s=1795316070.25,
        priority=0,
    )
    assert stored.in_progress
    waiting = StoredCall.from_hash({**OFFERED, "state": "waiting", "operator_id": ""})
    assert waiting is not None
    assert waiting.operator_id is None
    done = StoredCall.from_hash({**OFFERED, "state": "done", "ended_at_s": "1795316100"})
    assert done is not None
    assert not done.in_progress


def test_a_broken_call_hash_is_no_call() -> None:
    assert StoredCall.from_hash({}) is None
    assert StoredCall.from_hash({**OFFERED, "arrived_at_s": "soon"}) is None
    assert StoredCall.from_hash({k: v for k, v in OFFERED.items() if k != "uniqueid"}) is None


def test_an_adopted_call_keeps_what_redis_and_the_channel_know() -> None:
    stored = StoredCall.from_hash({**OFFERED, "state": "talking", "answered_at_s": "1795316075.0"})
    assert stored is not None
    call = adopted_call("400-100", stored, "+77010000001")
    assert call == TrackedCall(
        call_id="c1",
        hotline_id="400-100",
        uniqueid="1795316039.2",
        channel="PJSIP/trunk-00000001",
        caller="+77010000001",
        arrived_at=1795316040.5,
        language="kk",
        topic="social-payments",
        queue_id="social-payments-kk",
        enqueued_at=1795316040.5,
        priority=0,
        operator_id="op01",
        answered_at=1795316075.0,
    )
    assert adopted_call("400-100", stored, "<unknown>").caller == ""


async def test_the_tracker_adopts_a_call_once_and_writes_its_record() -> None:
    clock = FakeClock(1_795_316_100.0)
    records: list[CallRecord] = []
    new_calls: list[TrackedCall] = []

    async def sink(record: CallRecord) -> None:
        records.append(record)

    tracker = CallTracker(clock, sink, new_calls.append)
    stored = StoredCall.from_hash({**OFFERED, "state": "waiting", "operator_id": ""})
    assert stored is not None
    call = tracker.adopt(adopted_call("400-100", stored, "+77010000001"))
    again = tracker.adopt(adopted_call("400-100", stored, ""))
    assert again is call
    assert tracker.by_uniqueid("1795316039.2") is call
    assert tracker.by_call_id("c1") is call
    assert new_calls == []  # counted as offered by the controller that took the call

    assert await tracker.finish(call, Outcome.ABANDONED, ended_at=1_795_316_090.5)
    await asyncio.wait_for(tracker.wait_idle(), 1)
    (record,) = records
    assert (record.call_id, record.outcome, record.caller) == ("c1", "abandoned", "+77010000001")
    assert record.ended_at.timestamp() == 1_795_316_090.5
    assert record.wait_s == 50.0


def test_recent_events_tell_a_repeat_from_a_new_event() -> None:
    recent = RecentEvents(size=2)

    def dial_end(dest: str, status: str = "NOANSWER") -> AmiMessage:
        return AmiMessage(
            (
                ("Event", "DialEnd"),
                ("Uniqueid", "1795316039.2"),
                ("DestUniqueid", dest),
                ("DialStatus", status),
            )
        )

    hangup = AmiMessage((("Event", "Hangup"), ("Uniqueid", "1795316039.2"), ("Cause", "16")))
    assert not recent.repeated(dial_end("1795316039.3"))
    assert recent.repeated(dial_end("1795316039.3"))
    assert not recent.repeated(dial_end("1795316039.5"))  # the next Dial rings a new channel
    assert not recent.repeated(hangup)
    # Bounded: the oldest key is forgotten once `size` newer ones came.
    assert not recent.repeated(dial_end("1795316039.3"))
    assert recent.repeated(hangup)


class RecordingAcd:
    """The ACD calls the dispatcher makes, in order; nothing to assign."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.changed = asyncio.Event()

    async def assign(self, at: float, **options: Any) -> None:
        return None

    async def ring_no_answer(self, call_id: str, op_id: str, at: float, **options: Any) -> str:
        self.calls.append(("ring_no_answer", call_id, op_id))
        self.changed.set()
        return "waiting"

    async def cancel(self, call_id: str, at: float) -> str:
        self.calls.append(("cancel", call_id))
        return "waiting"

    async def operator_states(self) -> dict[str, str]:
        return {}

    async def call(self, call_id: str) -> dict[str, str] | None:
        return None


class EventAmi:
    """Hands the dispatcher's event callbacks to the test; lists the test's channel."""

    disconnected_at: float | None = None

    def __init__(self, uniqueid: str) -> None:
        self.callbacks: dict[str, Callable[[AmiMessage], Any]] = {}
        self._uniqueid = uniqueid

    def on_event(self, name: str, callback: Callable[[AmiMessage], Any]) -> None:
        self.callbacks[name.lower()] = callback

    def on_reconnect(self, callback: Callable[[], Any]) -> None:
        pass

    async def core_show_channels(self) -> list[AmiMessage]:
        return [AmiMessage((("Event", "CoreShowChannel"), ("Uniqueid", self._uniqueid)))]

    def emit(self, *headers: tuple[str, str]) -> None:
        self.callbacks[headers[0][1].lower()](AmiMessage(headers))


async def test_a_repeated_dial_end_does_not_touch_the_next_offer() -> None:
    """A late copy of op01's no-answer must not send the caller back to the queue while
    op02's phone rings for them."""
    clock = FakeClock(1_795_316_100.0)
    hotline = hotline_400_100()
    acd = RecordingAcd()
    ami = EventAmi("1795316039.2")
    written: asyncio.Queue[CallRecord] = asyncio.Queue()

    async def sink(record: CallRecord) -> None:
        written.put_nowait(record)

    tracker = CallTracker(clock, sink)
    dispatcher = Dispatcher({hotline.id: hotline}, {hotline.id: acd}, ami, tracker, clock)  # type: ignore[dict-item, arg-type]
    dispatcher.start()
    try:
        await asyncio.wait_for(dispatcher.wait_in_sync(), 1)
        call = tracker.start(hotline.id, "1795316039.2", "PJSIP/trunk-00000001", "+7701")
        call.enqueued_at = clock.now()
        call.operator_id = "op01"
        no_answer = (
            ("Event", "DialEnd"),
            ("Uniqueid", "1795316039.2"),
            ("DestUniqueid", "1795316039.3"),
            ("DialStatus", "NOANSWER"),
        )
        ami.emit(*no_answer)
        await asyncio.wait_for(acd.changed.wait(), 1)  # handled: the call waits again
        assert call.operator_id is None
        call.operator_id = "op02"  # offered again, op02 rings
        ami.emit(*no_answer)  # the same event once more
        ami.emit(("Event", "Hangup"), ("Uniqueid", "1795316039.2"), ("Cause", "16"))
        record = await asyncio.wait_for(written.get(), 1)
    finally:
        await dispatcher.stop()

    assert record.outcome == Outcome.ABANDONED
    assert acd.calls == [
        ("ring_no_answer", call.call_id, "op01"),
        ("cancel", call.call_id),
        ("ring_no_answer", call.call_id, "op02"),  # op02 freed by the hang-up, not before
    ]
