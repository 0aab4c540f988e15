"""Issue 9, bug 6: a caller ID that rewrites the FastAGI env block. The simulator copies
the caller ID into the block unescaped, as Asterisk 22 does; each of the four payloads
that hijacked a real Asterisk must leave the caller with the duty group, a `failed`
record, and no AMI action on any channel."""

from __future__ import annotations

import pytest

from hotline.records import Outcome
from hotline.sim import SimCaller, SimOperator

from .conftest import DUTY_DIAL, Rig, RigFactory, hotline_400_100, talks, without_overflow

FORGED_CHANNEL = "Local/victim@nowhere-0000beef;1"
# (caller ID number, caller ID name), as the real Asterisk was probed with.
PAYLOADS = {
    "a: name forges the operator script and a number": (
        "+77010000001",
        "a\nagi_network_script: operator\nagi_callerid: 5559999",
    ),
    "b: number forges the hold script": ("5552008\nagi_network_script: hold", "Caller"),
    "c: name forges Asterisk's replies": ("+77010000003", "Evil\r\n\r\nHANGUP\n200 result=1"),
    "d: name forges the channel": ("+77010000004", f"x\nagi_channel: {FORGED_CHANNEL}"),
}


def agi_commands(rig: Rig, channel: str) -> list[str]:
    return [e["Command"] for e in rig.events.matching("AGIExecStart", Channel=channel)]


def ami_actions(rig: Rig) -> set[str]:
    """The AMI actions the simulator received from the controller."""
    return {r.header("Action") for r in rig.ami_server.requests}


async def place(rig: Rig, number: str, name: str) -> None:
    caller = SimCaller(digits=["1", "1"], think_s=0.5, patience_s=600.0)
    call = await rig.pbx.place_call(rig.hotline.number, caller, number, name)
    summary = await rig.within(call.ended)
    records = await rig.settle()

    # The fallback, and nothing else: the only AGI command run on the caller's channel is
    # the server's HOTLINE_NEXT=fallback (no menu, hold or operator script).
    assert agi_commands(rig, call.channel) == ["SET VARIABLE HOTLINE_NEXT fallback"]
    assert rig.events.matching("Newexten", Channel=call.channel, Context="hotline-fallback")
    assert not rig.events.matching("Newexten", Channel=call.channel, Context="hotline-hold")
    assert summary.operator == DUTY_DIAL
    # No Setvar, Redirect or Originate: not on the caller's channel, not on a forged one.
    assert ami_actions(rig) == {"Login", "Ping", "CoreShowChannels"}
    assert not [r for r in rig.ami_server.requests if FORGED_CHANNEL in "\n".join(r.lines)]
    # One record, failed, for the real channel; the refused text is not kept.
    assert [(r.uniqueid, r.outcome) for r in records] == [(call.uniqueid, Outcome.FAILED)]
    assert records[0].caller in (None, "")
    assert await rig.acd.waiting_count() == 0


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
async def test_a_caller_id_that_rewrites_the_env_block_reaches_the_duty_group(
    make_rig: RigFactory, payload: str
) -> None:
    rig = await make_rig(present={"op01", "op02"}, duty=SimOperator(ring_s=1.0, talk_s=talks(5.0)))
    await place(rig, *PAYLOADS[payload])


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
async def test_the_classic_agi_script_refuses_the_same_env_blocks(
    make_rig: RigFactory, payload: str
) -> None:
    """pyst2 would read the env as the FastAGI parser did (last value wins, the caller's
    blank line ends it, the forged replies answer the first command). The script sends no
    command; the dialplan's `ivr-result` is refused in turn and records the call failed."""
    rig = await make_rig(
        present={"op01", "op02"}, duty=SimOperator(ring_s=1.0, talk_s=talks(5.0)), classic=True
    )
    await place(rig, *PAYLOADS[payload])


async def test_a_caller_id_rewritten_while_waiting_fails_at_the_next_hold_visit(
    make_rig: RigFactory,
) -> None:
    """The hold visit's env block is refused too: the caller leaves the queue for the duty
    group (no operator may Redirect them out of it later) and the record says failed."""
    rig = await make_rig(hotline=without_overflow(hotline_400_100()), present=())
    caller = SimCaller(digits=["1", "1", "2"], think_s=0.5, patience_s=600.0)
    call = await rig.call(caller)
    await rig.events.first(
        lambda e: e.get("Channel") == call.channel
        and e.get("Event") == "Newexten"
        and e.get("Application") == "MusicOnHold",
        rig.clock,
        120.0,
    )
    before = len(agi_commands(rig, call.channel))
    rig.pbx.setvar(call.channel, "CALLERID(name)", PAYLOADS["d: name forges the channel"][1])
    summary = await rig.within(call.ended)
    records = await rig.settle()

    assert agi_commands(rig, call.channel)[before:] == ["SET VARIABLE HOTLINE_NEXT fallback"]
    assert rig.events.matching("Newexten", Channel=call.channel, Context="hotline-fallback")
    assert summary.operator == DUTY_DIAL
    assert ami_actions(rig) == {"Login", "Ping", "CoreShowChannels"}
    assert [(r.uniqueid, r.outcome) for r in records] == [(call.uniqueid, Outcome.FAILED)]
    assert records[0].queue_id == "social-payments-kk"
    state = await rig.acd.call(records[0].call_id)
    assert state is not None
    assert state["state"] == "cancelled"
    assert await rig.acd.waiting_count() == 0
