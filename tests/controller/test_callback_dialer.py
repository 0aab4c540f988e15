"""The call-back dialer when AMI misbehaves: an Originate without an answer, a lost
connection, a refused one, a number that cannot be dialled. The ACD is real (Redis); the
AMI client is a fake that records what is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
import redis.asyncio as aioredis

from hotline.ami.client import AmiClient, AmiDisconnectedError, AmiTimeoutError, OriginateResult
from hotline.ami.protocol import AmiMessage
from hotline.clock import ScaledClock
from hotline.config import HotlineConfig, find_hotline, load_hotline
from hotline.controller.callback_dialer import CallbackDialer
from hotline.queue import Acd, Assignment
from hotline.records import AttemptResult, CallbackAttempt

pytestmark = pytest.mark.redis

ENTRY = "cb-c1"
CHANNEL_ID = f"{ENTRY}-1"


class FakeAmi:
    """Originate answers with `outcome` (a result, or an exception to raise; a Future is
    awaited first); CoreShowChannels lists `live`."""

    def __init__(self) -> None:
        self.outcome: Any = OriginateResult("Success", "4", "PJSIP/op1414-01-1", CHANNEL_ID)
        self.sent: list[dict[str, Any]] = []
        self.live: set[str] = set()

    async def originate(self, channel: str, *args: Any, **kwargs: Any) -> OriginateResult:
        self.sent.append({"channel": channel, **kwargs})
        outcome = self.outcome
        if isinstance(outcome, asyncio.Future):
            outcome = await outcome
        if isinstance(outcome, BaseException):
            raise outcome
        return cast(OriginateResult, outcome)

    async def core_show_channels(self) -> list[AmiMessage]:
        return [AmiMessage([("Event", "CoreShowChannel"), ("Uniqueid", u)]) for u in self.live]


class Harness:
    def __init__(self, acd: Acd, hotline: HotlineConfig) -> None:
        self.acd = acd
        self.ami = FakeAmi()
        self.recorded: list[CallbackAttempt] = []
        self.clock = ScaledClock(50.0)
        self.dialer = CallbackDialer(
            {hotline.id: hotline},
            {hotline.id: acd},
            cast(AmiClient, self.ami),
            self.clock,
            self._record,
            lambda: None,
        )

    async def _record(self, attempt: CallbackAttempt) -> None:
        self.recorded.append(attempt)

    async def assigned(self, number: str = "+77010000001") -> Assignment:
        now = self.clock.now()
        await self.acd.enqueue_callback(ENTRY, "egov-portal-ru", 0, now, number, "ru", "t", now)
        await self.acd.operator_login("op01", ["egov-portal-ru"], now)
        assignment = await self.acd.assign(now)
        assert assignment is not None
        assert assignment.kind == "callback"
        return assignment

    async def settle(self) -> None:
        """Until the Originate sent has been answered and handled."""
        await asyncio.wait_for(self.dialer.originated(), 10)

    async def event(self, name: str, **fields: str) -> None:
        headers = [("Event", name), ("Uniqueid", CHANNEL_ID), *fields.items()]
        assert await self.dialer.follow(AmiMessage(headers))


@pytest.fixture
async def rig(redis_url: str) -> AsyncIterator[Harness]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    hotline = load_hotline(find_hotline("1414"))
    harness = Harness(Acd(client, hotline.id), hotline)
    yield harness
    await harness.dialer.stop()
    await client.aclose()


async def entry_state(rig: Harness) -> str:
    return (await rig.acd.call(ENTRY) or {}).get("state", "")


async def test_the_originate_carries_the_attempts_channel_id_and_variables(rig: Harness) -> None:
    assert await rig.dialer.place("1414", await rig.assigned()) is True
    await rig.settle()

    [sent] = rig.ami.sent
    assert (sent["channel"], sent["channel_id"]) == ("PJSIP/op1414-01", CHANNEL_ID)
    assert sent["timeout_ms"] == 20_000
    assert sent["caller_id"] == '"call-back" <1414>'
    assert rig.dialer.in_flight() == 1
    # The caller answers, talks, hangs up: one answered attempt, the entry is done.
    await rig.event("DialEnd", DialStatus="ANSWER")
    await rig.event("Hangup")
    assert [(a.result, a.entry_state) for a in rig.recorded] == [(AttemptResult.ANSWERED, "done")]
    # Anything later about that channel is no longer the dialer's.
    headers = [("Event", "Hangup"), ("Uniqueid", CHANNEL_ID)]
    assert await rig.dialer.follow(AmiMessage(headers)) is False


async def test_no_originate_response_and_no_channel_puts_the_request_back(rig: Harness) -> None:
    rig.ami.outcome = AmiTimeoutError("no answer")
    await rig.dialer.place("1414", await rig.assigned())
    await rig.settle()

    assert [a.result for a in rig.recorded] == [AttemptResult.OPERATOR_NO_ANSWER]
    assert await entry_state(rig) == "waiting"
    assert rig.dialer.in_flight() == 0


async def test_no_originate_response_but_a_live_channel_waits_for_its_events(
    rig: Harness,
) -> None:
    rig.ami.outcome = AmiTimeoutError("no answer")
    rig.ami.live = {CHANNEL_ID}
    await rig.dialer.place("1414", await rig.assigned())
    await rig.settle()
    assert rig.recorded == []

    await rig.event("DialEnd", DialStatus="BUSY")

    assert [(a.result, a.entry_state) for a in rig.recorded] == [
        (AttemptResult.CALLER_BUSY, "waiting")
    ]
    assert len(rig.ami.sent) == 1


async def test_a_lost_connection_is_settled_by_the_resync_not_by_a_second_originate(
    rig: Harness,
) -> None:
    pending: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    rig.ami.outcome = pending
    await rig.dialer.place("1414", await rig.assigned())
    # The Originate is still unanswered: a resync leaves it alone.
    await rig.dialer.resync({})
    assert rig.recorded == []
    assert rig.dialer.in_flight() == 1
    pending.set_result(AmiDisconnectedError("connection lost"))
    await rig.settle()
    assert rig.recorded == []
    # A repeated assignment while the attempt is in flight places nothing.
    again = Assignment(ENTRY, "op01", "egov-portal-ru", "", "", 0.0, "callback", "+77010000001")
    assert await rig.dialer.place("1414", again) is False

    await rig.dialer.resync({})  # after the reconnect: the channel is gone

    assert [a.result for a in rig.recorded] == [AttemptResult.OPERATOR_NO_ANSWER]
    assert await entry_state(rig) == "waiting"
    assert len(rig.ami.sent) == 1


async def test_an_operator_who_hangs_up_while_the_caller_rings_is_a_miss(rig: Harness) -> None:
    await rig.dialer.place("1414", await rig.assigned())
    await rig.settle()

    await rig.event("DialEnd", DialStatus="CANCEL")
    # The attempt is over: the Hangup that follows is not the dialer's any more.
    hangup = [("Event", "Hangup"), ("Uniqueid", CHANNEL_ID)]
    assert await rig.dialer.follow(AmiMessage(hangup)) is False

    assert [a.result for a in rig.recorded] == [AttemptResult.OPERATOR_NO_ANSWER]
    assert (await rig.acd.operator("op01") or {})["misses"] == "1"
    assert await entry_state(rig) == "waiting"


async def test_a_number_that_is_not_one_ends_the_request_without_an_originate(
    rig: Harness,
) -> None:
    assert await rig.dialer.place("1414", await rig.assigned(number="12ab")) is False

    assert rig.ami.sent == []
    assert [(a.result, a.entry_state) for a in rig.recorded] == [
        (AttemptResult.FAILED, "callback_failed")
    ]
