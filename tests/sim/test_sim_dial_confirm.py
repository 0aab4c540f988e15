"""Dial's U() option in the simulator, as app_dial.c does it (see hotline.sim.dial), and the
remote operator's confirmation of extensions.conf ([hotline-connect] with HOTLINE_CONFIRM=1,
[hotline-confirm]) against a scripted FastAGI `confirm`."""

from __future__ import annotations

import random
from pathlib import Path

from sim_helpers import AgiConnection, EventLog, Handler, PbxFactory, ScriptedAgiServer

from hotline.clock import ScaledClock
from hotline.sim import FixedSounds, Headers, SimCaller, SimOperator, SimPBX

PATIENT = 1000.0
OPERATOR = "PJSIP/op1"
REMOTE = "PJSIP/+77051110004@trunk"

# Exten 1: the routine says CONTINUE; exten 2: it just returns; exten 3: it says nothing
# and the operator hangs up inside it. The caller reports what it sees after the Dial.
GOSUB_DIALPLAN = """
[hotline-in]
exten => 1,1,Answer()
 same => n,Dial(PJSIP/op1,20,gU(sub-continue^a^b))
 same => n,NoOp(after DIALSTATUS=${DIALSTATUS} GOSUB_RETVAL=${GOSUB_RETVAL})
 same => n,Wait(100)
exten => 2,1,Answer()
 same => n,Dial(PJSIP/op1,20,gU(sub-plain^a))
 same => n,NoOp(after DIALSTATUS=${DIALSTATUS} GOSUB_RETVAL=${GOSUB_RETVAL})
 same => n,Wait(100)
exten => 3,1,Answer()
 same => n,Dial(PJSIP/op1,20,gU(sub-wait))
 same => n,NoOp(after DIALSTATUS=${DIALSTATUS})
 same => n,Wait(100)

[sub-continue]
exten => s,1,NoOp(routine ${ARG1} ${ARG2} of ${ARGC})
 same => n,Set(GOSUB_RESULT=CONTINUE)
 same => n,Return(back-${ARG1})

[sub-plain]
exten => s,1,NoOp(routine ${ARG1})
 same => n,Return(plain)

[sub-wait]
exten => s,1,Wait(30)
 same => n,Return()
"""


def _pbx(tmp_path: Path, operator: SimOperator) -> tuple[SimPBX, EventLog]:
    plan = tmp_path / "extensions.conf"
    plan.write_text(GOSUB_DIALPLAN, encoding="utf-8")
    pbx = SimPBX(ScaledClock(speed=100.0), plan, {}, FixedSounds(1.0), random.Random(3))
    pbx.add_operator(OPERATOR, operator)
    events = EventLog()
    pbx.subscribe(events)
    return pbx, events


def _of(events: EventLog, channel: str) -> list[dict[str, str]]:
    return [dict(e) for e in events.events if dict(e).get("Channel") == channel]


def _index(seen: list[dict[str, str]], name: str, **fields: str) -> int:
    for i, event in enumerate(seen):
        if event["Event"] == name and all(event.get(k) == v for k, v in fields.items()):
            return i
    raise AssertionError(f"no {name} {fields} in {[e['Event'] for e in seen]}")


async def _after_dial(events: EventLog, channel: str) -> dict[str, str]:
    found = await events.wait_for("Newexten", Channel=channel, Application="NoOp", Priority="3")
    return dict(found)


async def test_continue_hangs_up_the_called_party_and_the_caller_goes_on_with_answer(
    tmp_path: Path,
) -> None:
    pbx, events = _pbx(tmp_path, SimOperator(ring_s=1.0, talk_s=lambda: 5.0))
    try:
        call = await pbx.place_call("1", SimCaller([], 1.0, PATIENT), "7701")
        after = await _after_dial(events, call.channel)
        # app_dial leaves DIALSTATUS at ANSWER and copies the routine's return value
        assert after["AppData"] == "after DIALSTATUS=ANSWER GOSUB_RETVAL=back-a"
        dial_end = dict(await events.wait_for("DialEnd", Channel=call.channel))
        leg = dial_end["DestChannel"]
        assert dial_end["DialStatus"] == "CONTINUE"

        everything = [dict(e) for e in events.events]
        routine = _index(everything, "Newexten", Channel=leg, Context="sub-continue")
        assert everything[routine]["AppData"] == "routine a b of 2"
        answer = next(
            i
            for i, e in enumerate(everything)
            if e.get("Channel") == call.channel
            and e.get("Variable") == "DIALSTATUS"
            and e.get("Value") == "ANSWER"
        )
        retval = _index(everything, "VarSet", Channel=call.channel, Variable="GOSUB_RETVAL")
        end = _index(everything, "DialEnd", Channel=call.channel)
        leg_gone = _index(everything, "Hangup", Channel=leg)
        # DIALSTATUS=ANSWER on answer, the routine, GOSUB_RETVAL, DialEnd CONTINUE, then
        # the called party is hung up and DIALSTATUS is said again on the way out
        assert answer < routine < retval < end < leg_gone
        last_status = max(
            i
            for i, e in enumerate(everything)
            if e.get("Channel") == call.channel and e.get("Variable") == "DIALSTATUS"
        )
        assert everything[last_status]["Value"] == "ANSWER"
        assert leg_gone < last_status
        assert not events.matching("BridgeEnter")
        assert pbx.has_channel(call.channel)
    finally:
        await pbx.close()


