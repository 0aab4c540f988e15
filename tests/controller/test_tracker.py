"""CallTracker on its own: no sockets, a hand-driven clock, a list as the record sink."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from hotline.controller.tracker import CallTracker
from hotline.records import CallRecord, Outcome

from .fakes import FakeClock

T0 = datetime(2026, 3, 2, 5, 0, tzinfo=UTC).timestamp()


class Sink:
    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    async def __call__(self, record: CallRecord) -> None:
        self.records.append(record)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def tracker(clock: FakeClock, sink: Sink) -> CallTracker:
    return CallTracker(clock, sink)


async def test_finishing_a_call_twice_writes_one_record(
    tracker: CallTracker, sink: Sink, clock: FakeClock
) -> None:
    call = tracker.start("400-100", "1700.1", "PJSIP/trunk-00000001", "+77010000001")
    clock.advance(3)
    assert await tracker.finish(call, Outcome.ABANDONED) is True
    clock.advance(3)
    assert await tracker.finish(call, Outcome.ANSWERED) is False
    assert [r.outcome for r in sink.records] == [Outcome.ABANDONED]
    assert sink.records[0].ended_at == datetime.fromtimestamp(T0 + 3, UTC)
    assert tracker.by_call_id(call.call_id) is None
    assert tracker.by_uniqueid("1700.1") is None
    assert len(tracker) == 0


async def test_a_repeated_uniqueid_is_the_same_call(tracker: CallTracker) -> None:
    first = tracker.start("400-100", "1700.1", "PJSIP/trunk-00000001", "+77010000001")
    again = tracker.start("400-100", "1700.1", "PJSIP/trunk-00000001", "+77010000001")
    other = tracker.start("400-100", "1700.2", "PJSIP/trunk-00000002", "+77010000002")
    assert again is first
    assert other.call_id != first.call_id
    assert len(tracker) == 2
    assert {c.call_id for c in tracker.calls()} == {first.call_id, other.call_id}


async def test_wait_and_talk_come_from_the_enqueue_answer_and_end_times(
    tracker: CallTracker, sink: Sink, clock: FakeClock
) -> None:
    call = tracker.start("400-100", "1700.1", "PJSIP/trunk-00000001", "+77010000001")
    clock.advance(12)  # the menu
    call.enqueued_at = clock.now()
    call.queue_id, call.language, call.topic = "social-payments-kk", "kk", "social-payments"
    clock.advance(25)  # waiting
    call.answered_at = clock.now()
    call.operator_id = "op02"
    clock.advance(70)  # talking
    await tracker.finish(call, Outcome.ANSWERED)

    (record,) = sink.records
    assert record.wait_s == pytest.approx(25)
    assert record.talk_s == pytest.approx(70)
    assert record.arrived_at == datetime.fromtimestamp(T0, UTC)
    assert record.enqueued_at == datetime.fromtimestamp(T0 + 12, UTC)
    assert record.answered_at == datetime.fromtimestamp(T0 + 37, UTC)
    assert record.ended_at == datetime.fromtimestamp(T0 + 107, UTC)
    assert (record.hotline_id, record.uniqueid, record.caller) == (
        "400-100",
        "1700.1",
        "+77010000001",
    )
    assert (record.queue_id, record.operator_id, record.language, record.topic) == (
        "social-payments-kk",
        "op02",
        "kk",
        "social-payments",
    )


async def test_an_unanswered_call_waits_until_its_end_and_never_talks(
    tracker: CallTracker, sink: Sink, clock: FakeClock
) -> None:
    waited = tracker.start("400-100", "1700.1", "PJSIP/trunk-00000001", "+77010000001")
    in_menu = tracker.start("400-100", "1700.2", "PJSIP/trunk-00000002", "+77010000002")
    clock.advance(8)
    waited.enqueued_at = clock.now()
    clock.advance(41)
    await tracker.finish(waited, Outcome.ABANDONED)
    await tracker.finish(in_menu, Outcome.ABANDONED)

    by_uniqueid = {r.uniqueid: r for r in sink.records}
    assert (by_uniqueid["1700.1"].wait_s, by_uniqueid["1700.1"].talk_s) == (41.0, 0.0)
    assert by_uniqueid["1700.1"].answered_at is None
    # Never queued: no wait at all, however long the menu took.
    assert (by_uniqueid["1700.2"].wait_s, by_uniqueid["1700.2"].talk_s) == (0.0, 0.0)
    assert by_uniqueid["1700.2"].enqueued_at is None


async def test_a_clock_that_steps_back_gives_no_negative_durations(
    tracker: CallTracker, sink: Sink, clock: FakeClock
) -> None:
    call = tracker.start("400-100", "1700.1", "PJSIP/trunk-00000001", "+77010000001")
    call.enqueued_at = clock.now()
    call.answered_at = clock.now() + 5  # stamped by another clock reading, ahead of ours
    await tracker.finish(call, Outcome.ANSWERED)
    assert sink.records[0].talk_s == 0.0
    assert sink.records[0].wait_s == 5.0


async def test_wait_idle_returns_once_the_last_call_ends(
    tracker: CallTracker, clock: FakeClock
) -> None:
    await asyncio.wait_for(tracker.wait_idle(), 1.0)  # nothing in progress yet
    first = tracker.start("400-100", "1700.1", "PJSIP/trunk-00000001", "+77010000001")
    second = tracker.start("400-100", "1700.2", "PJSIP/trunk-00000002", "+77010000002")
    idle = asyncio.ensure_future(tracker.wait_idle())
    try:
        await tracker.finish(first, Outcome.ABANDONED)
        await asyncio.sleep(0)  # give the waiter its chance to (wrongly) wake
        assert not idle.done(), "idle while a call is still in progress"
        clock.advance(1)
        await tracker.finish(second, Outcome.ANSWERED)
        await asyncio.wait_for(idle, 1.0)
    finally:
        idle.cancel()
    # A new call makes the tracker busy again.
    tracker.start("400-100", "1700.3", "PJSIP/trunk-00000003", "+77010000003")
    again = asyncio.ensure_future(tracker.wait_idle())
    await asyncio.sleep(0)
    assert not again.done()
    again.cancel()


async def test_a_failing_sink_still_ends_the_call_and_lets_waiters_go(clock: FakeClock) -> None:
    async def broken(record: CallRecord) -> None:
        raise OSError("disk full")

    tracker = CallTracker(clock, broken)
    call = tracker.start("400-100", "1700.1", "PJSIP/trunk-00000001", "+77010000001")
    with pytest.raises(OSError, match="disk full"):
        await tracker.finish(call, Outcome.ABANDONED)
    assert len(tracker) == 0
    await asyncio.wait_for(tracker.wait_idle(), 1.0)
    assert await tracker.finish(call, Outcome.ABANDONED) is False
