"""The FastAGI client against the Asterisk 22.10.1 captures, byte for byte.

Each test plays the server side of one reference session (agi/NN) against a call that
runs the real extensions.conf, and compares what the simulated Asterisk answers with what
the real one sent. Channel names and uniqueids differ by construction and are mapped.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sim_helpers import AgiConnection, EventLog, PbxFactory, ScriptedAgiServer

from hotline.sim import FixedSounds, SimCaller, SimOperator
from hotline.sim.channel import SimChannel
from hotline.sim.fastagi_client import env_block
from hotline.sim.transcripts import Record, load_transcript

PATIENT = 1000.0


def _exchanges(records: list[Record]) -> list[tuple[bytes, list[bytes]]]:
    """(command sent by the AGI, reply lines from Asterisk) after the env block."""
    blank = next(i for i, r in enumerate(records) if r.payload == b"\n")
    pairs: list[tuple[bytes, list[bytes]]] = []
    for record in records[blank + 1 :]:
        if record.direction.startswith("note:agi-half-close"):
            break  # what follows is the end-of-session HANGUP, checked separately
        if record.direction == "agi->asterisk":
            pairs.append((record.payload, []))
        elif record.direction == "asterisk->agi" and pairs:
            pairs[-1][1].append(record.payload)
    return pairs


def _reference(reference_dir: Path, name: str) -> list[Record]:
    return load_transcript(reference_dir / "agi" / name)[1]


def test_env_block_matches_agi_01_byte_for_byte(reference_dir: Path) -> None:
    records = _reference(reference_dir, "01-full-session.txt")
    blank = next(i for i, r in enumerate(records) if r.payload == b"\n")
    expected = b"".join(r.payload for r in records[: blank + 1])
    channel = SimChannel(
        name="Local/s@caller-sim-00000001;1",
        uniqueid="1795316039.2",
        linkedid="1795316039.2",
        created_at=0.0,
        context="hotline",
        exten="1414",
        priority=3,
        cid_num="5551234",
        cid_name="Test Caller",
    )
    block = env_block(channel, "agi://127.0.0.1:4573/ivr", "ivr", ["full"], 139960808470208)
    assert block == expected


async def _replay(
    connection: AgiConnection, pairs: list[tuple[bytes, list[bytes]]], mapping: dict[bytes, bytes]
) -> None:
    for command, replies in pairs:
        await connection.send(command)
        for expected in replies:
            try:
                line = await connection.read_line()
            except TimeoutError:
                raise AssertionError(f"no reply to {command!r}, expected {expected!r}") from None
            for ours, theirs in mapping.items():
                line = line.replace(ours, theirs)
            assert line == expected, f"after {command!r}"


async def test_full_session_of_agi_01_gets_the_same_replies(
    reference_dir: Path, agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pairs = _exchanges(_reference(reference_dir, "01-full-session.txt"))
    # agi/01 pipelines nothing; drop nothing. The caller pressed 123# and then 7.
    pbx = make_pbx(agi_server.url, FixedSounds(duration_s=1.0, missing={"no-such-prompt"}))
    events = EventLog()
    pbx.subscribe(events)
    finished = asyncio.Event()
    tail: list[bytes] = []

    async def ivr(connection: AgiConnection) -> None:
        mapping = {connection.env["agi_channel"].encode(): b"Local/s@caller-sim-00000001;1"}
        await _replay(connection, pairs, mapping)
        tail.append(await connection.half_close_and_drain())
        finished.set()

    agi_server.handlers["ivr"] = ivr
    call = await pbx.place_call(
        "1414", SimCaller(["123#", "7"], 1.0, PATIENT), "5551234", "Test Caller"
    )
    await agi_server.until(finished)
    assert tail == [b"HANGUP\n"]
    # a STREAM FILE of a missing file makes the session a FAILURE (ami/06)
    await events.wait_for("VarSet", Variable="AGISTATUS", Value="FAILURE")
    assert [dict(e)["Digit"] for e in events.matching("DTMFEnd")] == ["1", "2", "3", "#", "7"]
    summary = await asyncio.wait_for(call.ended, 30)
    assert summary.hung_up_by == "system"


async def test_timeouts_of_agi_02_and_get_data_timeout_starts_after_the_prompt(
    reference_dir: Path, agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pairs = _exchanges(_reference(reference_dir, "02-timeouts.txt"))
    # The upper bounds below leave 2 simulated seconds for the round trips: 20 real ms at
    # the suite's speed 100, less than a loaded machine's hiccups; 200 ms at speed 10.
    pbx = make_pbx(agi_server.url, speed=10.0)
    elapsed: list[float] = []
    finished = asyncio.Event()

    async def ivr(connection: AgiConnection) -> None:
        for command, replies in pairs:
            started = pbx.clock.now()
            await _replay(connection, [(command, replies)], {})
            elapsed.append(pbx.clock.now() - started)
        assert await connection.half_close_and_drain() == b"HANGUP\n"
        finished.set()

    agi_server.handlers["ivr"] = ivr
    caller = SimCaller(["", "", "5", ""], think_s=0.5, patience_s=PATIENT)
    await pbx.place_call("1414", caller, "5551234")
    await agi_server.until(finished)
    # GET DATA silence/1 3000 4: 1 s of prompt, then the 3 s timeout (agi/02: 4.0 s)
    assert 3.9 <= elapsed[1] < 6.0
    # WAIT FOR DIGIT 2000 with nothing pressed
    assert 1.9 <= elapsed[2] < 4.0


async def test_caller_hangup_during_get_data_as_in_agi_03(
    reference_dir: Path, agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pairs = _exchanges(_reference(reference_dir, "03-caller-hangup-during-get-data.txt"))
    pbx = make_pbx(agi_server.url)
    events = EventLog()
    pbx.subscribe(events)
    finished = asyncio.Event()
    channel_alive_while_dead: list[bool] = []

    async def ivr(connection: AgiConnection) -> None:
        name = connection.env["agi_channel"]
        mapping = {name.encode(): b"Local/s@caller-sim-00000006;1"}
        answer, get_data, *after = pairs
        await _replay(connection, [answer], mapping)
        await connection.send(get_data[0])
        await events.wait_for("AGIExecStart", Command="GET DATA silence/1 15000 4")
        assert pbx.caller_hangs_up(name)
        assert [await connection.read_line() for _ in get_data[1]] == get_data[1]
        await _replay(connection, after, mapping)
        channel_alive_while_dead.append(pbx.has_channel(name))
        assert await connection.half_close_and_drain() == b"HANGUP\n"
        finished.set()

    agi_server.handlers["ivr"] = ivr
    call = await pbx.place_call("1414", SimCaller([], 1.0, PATIENT), "5551234")
    await agi_server.until(finished)
    summary = await asyncio.wait_for(call.ended, 30)
    assert channel_alive_while_dead == [True]  # Asterisk waits for the AGI to close
    assert summary.hung_up_by == "caller"
    assert events.matching("VarSet", Variable="AGISTATUS", Value="HANGUP")
    # nothing after AGI() runs: the next Newexten never comes
    assert not events.matching("Newexten", Application="GotoIf")


async def test_redirect_during_wait_for_digit_as_in_agi_08a(
    reference_dir: Path, agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pairs = _exchanges(_reference(reference_dir, "08a-redirect-during-wait-for-digit.txt"))
    pbx = make_pbx(agi_server.url)
    events = EventLog()
    pbx.subscribe(events)
    finished = asyncio.Event()
    # the reference context/exten/priority are holdprobe,2002,3 and the target
    # holdprobe-connect,op,1; ours are hotline-ivr,s,3 and hotline-connect,s,1
    mapping = {
        b"(hotline-ivr,s,3)": b"(holdprobe,2002,3)",
        b"(hotline-connect,s,1)": b"(holdprobe-connect,op,1)",
    }

    async def ivr(connection: AgiConnection) -> None:
        name = connection.env["agi_channel"]
        first, wait1, wait2, wait3, *after = pairs
        await _replay(connection, [first, wait1, wait2], mapping)
        await connection.send(wait3[0])
        await events.wait_until(lambda: _waits_started(events) == 3)
        assert pbx.redirect(name, "hotline-connect", "s", "1")
        assert [await connection.read_line() for _ in wait3[1]] == wait3[1]
        await _replay(connection, after, mapping)
        assert not events.matching("Newexten", Context="hotline-connect")  # not before close
        assert await connection.half_close_and_drain() == b"HANGUP\n"
        finished.set()

    agi_server.handlers["ivr"] = ivr
    pbx.setvar(None, "HOTLINE_OPERATOR_DIAL", "PJSIP/nobody")
    await pbx.place_call("1414", SimCaller([], 1.0, PATIENT), "5551234")
    await agi_server.until(finished)
    moved = await events.wait_for("Newexten", Context="hotline-connect")
    status = events.matching("VarSet", Variable="AGISTATUS")
    assert [dict(e)["Value"] for e in status] == ["HANGUP"]
    # the AGISTATUS VarSet still shows the old place; the target's Newexten follows it
    assert dict(status[0])["Context"] == "hotline-ivr"
    assert events.events.index(status[0]) < events.events.index(moved)


def _waits_started(events: EventLog) -> int:
    return sum(dict(e)["Command"].startswith("WAIT") for e in events.matching("AGIExecStart"))


async def test_crlf_quoting_and_case_of_agi_06(
    reference_dir: Path, agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pairs = _exchanges(_reference(reference_dir, "06-edge-cases-pipelining-crlf-quoting.txt"))
    # Skip the pipelined GET DATA+VERBOSE write and the CHANNEL STATUS\r\n that carried the
    # late VERBOSE reply: we answer every command line in turn (see the module docstring of
    # hotline.sim.fastagi_client); CHANNEL STATUS\r\n alone is checked below.
    answer, _pipelined, _late, *rest = pairs
    pbx = make_pbx(agi_server.url)
    finished = asyncio.Event()

    async def ivr(connection: AgiConnection) -> None:
        mapping = {connection.env["agi_channel"].encode(): b"Local/s@caller-sim-00000015;1"}
        await _replay(
            connection,
            [answer, (b"CHANNEL STATUS\r\n", [b"510 Invalid or unknown command\n"])],
            mapping,
        )
        await _replay(connection, rest, mapping)
        assert await connection.half_close_and_drain() == b"HANGUP\n"
        finished.set()

    agi_server.handlers["ivr"] = ivr
    await pbx.place_call("1414", SimCaller([], 1.0, PATIENT), "5551234", "Test Caller")
    await agi_server.until(finished)


async def test_escape_digit_max_digits_and_full_close_of_agi_04(
    reference_dir: Path, agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    answer, stream, get_data, say = _exchanges(
        _reference(reference_dir, "04-escape-digit-maxdigits-hard-close.txt")
    )
    # The "9" must land inside the 5 s file: at the suite's speed 100 that is 50 real ms,
    # which a loaded machine's scheduling outlasts; at speed 10 the file lasts half a second.
    pbx = make_pbx(agi_server.url, FixedSounds(duration_s=5.0), speed=10.0)
    events = EventLog()
    pbx.subscribe(events)
    finished = asyncio.Event()

    async def ivr(connection: AgiConnection) -> None:
        await _replay(connection, [answer], {})
        await connection.send(stream[0])
        reply = await connection.read_line()
        result, endpos = reply.split(b" ")[1:]
        assert result == b"result=57"  # "9", as in the reference's 200 result=57 endpos=18080
        assert 0 < int(endpos.split(b"=")[1]) < 5 * 8000
        await _replay(connection, [get_data, say], {})
        connection.writer.close()  # a full close, no half-close
        finished.set()

    agi_server.handlers["ivr"] = ivr
    # a negative think time barges in: "9" lands about 2.3 s into the 5 s file
    caller = SimCaller(["9", "42"], think_s=-2.9, patience_s=PATIENT)
    await pbx.place_call("1414", caller, "5551234")
    await agi_server.until(finished)
    status = await events.wait_for("VarSet", Variable="AGISTATUS")
    assert dict(status)["Value"] == "SUCCESS"
    assert events.matching("VarSet", Variable="PLAYBACKSTATUS", Value="FAILED")


async def test_redirect_while_idle_with_moh_as_in_agi_08b(
    reference_dir: Path, agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    (start_moh,) = _exchanges(_reference(reference_dir, "08b-redirect-during-idle-with-moh.txt"))
    assert start_moh[0] == b"EXEC StartMusicOnHold default\n"
    pbx = make_pbx(agi_server.url)
    events = EventLog()
    pbx.subscribe(events)
    finished = asyncio.Event()

    async def ivr(connection: AgiConnection) -> None:
        await _replay(connection, [(start_moh[0], start_moh[1][:1])], {})
        await events.wait_for("MusicOnHoldStart")
        assert pbx.redirect(connection.env["agi_channel"], "hotline-connect", "s", "1")
        # the music stops at once, before the server has closed the session (ami/21b)
        await events.wait_for("MusicOnHoldStop")
        assert await connection.read_line() == b"HANGUP\n"
        assert await connection.half_close_and_drain() == b"HANGUP\n"
        finished.set()

    agi_server.handlers["ivr"] = ivr
    await pbx.place_call("1414", SimCaller([], 1.0, PATIENT), "5551234")
    await agi_server.until(finished)
    await events.wait_for("Newexten", Context="hotline-connect")


async def test_moh_from_agi_stops_on_stream_file_and_set_music_as_in_agi_09(
    agi_server: ScriptedAgiServer, make_pbx: PbxFactory
) -> None:
    pbx = make_pbx(agi_server.url)
    events = EventLog()
    pbx.subscribe(events)
    finished = asyncio.Event()
    replies: list[bytes] = []

    async def ivr(connection: AgiConnection) -> None:
        for command in (
            "EXEC StartMusicOnHold default",
            "WAIT FOR DIGIT 3000",
            'STREAM FILE silence/2 ""',
            "EXEC StopMusicOnHold",
            "SET MUSIC ON default",
            "SET MUSIC OFF",
        ):
            replies.append(await connection.command(command))
        assert await connection.half_close_and_drain() == b"HANGUP\n"
        finished.set()

    agi_server.handlers["ivr"] = ivr
    await pbx.place_call("1414", SimCaller(["5"], 0.5, PATIENT), "5551234")
    await agi_server.until(finished)
    assert replies == [
        b"200 result=0\n",
        b"200 result=53\n",
        b"200 result=0 endpos=8000\n",
        b"200 result=0\n",
        b"200 result=0\n",
        b"200 result=0\n",
    ]
    # StartMusicOnHold, STREAM FILE stopped it; StopMusicOnHold had nothing to stop;
    # SET MUSIC ON and OFF are one more start and stop
    assert len(events.matching("MusicOnHoldStart")) == 2
    assert len(events.matching("MusicOnHoldStop")) == 2


async def test_refused_connection_fails_at_once_and_falls_back(make_pbx: PbxFactory) -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    pbx = make_pbx(f"agi://127.0.0.1:{port}")
    pbx.add_operator("PJSIP/duty", SimOperator(ring_s=1.0, talk_s=lambda: 3.0))
    events = EventLog()
    pbx.subscribe(events)
    call = await pbx.place_call("400100", SimCaller([], 1.0, PATIENT), "77011234567")
    summary = await asyncio.wait_for(call.ended, 30)
    assert [dict(e)["Value"] for e in events.matching("VarSet", Variable="AGISTATUS")] == [
        "FAILURE"
    ]
    assert not events.matching("AGIExecStart")
    fallback = [
        (e["Application"], e["AppData"])
        for e in map(dict, events.matching("Newexten", Context="hotline-fallback"))
        if e["Application"] in ("Playback", "Dial")
    ]
    # The caller hears why before the duty group rings.
    assert fallback == [
        ("Playback", "hotline/kk/fallback-connecting"),
        ("Dial", "PJSIP/duty,60"),
    ]
    # Dial without `g`: when the duty operator hangs up, so does the call
    assert summary.operator == "PJSIP/duty"
    assert summary.answered_at is not None
    assert summary.hung_up_by == "operator"