async def test_a_routine_that_just_returns_connects_the_call_after_it(tmp_path: Path) -> None:
    pbx, events = _pbx(tmp_path, SimOperator(ring_s=1.0, talk_s=lambda: 2.0))
    try:
        call = await pbx.place_call("2", SimCaller([], 1.0, PATIENT), "7701")
        after = await _after_dial(events, call.channel)
        # no GOSUB_RESULT: the return value stays on the called channel
        assert after["AppData"] == "after DIALSTATUS=ANSWER GOSUB_RETVAL="
        everything = [dict(e) for e in events.events]
        end = _index(everything, "DialEnd", Channel=call.channel)
        assert everything[end]["DialStatus"] == "ANSWER"
        leg = everything[end]["DestChannel"]
        returned = _index(everything, "VarSet", Channel=leg, Variable="GOSUB_RETVAL")
        assert everything[returned]["Value"] == "plain"
        # DialEnd ANSWER only once the routine is over, then the bridge
        assert returned < end < _index(everything, "BridgeEnter", Channel=call.channel)
    finally:
        await pbx.close()


async def test_a_called_party_gone_during_the_routine_still_ends_in_answer(
    tmp_path: Path,
) -> None:
    operator = SimOperator(ring_s=1.0, talk_s=lambda: 5.0, confirm_hangup_s=2.0)
    pbx, events = _pbx(tmp_path, operator)
    try:
        call = await pbx.place_call("3", SimCaller([], 1.0, PATIENT), "7701")
        after = await _after_dial(events, call.channel)
        assert after["AppData"] == "after DIALSTATUS=ANSWER"
        dial_end = dict(await events.wait_for("DialEnd", Channel=call.channel))
        assert dial_end["DialStatus"] == "ANSWER"
        assert events.matching("Hangup", Channel=dial_end["DestChannel"])
        assert not events.matching("BridgeEnter")
    finally:
        await pbx.close()


def _ivr_to_hold() -> Handler:
    async def ivr(connection: AgiConnection) -> None:
        for name, value in (("HOTLINE_NEXT", "hold"), ("HOTLINE_CALL_ID", "c1")):
            assert await connection.command(f"SET VARIABLE {name} {value}") == b"200 result=1\n"
        await connection.half_close_and_drain()

    return ivr


def _confirm(taken_on: str | None, seen: list[dict[str, str]]) -> Handler:
    """The `confirm` script: asks for a key; on `taken_on` it marks the caller's channel
    (agi_arg_3) and sets HOTLINE_CONFIRM_RESULT=taken. The env blocks go to `seen`."""

    async def confirm(connection: AgiConnection) -> None:
        seen.append(connection.env)
        reply = await connection.command("GET DATA hotline/kk/operator-press-1 3000 1")
        if taken_on is not None and reply == f"200 result={taken_on}\n".encode():
            caller = connection.env["agi_arg_3"]
            ok = b"200 result=1\n"
            assert await connection.command(f"SET VARIABLE SHARED(HOTLINE_TAKEN,{caller}) 1") == ok
            assert await connection.command("SET VARIABLE HOTLINE_CONFIRM_RESULT taken") == ok
        await connection.half_close_and_drain()

    return confirm


