"""The operator's phone shows the caller's language and the hotline ("RU 400-100") as the
caller's name; the caller's own channel keeps the caller's name (their AMI events, and
Asterisk's CDR, which reads it). The label goes on the operator's leg only: Dial's b()
pre-dial routine [hotline-operator-label] sets the new channel's connected line (what
its phone shows) before the channel is called. Through the whole controller and the
simulated PBX running the shipped dialplan."""

from __future__ import annotations

from hotline.controller.dispatcher import operator_label
from hotline.sim import SimCaller, SimOperator

from .conftest import AT_10, Rig, RigFactory, talks

# 2 Russian, then 1 social payments: queue social-payments-ru.
RU_SOCIAL = ["2", "1"]
CALLER_NAME = "Aigul Serikova"
LABEL = "RU 400-100"


def caller_names(rig: Rig, channel: str) -> set[str]:
    """Every CallerIDName the caller's channel showed in an AMI event."""
    return {e["CallerIDName"] for e in rig.events.events if e.get("Channel") == channel}


async def test_the_label_is_on_the_operators_leg_and_the_caller_keeps_their_name(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(
        present={"op01"},
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talks(20.0))},
        start=AT_10.timestamp(),  # Friday 10:00 in Almaty: 400-100's day shift
    )
    call = await rig.pbx.place_call(
        rig.hotline.number,
        SimCaller(digits=RU_SOCIAL, think_s=0.5, patience_s=600.0),
        "+77010000001",
        CALLER_NAME,
    )
    await rig.events.first(
        lambda e: e.get("Event") == "BridgeEnter" and e.get("Channel") == call.channel,
        rig.clock,
        300.0,
    )
    # Connected and talking: the caller's channel has the caller's name.
    assert rig.pbx.getvar(call.channel, "CALLERID(name)") == CALLER_NAME
    await rig.within(call.ended)
    (record,) = await rig.settle()
    assert record.operator_id == "op01"

    assert caller_names(rig, call.channel) == {CALLER_NAME}
    assert not rig.events.matching("NewCallerid", Channel=call.channel)
    (begin,) = rig.events.matching("DialBegin", Channel=call.channel)
    leg = begin["DestChannel"]
    # What the operator's phone is sent as the caller: the label (and the caller's number).
    assert (begin["DestConnectedLineName"], begin["DestConnectedLineNum"]) == (
        LABEL,
        "+77010000001",
    )
    (changed,) = rig.events.matching("NewConnectedLine", Channel=leg)
    assert changed["ConnectedLineName"] == LABEL
    # The routine ran on the new channel before it was called (before DialBegin).
    events = rig.events.events
    assert events.index(changed) < events.index(begin)
    assert rig.events.matching("Newexten", Channel=leg, Context="hotline-operator-label")


def test_the_label_names_the_language_and_the_hotline() -> None:
    assert operator_label("400-100", "ru") == LABEL
    # no language known (an adopted call): empty, [hotline-operator-label] changes nothing
    assert operator_label("400-100", None) == ""
