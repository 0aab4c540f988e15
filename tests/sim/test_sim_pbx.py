"""SimPBX through config/asterisk/extensions.conf: IVR, hold loop, Redirect, Dial, and
the AMI-facing interface the AMI server is built on."""

from __future__ import annotations

import asyncio
import random
import re
from pathlib import Path

import pytest
from sim_helpers import (
    EXTENSIONS_CONF,
    AgiConnection,
    EventLog,
    Handler,
    PbxFactory,
    ScriptedAgiServer,
)

from hotline.clock import ScaledClock
from hotline.sim import FixedSounds, NoSuchChannel, SimCaller, SimOperator, SimPBX
from hotline.sim.events import OriginateResult, originate_response
from hotline.sim.transcripts import load_transcript

PATIENT = 1000.0


def _ivr_sets(**variables: str) -> Handler:
    async def ivr(connection: AgiConnection) -> None:
        assert await connection.command("ANSWER") == b"200 result=0\n"
        for name, value in variables.items():
            assert await connection.command(f"SET VARIABLE {name} {value}") == b"200 result=1\n"
        assert await connection.half_close_and_drain() == b"HANGUP\n"

    return ivr


async def test_a_call_goes_ivr_hold_redirect_dial_and_the_operator_ends_it(
    agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pbx = make_pbx(agi_server.url)
    pbx.add_operator("PJSIP/op101", SimOperator(ring_s=1.0, talk_s=lambda: 3.0))
    events = EventLog()
    pbx.subscribe(events)
    visits: list[dict[str, str]] = []
    agi_server.handlers["ivr"] = _ivr_sets(
        HOTLINE_NEXT="hold", HOTLINE_CALL_ID="c1", HOTLINE_HOLD_S="2"
    )

    async def hold(connection: AgiConnection) -> None:
        visits.append(connection.env)
        assert await connection.half_close_and_drain() == b"HANGUP\n"

    agi_server.handlers["hold"] = hold
    call = await pbx.place_call("400100", SimCaller([], 1.0, PATIENT), "77011234567", "Aigul")
    assert re.fullmatch(r"PJSIP/trunk-0000000[0-9a-f]", call.channel)
    assert re.fullmatch(r"\d{10}\.\d+", call.uniqueid)
    await events.wait_until(lambda: len(visits) == 2)
    assert visits[0]["agi_arg_1"] == "400-100"
    assert visits[0]["agi_arg_2"] == "c1"
    assert visits[0]["agi_type"] == "PJSIP"
    assert visits[0]["agi_dnid"] == "400100"
    await events.wait_until(lambda: len(events.matching("MusicOnHoldStart")) == 3)

    pbx.setvar(call.channel, "HOTLINE_OPERATOR", "op101")
    pbx.setvar(call.channel, "HOTLINE_OPERATOR_DIAL", "PJSIP/op101")
    pbx.setvar(call.channel, "HOTLINE_RING_S", "20")
    assert pbx.redirect(call.channel, "hotline-connect", "s", "1")
    summary = await asyncio.wait_for(call.ended, 30)

    names = [dict(e)["Event"] for e in events.events]
    # out of MusicOnHold() at once: MusicOnHoldStop, then the target's first Newexten
    stop = len(names) - 1 - names[::-1].index("MusicOnHoldStop")
    assert dict(events.events[stop + 1])["Context"] == "hotline-connect"
    dial_end = await events.wait_for("DialEnd")
    assert dict(dial_end)["DialStatus"] == "ANSWER"
    assert re.fullmatch(r"PJSIP/op101-0000000[0-9a-f]", dict(dial_end)["DestChannel"])
    assert dict(dial_end)["DestLinkedid"] == call.uniqueid
    for name in ("BridgeCreate", "BridgeEnter", "BridgeLeave", "BridgeDestroy"):
        assert name in names
    assert summary.hung_up_by == "operator"
    assert summary.operator == "PJSIP/op101"
    assert summary.answered_at is not None
    assert 2.5 <= summary.ended_at - summary.answered_at < 5.0
    assert not pbx.has_channel(call.channel)


async def test_an_impatient_caller_hangs_up_on_hold(
    agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pbx = make_pbx(agi_server.url)
    events = EventLog()
    pbx.subscribe(events)
    agi_server.handlers["ivr"] = _ivr_sets(HOTLINE_NEXT="hold", HOTLINE_HOLD_S="30")
    call = await pbx.place_call("1414", SimCaller([], 1.0, patience_s=3.0), "7701")
    start = dict(await events.wait_for("MusicOnHoldStart"))
    on_hold_since = pbx.clock.now()
    summary = await asyncio.wait_for(call.ended, 30)
    assert summary.hung_up_by == "caller"
    assert summary.answered_at is None
    assert 2.8 <= summary.ended_at - on_hold_since < 4.5
    names = [dict(e)["Event"] for e in events.events]
    # as ami/12: the caller's BYE, the music stops, the pbx's soft hangup, then Hangup
    assert names[-4:] == ["HangupRequest", "MusicOnHoldStop", "SoftHangupRequest", "Hangup"]
    assert start["Class"] == "default"


async def test_no_answer_sends_the_caller_back_to_hold_and_a_busy_operator_is_busy(
    agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pbx = make_pbx(agi_server.url, HOTLINE_OPERATOR_DIAL="PJSIP/op102", HOTLINE_RING_S="2")
    pbx.add_operator("PJSIP/op102", SimOperator(ring_s=None, talk_s=lambda: 1.0))
    events = EventLog()
    pbx.subscribe(events)
    agi_server.handlers["ivr"] = _ivr_sets(HOTLINE_NEXT="hold", HOTLINE_HOLD_S="30")
    first = await pbx.place_call("1414", SimCaller([], 1.0, PATIENT), "7701")
    second = await pbx.place_call("1414", SimCaller([], 1.0, PATIENT), "7702")
    await events.wait_until(lambda: len(events.matching("MusicOnHoldStart")) == 2)
    assert pbx.redirect(first.channel, "hotline-connect", "s", "1")
    await events.wait_for("DialState", Channel=first.channel)
    assert pbx.redirect(second.channel, "hotline-connect", "s", "1")
    busy = await events.wait_for("DialEnd", Channel=second.channel)
    assert dict(busy)["DialStatus"] == "BUSY"
    no_answer = await events.wait_for("DialEnd", Channel=first.channel)
    assert dict(no_answer)["DialStatus"] == "NOANSWER"
    await events.wait_until(
        lambda: len(events.matching("MusicOnHoldStart", Channel=first.channel)) == 2
    )
    assert pbx.has_channel(first.channel)


async def test_unknown_operator_is_chanunavail(
    agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pbx = make_pbx(agi_server.url, HOTLINE_OPERATOR_DIAL="PJSIP/ghost", HOTLINE_RING_S="5")
    events = EventLog()
    pbx.subscribe(events)
    agi_server.handlers["ivr"] = _ivr_sets(HOTLINE_NEXT="hold", HOTLINE_HOLD_S="30")
    call = await pbx.place_call("1414", SimCaller([], 1.0, PATIENT), "7701")
    await events.wait_for("MusicOnHoldStart")
    pbx.redirect(call.channel, "hotline-connect", "s", "1")
    await events.wait_for("VarSet", Variable="DIALSTATUS", Value="CHANUNAVAIL")
    assert not events.matching("DialBegin")


async def test_ami_interface_getvar_setvar_snapshots_hangup(
    agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pbx = make_pbx(agi_server.url)
    events = EventLog()
    unsubscribe = pbx.subscribe(events)
    agi_server.handlers["ivr"] = _ivr_sets(HOTLINE_NEXT="hold", HOTLINE_HOLD_S="30")
    call = await pbx.place_call("400100", SimCaller([], 1.0, PATIENT), "77011234567", "Aigul")
    await events.wait_for("MusicOnHoldStart")

    assert pbx.getvar(call.channel, "HOTLINE_ID") == "400-100"
    assert pbx.getvar(call.channel, "CALLERID(num)") == "77011234567"
    assert pbx.getvar(call.channel, "CALLERID(name)") == "Aigul"
    assert pbx.getvar(call.channel, "NO_SUCH_VAR") is None
    assert pbx.getvar(call.channel, "HOTLINE_HOLD_S") == "30"  # the channel's, not the global
    assert pbx.getvar(None, "HOTLINE_HOLD_S") == "20"
    pbx.setvar(None, "G", "42")
    assert events.events[-1] == [
        ("Event", "VarSet"),
        ("Privilege", "dialplan,all"),
        ("Channel", "none"),
        ("Uniqueid", "none"),
        ("Variable", "G"),
        ("Value", "42"),
    ]
    with pytest.raises(NoSuchChannel):
        pbx.getvar("PJSIP/nope-00000000", "X")
    with pytest.raises(NoSuchChannel):
        pbx.setvar("PJSIP/nope-00000000", "X", "1")
    assert not pbx.redirect("PJSIP/nope-00000000", "hotline-connect", "s", "1")
    assert not pbx.hangup("PJSIP/nope-00000000", 16)

    (item,) = pbx.channel_snapshots()
    keys = [key for key, _ in item]
    assert keys[:2] == ["Channel", "ChannelState"]
    assert keys[-6:] == [
        "Uniqueid",
        "Linkedid",
        "Application",
        "ApplicationData",
        "Duration",
        "BridgeId",
    ]
    assert dict(item)["Application"] == "MusicOnHold"
    assert dict(item)["ApplicationData"] == "default,30"
    assert re.fullmatch(r"\d\d:\d\d:\d\d", dict(item)["Duration"])
    assert dict(item)["AccountCode"] == ""
    assert pbx.uptime_s() > 0

    assert pbx.hangup(call.channel, 21)
    summary = await asyncio.wait_for(call.ended, 30)
    request = events.matching("SoftHangupRequest")[-1]
    assert dict(request)["Cause"] == "16"  # as Asterisk says whatever the cause (ami/15)
    final = events.matching("Hangup")[-1]
    assert final[-2:] == [("Cause", "21"), ("Cause-txt", "Call Rejected")]
    assert summary.hung_up_by == "system"
    assert pbx.channel_snapshots() == []
    count = len(events.events)
    unsubscribe()
    pbx.setvar(None, "G", "43")
    assert len(events.events) == count


async def test_redirect_to_a_missing_extension_hangs_up_with_cause_0(
    agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pbx = make_pbx(agi_server.url)
    events = EventLog()
    pbx.subscribe(events)
    agi_server.handlers["ivr"] = _ivr_sets(HOTLINE_NEXT="hold", HOTLINE_HOLD_S="30")
    call = await pbx.place_call("1414", SimCaller([], 1.0, PATIENT), "7701")
    await events.wait_for("MusicOnHoldStart")
    assert pbx.redirect(call.channel, "nowhere", "s", "1")  # Asterisk says successful too
    summary = await asyncio.wait_for(call.ended, 30)
    assert (summary.cause, summary.cause_txt) == (0, "Unknown")


async def test_originate_reasons(agi_server: ScriptedAgiServer, make_pbx: PbxFactory) -> None:
    pbx = make_pbx(agi_server.url)
    pbx.add_operator("PJSIP/op101", SimOperator(ring_s=0.5, talk_s=lambda: 2.0))
    pbx.add_operator("PJSIP/op102", SimOperator(ring_s=None, talk_s=lambda: 2.0))
    events = EventLog()
    pbx.subscribe(events)

    async def originate(channel: str, timeout_ms: int = 3000) -> OriginateResult:
        return await pbx.originate(
            channel,
            context="hotline-hold",
            exten="s",
            priority="loop",
            application=None,
            data=None,
            variables=[("HOTLINE_HOLD_S", "30")],
            caller_id='"Ops" <100>',
            timeout_ms=timeout_ms,
        )

    pbx.add_operator("PJSIP/+77011234567@trunk", SimOperator(ring_s=0.5, talk_s=lambda: 1.0))
    mobile = await originate("PJSIP/+77011234567@trunk")
    assert re.fullmatch(r"PJSIP/trunk-[0-9a-f]{8}", mobile.channel)
    unknown = await originate("PJSIP/ghost")
    assert (unknown.response, unknown.reason, unknown.uniqueid) == ("Failure", 0, None)
    answered = await originate("PJSIP/op101")
    assert (answered.response, answered.reason) == ("Success", 4)
    assert answered.channel.startswith("PJSIP/op101-")
    busy = await originate("PJSIP/op101")
    assert (busy.response, busy.reason) == ("Failure", 5)
    no_answer = await originate("PJSIP/op102", timeout_ms=1000)
    assert (no_answer.response, no_answer.reason) == ("Failure", 3)
    await events.wait_for("MusicOnHoldStart", Channel=answered.channel)
    # the operator hangs up after talking 2 s
    await events.wait_for("Hangup", Channel=answered.channel)
    headers = originate_response(answered, "a1", "hotline-hold", "s")
    assert [key for key, _ in headers] == [
        "Event",
        "Privilege",
        "ActionID",
        "Response",
        "Channel",
        "Context",
        "Exten",
        "Reason",
        "Uniqueid",
        "CallerIDNum",
        "CallerIDName",
    ]
    assert dict(headers)["CallerIDName"] == "Ops"
    assert dict(originate_response(unknown, None, "c", "e"))["Uniqueid"] == "<unknown>"


async def test_unknown_application_is_logged_and_falling_off_the_end_hangs_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, clock_start: float
) -> None:
    conf = tmp_path / "extensions.conf"
    conf.write_text("[hotline-in]\nexten => 1,1,Frobnicate(x)\n same => n,Set(DONE=yes)\n")
    pbx = SimPBX(
        ScaledClock(speed=200, start=clock_start), conf, {}, FixedSounds(), random.Random(1)
    )
    events = EventLog()
    pbx.subscribe(events)
    try:
        call = await pbx.place_call("1", SimCaller([], 1.0, PATIENT), "7701")
        summary = await asyncio.wait_for(call.ended, 10)
    finally:
        await pbx.close()
    assert "No application 'Frobnicate' for extension (hotline-in, 1, 1)" in caplog.text
    assert events.matching("VarSet", Variable="DONE", Value="yes")
    assert (summary.cause, summary.hung_up_by) == (16, "system")


async def test_caller_hangs_up_while_talking_to_the_operator(
    agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pbx = make_pbx(agi_server.url, HOTLINE_OPERATOR_DIAL="PJSIP/op101", HOTLINE_RING_S="20")
    pbx.add_operator("PJSIP/op101", SimOperator(ring_s=0.5, talk_s=lambda: 60.0))
    events = EventLog()
    pbx.subscribe(events)
    agi_server.handlers["ivr"] = _ivr_sets(HOTLINE_NEXT="hold", HOTLINE_HOLD_S="30")
    call = await pbx.place_call("1414", SimCaller([], 1.0, PATIENT), "7701")
    await events.wait_for("MusicOnHoldStart")
    pbx.redirect(call.channel, "hotline-connect", "s", "1")
    enter = await events.wait_for("BridgeEnter", Channel=call.channel)
    assert dict(enter)["BridgeNumChannels"] == "2"
    assert pbx.caller_hangs_up(call.channel)
    summary = await asyncio.wait_for(call.ended, 30)
    assert summary.hung_up_by == "caller"
    assert summary.answered_at is not None
    await events.wait_for("BridgeDestroy")
    assert pbx.channel_snapshots() == []  # the operator's leg went too
    # and the operator is free again for the next call
    result = await pbx.originate(
        "PJSIP/op101",
        context="hotline-hold",
        exten="s",
        priority="1",
        application=None,
        data=None,
        variables=[],
        caller_id=None,
        timeout_ms=5000,
    )
    assert result.reason == 4


async def test_dtmf_timing_is_that_of_senddtmf(
    agi_server: ScriptedAgiServer, clock_start: float
) -> None:
    # Slow enough that a loaded machine's scheduling jitter (a few real ms) stays well inside
    # the tolerances below, which are in simulated seconds.
    clock = ScaledClock(speed=4, start=clock_start)

    pbx = SimPBX(
        clock, EXTENSIONS_CONF, {"HOTLINE_AGI": agi_server.url}, FixedSounds(1.0), random.Random(3)
    )
    times: list[tuple[str, float]] = []
    pbx.subscribe(
        lambda e: times.append((e[0][1], clock.now())) if e[0][1].startswith("DTMF") else None
    )
    replies: list[bytes] = []
    done = asyncio.Event()

    async def ivr(connection: AgiConnection) -> None:
        started = clock.now()
        replies.append(await connection.command("GET DATA prompt 3000 4"))
        times.append(("GET DATA", clock.now() - started))
        await connection.half_close_and_drain()
        done.set()

    agi_server.handlers["ivr"] = ivr
    try:
        await pbx.place_call("1414", SimCaller(["12"], think_s=0.5, patience_s=PATIENT), "7701")
        await agi_server.until(done)
    finally:
        await pbx.close()
    assert replies == [b"200 result=12 (timeout)\n"]
    stamps = [t for name, t in times if name.startswith("DTMF")]
    begin1, end1, begin2, end2 = stamps
    assert end1 - begin1 == pytest.approx(0.15, abs=0.05)
    assert begin2 - end1 == pytest.approx(0.25, abs=0.05)
    assert end2 - begin2 == pytest.approx(0.15, abs=0.05)
    # prompt 1 s, think 0.5 s, two digits (0.55 s), then the 3 s timeout after the last one
    assert times[-1][1] == pytest.approx(1.0 + 0.5 + 0.55 + 3.0, abs=0.2)


async def test_agi_hangup_command_and_env_keys_in_the_reference_order(
    reference_dir: Path, agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    _, records = load_transcript(reference_dir / "agi" / "07a-hold-visit-between-moh-loops.txt")
    reference_keys = [r.payload.split(b":")[0] for r in records if r.payload.startswith(b"agi_")]
    pbx = make_pbx(agi_server.url)
    events = EventLog()
    pbx.subscribe(events)
    replies: list[bytes] = []
    env_keys: list[bytes] = []
    done = asyncio.Event()

    async def ivr(connection: AgiConnection) -> None:
        env_keys.extend(line.split(b":")[0] for line in connection.env_bytes.splitlines() if line)
        replies.append(await connection.command("HANGUP"))
        replies.append(await connection.read_line())
        replies.append(await connection.command("ANSWER"))
        replies.append(await connection.half_close_and_drain())
        done.set()

    agi_server.handlers["ivr"] = ivr
    call = await pbx.place_call("1414", SimCaller([], 1.0, PATIENT), "7701")
    await agi_server.until(done)
    summary = await asyncio.wait_for(call.ended, 10)
    # 07a has agi_arg_1 and agi_arg_2; our ivr visit has one argument
    assert env_keys == reference_keys[:-1]
    assert replies == [
        b"200 result=1\n",
        b"HANGUP\n",
        b"511 Command Not Permitted on a dead channel or intercept routine\n",
        b"HANGUP\n",
    ]
    assert summary.hung_up_by == "system"


async def test_patience_counts_music_and_ringing_together(
    agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    # A slower clock than the other tests: the assertion measures simulated seconds, and at
    # speed 100 a loaded machine's scheduling jitter alone is worth a simulated second.
    pbx = make_pbx(
        agi_server.url, speed=20.0, HOTLINE_OPERATOR_DIAL="PJSIP/op103", HOTLINE_RING_S="60"
    )
    pbx.add_operator("PJSIP/op103", SimOperator(ring_s=None, talk_s=lambda: 1.0))
    events = EventLog()
    pbx.subscribe(events)
    agi_server.handlers["ivr"] = _ivr_sets(HOTLINE_NEXT="hold", HOTLINE_HOLD_S="30")
    call = await pbx.place_call("1414", SimCaller([], 1.0, patience_s=4.0), "7701")
    await events.wait_for("MusicOnHoldStart")
    on_hold_since = pbx.clock.now()
    await pbx.clock.sleep(2.0)
    pbx.redirect(call.channel, "hotline-connect", "s", "1")
    summary = await asyncio.wait_for(call.ended, 30)
    cancel = await events.wait_for("DialEnd", Channel=call.channel)
    assert dict(cancel)["DialStatus"] == "CANCEL"
    assert summary.hung_up_by == "caller"
    # about 2 s of music plus 2 s of ringing, not 4 s of ringing
    assert 3.5 <= summary.ended_at - on_hold_since < 5.5  # 6 if ringing restarted it


async def test_originate_into_hotline_callback_dials_the_number_from_the_operator_channel(
    agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pbx = make_pbx(agi_server.url)
    pbx.add_operator("PJSIP/op101", SimOperator(ring_s=0.5, talk_s=lambda: 60.0))
    pbx.add_operator("PJSIP/+77010000001@trunk", SimOperator(ring_s=0.5, talk_s=lambda: 1.0))
    pbx.add_operator(
        "PJSIP/+77010000002@trunk", SimOperator(ring_s=0.5, talk_s=lambda: 1.0, busy=True)
    )
    events = EventLog()
    pbx.subscribe(events)

    async def call_back(number: str, channel_id: str) -> OriginateResult:
        return await pbx.originate(
            "PJSIP/op101",
            context="hotline-callback",
            exten="s",
            priority="1",
            application=None,
            data=None,
            variables=[
                ("HOTLINE_CALL_ID", "cb-1"),
                ("HOTLINE_CALLBACK_DIAL", f"PJSIP/{number}@trunk"),
                ("HOTLINE_LANG", "ru"),
                ("HOTLINE_RING_S", "5"),
            ],
            caller_id='"call-back" <1414>',
            timeout_ms=3000,
            channel_id=channel_id,
        )

    answered = await call_back("+77010000001", "cb-1-1")
    # The ChannelId is the operator channel's Uniqueid, and a second Originate of it is
    # refused while that channel is up.
    assert (answered.response, answered.reason, answered.uniqueid) == ("Success", 4, "cb-1-1")
    again = await call_back("+77010000001", "cb-1-1")
    assert (again.response, again.reason) == ("Failure", 0)
    end = await events.wait_for("DialEnd", Uniqueid="cb-1-1")
    assert dict(end)["DialStatus"] == "ANSWER"
    played = [dict(e)["Value"] for e in events.matching("VarSet", Uniqueid="cb-1-1")]
    assert "SUCCESS" in played  # the operator's prompt, before the Dial
    await events.wait_for("Hangup", Uniqueid="cb-1-1")
    assert len(events.matching("DialBegin", DialString="+77010000001@trunk")) == 1

    # A busy line: DialEnd BUSY at once, and the callee's leg hangs up with cause 17.
    await call_back("+77010000002", "cb-2-1")
    busy = dict(await events.wait_for("DialEnd", Uniqueid="cb-2-1"))
    assert busy["DialStatus"] == "BUSY"
    leg = dict(await events.wait_for("Hangup", Channel=busy["DestChannel"]))
    assert (leg["Cause"], leg["Cause-txt"]) == ("17", "User busy")
    # An Originate to a busy phone fails with reason 5.
    pbx.add_operator("PJSIP/op102", SimOperator(ring_s=0.5, talk_s=lambda: 1.0, busy=True))
    refused = await pbx.originate(
        "PJSIP/op102",
        context="hotline-callback",
        exten="s",
        priority="1",
        application=None,
        data=None,
        variables=[],
        caller_id=None,
        timeout_ms=3000,
    )
    assert (refused.response, refused.reason) == ("Failure", 5)
