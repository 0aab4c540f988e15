"""The end of a wrap-up wakes the dispatcher: the next caller is offered at once, not at the
dispatcher's next periodic tick."""

from __future__ import annotations

from hotline.sim import Headers, SimCaller, SimOperator

from .conftest import RigFactory, hotline_400_100, talks

KK_SOCIAL = ["1", "1"]
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