async def _on_hold_then_connect(pbx: SimPBX, events: EventLog) -> str:
    call = await pbx.place_call("400100", SimCaller([], 1.0, PATIENT), "77011234567")
    await events.wait_for("MusicOnHoldStart", Channel=call.channel)
    for name, value in (
        ("HOTLINE_OPERATOR", "op04"),
        ("HOTLINE_OPERATOR_DIAL", REMOTE),
        ("HOTLINE_RING_S", "20"),
        ("HOTLINE_CONFIRM", "1"),
    ):
        pbx.setvar(call.channel, name, value)
    assert pbx.redirect(call.channel, "hotline-connect", "s", "1")
    return call.channel


def _holds(events: EventLog, channel: str) -> int:
    return len(events.matching("MusicOnHoldStart", Channel=channel))


async def test_a_remote_operator_who_presses_1_is_connected(
    agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pbx = make_pbx(agi_server.url, HOTLINE_HOLD_S="30")
    pbx.add_operator(REMOTE, SimOperator(ring_s=1.0, talk_s=lambda: 3.0))
    events = EventLog()
    pbx.subscribe(events)
    seen: list[dict[str, str]] = []
    agi_server.handlers["ivr"] = _ivr_to_hold()
    agi_server.handlers["confirm"] = _confirm("1", seen)
    channel = await _on_hold_then_connect(pbx, events)
    dial_end = dict(await events.wait_for("DialEnd", Channel=channel))
    assert dial_end["DialStatus"] == "ANSWER"
    leg = dial_end["DestChannel"]
    env = seen[0]
    assert (env["agi_channel"], env["agi_arg_1"], env["agi_arg_2"], env["agi_arg_3"]) == (
        leg,
        "400-100",
        "c1",
        channel,
    )
    taken = dict(events.matching("VarSet", Channel=channel, Variable="SHARED(HOTLINE_TAKEN)")[-1])
    assert taken["Value"] == "1"
    assert [dict(e)["Digit"] for e in events.matching("DTMFEnd", Channel=leg)] == ["1"]
    await events.wait_for("BridgeEnter", Channel=channel)
    # the operator hangs up after the talk: the caller is hung up, not put back on hold
    hangup = dict(await events.wait_for("Hangup", Channel=channel))
    assert hangup["Cause"] == "16"
    assert _holds(events, channel) == 1


async def test_a_voicemail_that_presses_nothing_sends_the_caller_back_to_hold(
    agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pbx = make_pbx(agi_server.url, HOTLINE_HOLD_S="30")
    pbx.add_operator(REMOTE, SimOperator(ring_s=1.0, talk_s=lambda: 3.0, confirm_digits=""))
    events = EventLog()
    pbx.subscribe(events)
    agi_server.handlers["ivr"] = _ivr_to_hold()
    agi_server.handlers["confirm"] = _confirm("1", [])
    channel = await _on_hold_then_connect(pbx, events)
    dial_end = dict(await events.wait_for("DialEnd", Channel=channel))
    assert dial_end["DialStatus"] == "CONTINUE"
    await events.wait_until(lambda: _holds(events, channel) == 2)
    assert events.matching("Hangup", Channel=dial_end["DestChannel"])
    assert not events.matching("BridgeEnter")
    assert pbx.has_channel(channel)


async def test_an_operator_gone_during_the_prompt_sends_the_caller_back_to_hold(
    agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pbx = make_pbx(agi_server.url, HOTLINE_HOLD_S="30")
    remote = SimOperator(ring_s=1.0, talk_s=lambda: 3.0, confirm_digits="", confirm_hangup_s=0.5)
    pbx.add_operator(REMOTE, remote)
    events = EventLog()
    pbx.subscribe(events)
    agi_server.handlers["ivr"] = _ivr_to_hold()
    agi_server.handlers["confirm"] = _confirm(None, [])
    channel = await _on_hold_then_connect(pbx, events)
    # The routine ended at the hangup, inside the AGI, before Return: the CONTINUE it set
    # first ends the Dial as "not taken" (DialEnd CONTINUE), no bridge with a dead channel
    dial_end = dict(await events.wait_for("DialEnd", Channel=channel))
    assert dial_end["DialStatus"] == "CONTINUE"
    await events.wait_until(lambda: _holds(events, channel) == 2)
    assert not events.matching("BridgeEnter")
    leg = dial_end["DestChannel"]
    # no priority of [hotline-confirm] ran after the AGI on the hung-up channel
    steps = events.matching("Newexten", Channel=leg, Context="hotline-confirm")
    assert [dict(e)["Application"] for e in steps] == ["Set", "Set", "AGI"]
    statuses: list[Headers] = events.matching("VarSet", Channel=channel, Variable="DIALSTATUS")
    assert dict(statuses[-1])["Value"] == "ANSWER"
