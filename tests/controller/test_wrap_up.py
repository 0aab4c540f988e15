"""An operator who becomes free wakes the dispatcher, whether their wrap-up ran out or they
were made ready from the shell: the next caller is offered at once, not at the next tick."""

from __future__ import annotations

import redis.asyncio as redis

from hotline.operators import OperatorControl
from hotline.queue import Acd
from hotline.sim import Headers, SimCaller, SimOperator

from .conftest import RigFactory, hotline_400_100, talks, without_overflow

KK_SOCIAL = ["1", "1", "2"]  # Kazakh, payments, an operator: social-payments-kk
WRAP_UP_S = 20


async def test_the_next_caller_is_offered_when_the_wrap_up_runs_out(
    make_rig: RigFactory,
) -> None:
    base = hotline_400_100()
    routing = base.routing.model_copy(update={"wrap_up_s": WRAP_UP_S})
    rig = await make_rig(
        hotline=base.model_copy(update={"routing": routing}),
        present={"op01"},
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talks(10.0))},
    )
    # A tick far longer than the wrap-up: only the wrap-up's own wake-up can be on time.
    rig.controller.dispatcher._tick_s = 600.0
    timeline: list[tuple[float, Headers]] = []
    rig.pbx.subscribe(lambda headers: timeline.append((rig.clock.now(), headers)))

    first = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=900.0))
    second = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=900.0))
    await rig.within(first.ended)
    await rig.within(second.ended)

    def at(event: str, channel: str) -> list[float]:
        return [
            t
            for t, headers in timeline
            if dict(headers).get("Event") == event and dict(headers).get("Channel") == channel
        ]

    [first_talk_over] = at("Hangup", first.channel)
    second_offered = at("DialBegin", second.channel)[0]
    # The wrap-up starts when the first conversation ends. The slack covers the AMI round
    # trips of the offer (at the rig's speed a loaded machine's milliseconds are seconds);
    # without the wake-up the offer would wait for the 600 s tick.
    assert WRAP_UP_S <= second_offered - first_talk_over <= WRAP_UP_S + 15.0


async def test_an_operator_made_ready_from_the_shell_is_offered_a_caller_at_once(
    make_rig: RigFactory, redis_url: str
) -> None:
    # Without the shipped overflow rule that sends callers to the duty group while nobody
    # of the queue is free to be counted (op01 is paused).
    rig = await make_rig(hotline=without_overflow(hotline_400_100()), present={"op01"})
    rig.controller.dispatcher._tick_s = 600.0  # only a wake-up can be on time
    await rig.within(rig.controller.wakeups.subscribed.wait())
    await rig.acd.operator_pause("op01", "lunch", rig.clock.now(), ("lunch",))
    timeline: list[tuple[float, Headers]] = []
    rig.pbx.subscribe(lambda headers: timeline.append((rig.clock.now(), headers)))
    call = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=900.0))
    await rig.events.first(
        lambda e: e.get("Event") == "MusicOnHoldStart" and e.get("Channel") == call.channel,
        rig.clock,
        120.0,
    )

    # `hotline operator ready` talks to Redis on a connection of its own, not to us.
    client = redis.Redis.from_url(redis_url)
    try:
        control = OperatorControl(rig.hotline, Acd(client, rig.hotline.id), rig.clock)
        ready_at = rig.clock.now()
        assert await control.ready("op01") == "available"
    finally:
        await client.aclose()
    summary = await rig.within(call.ended)

    assert summary.operator == "PJSIP/op400-01"
    [offered] = [
        t
        for t, headers in timeline
        if dict(headers).get("Event") == "DialBegin"
        and dict(headers).get("Channel") == call.channel
    ]
    assert offered - ready_at <= 15.0  # AMI round trips only, not the 600 s tick
