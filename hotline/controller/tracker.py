"""The calls in progress, from the first FastAGI visit to the call record.

The tracker is where the two views of a call meet: the FastAGI sessions (the menu, the hold
visits) and the AMI events (the operator answered, somebody hung up). Every call it starts it
ends with exactly one record, whatever order those events come in: the first final event
wins and later ones are ignored.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hotline.clock import Clock
from hotline.records import CallRecord, Outcome

log = logging.getLogger(__name__)

RecordSink = Callable[[CallRecord], Awaitable[None]]


@dataclass
class TrackedCall:
    """What the controller knows about one call that has not ended yet."""

    call_id: str
    hotline_id: str
    uniqueid: str
    channel: str
    caller: str
    arrived_at: float
    language: str | None = None
    topic: str | None = None
    queue_id: str | None = None
    enqueued_at: float | None = None
    #: The priority the call was enqueued with (to enqueue it again at its place after a
    #: Redis loss; `hotline.controller.rebuild`).
    priority: int | None = None
    operator_id: str | None = None
    answered_at: float | None = None
    path: list[str] = field(default_factory=list)
    #: The menu node the caller was at when the menu ended (`Finish.node`), for the record.
    ivr_node: str | None = None
    #: The first expected wait told to the caller with a number (the midpoint of the range,
    #: seconds from `predicted_at`), and when it was made; None while none was told.
    predicted_wait_s: float | None = None
    predicted_at: float | None = None
    #: The last self-service look-up's result (`IvrMachine.lookup_result`).
    lookup_result: str | None = None
    #: The overflow rules (their index in the queue's `overflow`) already applied to this
    #: call: each acts once (a declined call-back offer is not repeated at every visit).
    overflow_done: set[int] = field(default_factory=set)


class CallTracker:
    """Calls in progress by Uniqueid; writes one record per call through `sink`."""

    def __init__(
        self,
        clock: Clock,
        sink: RecordSink,
        on_new_call: Callable[[TrackedCall], None] | None = None,
    ) -> None:
        self._clock = clock
        self._sink = sink
        self._on_new_call = on_new_call
        self._by_uniqueid: dict[str, TrackedCall] = {}
        self._by_call_id: dict[str, TrackedCall] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return len(self._by_call_id)

    def start(self, hotline_id: str, uniqueid: str, channel: str, caller: str) -> TrackedCall:
        """A new call reached the menu. A repeated Uniqueid returns the call already known."""
        known = self._by_uniqueid.get(uniqueid)
        if known is not None:
            return known
        call = TrackedCall(
            call_id=uuid.uuid4().hex,
            hotline_id=hotline_id,
            uniqueid=uniqueid,
            channel=channel,
            caller=caller,
            arrived_at=self._clock.now(),
        )
        self._by_uniqueid[uniqueid] = call
        self._by_call_id[call.call_id] = call
        self._idle.clear()
        if self._on_new_call is not None:
            self._on_new_call(call)
        return call

    def adopt(self, call: TrackedCall) -> TrackedCall:
        """Take over a call begun by an earlier controller (rebuilt from the ACD's state, see
        `hotline.controller.adoption`). A call already known by call id or Uniqueid is
        returned as it is. Not counted as a new call: the earlier controller counted it."""
        known = self._by_call_id.get(call.call_id) or self._by_uniqueid.get(call.uniqueid)
        if known is not None:
            return known
        self._by_uniqueid[call.uniqueid] = call
        self._by_call_id[call.call_id] = call
        self._idle.clear()
        return call

    def forget(self, call: TrackedCall) -> bool:
        """Stop following `call` without a record: another controller took it over (this
        one's lease had lapsed) and writes it. False if it was not tracked."""
        if self._by_call_id.pop(call.call_id, None) is None:
            return False
        self._by_uniqueid.pop(call.uniqueid, None)
        if not self._by_call_id:
            self._idle.set()
        return True

    def by_uniqueid(self, uniqueid: str) -> TrackedCall | None:
        return self._by_uniqueid.get(uniqueid)

    def by_call_id(self, call_id: str) -> TrackedCall | None:
        return self._by_call_id.get(call_id)

    def calls(self) -> list[TrackedCall]:
        return list(self._by_call_id.values())

    async def finish(
        self, call: TrackedCall, outcome: Outcome, ended_at: float | None = None
    ) -> bool:
        """End `call` with `outcome` and write its record; False if it had ended already.

        `ended_at`: when the call ended, if that was earlier than now (a hang-up missed while
        AMI was down); None: now."""
        if self._by_call_id.pop(call.call_id, None) is None:
            return False
        self._by_uniqueid.pop(call.uniqueid, None)
        ended = self._clock.now() if ended_at is None else ended_at
        try:
            await self._sink(self._record(call, outcome, ended))
        finally:
            if not self._by_call_id:
                self._idle.set()
        return True

    async def wait_idle(self) -> None:
        """Return once no call is in progress (every record has been handed over)."""
        await self._idle.wait()

    @staticmethod
    def _record(call: TrackedCall, outcome: Outcome, ended: float) -> CallRecord:
        wait_s = 0.0
        if call.enqueued_at is not None:
            wait_end = call.answered_at if call.answered_at is not None else ended
            wait_s = max(0.0, wait_end - call.enqueued_at)
        talk_s = 0.0 if call.answered_at is None else max(0.0, ended - call.answered_at)
        return CallRecord(
            call_id=call.call_id,
            hotline_id=call.hotline_id,
            uniqueid=call.uniqueid,
            caller=call.caller,
            language=call.language,
            topic=call.topic,
            queue_id=call.queue_id,
            operator_id=call.operator_id,
            outcome=outcome,
            arrived_at=datetime.fromtimestamp(call.arrived_at, UTC),
            enqueued_at=_utc(call.enqueued_at),
            answered_at=_utc(call.answered_at),
            ended_at=datetime.fromtimestamp(ended, UTC),
            wait_s=wait_s,
            talk_s=talk_s,
            ivr_node=call.ivr_node,
            ivr_path=",".join(call.path),
            predicted_wait_s=_predicted_wait_s(call),
            lookup_result=call.lookup_result,
        )


def _predicted_wait_s(call: TrackedCall) -> float | None:
    """The prediction as a wait from the enqueue, comparable with the record's wait: the time
    already waited when it was made plus what the caller was told."""
    if call.predicted_wait_s is None or call.predicted_at is None or call.enqueued_at is None:
        return None
    return round(max(0.0, call.predicted_at - call.enqueued_at) + call.predicted_wait_s, 3)


def _utc(epoch_s: float | None) -> datetime | None:
    return None if epoch_s is None else datetime.fromtimestamp(epoch_s, UTC)
