"""The FastAGI server and session over real TCP, against a scripted fake Asterisk."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from agi_helpers import FakeAsterisk, ServerFactory, env_and_rest, load_transcript, replay

from hotline.agi.errors import AgiCommandError, AgiHangup
from hotline.agi.session import AgiSession, GetDataResult, StreamResult

DEAD = "511 Command Not Permitted on a dead channel or intercept routine"


async def connect(port: int, fakes: list[FakeAsterisk], transcript: str = "01") -> FakeAsterisk:
    """A fake Asterisk that has sent the env block of `transcript`."""
    fake = await FakeAsterisk.connect(port)
    fakes.append(fake)
    env, _ = env_and_rest(load_transcript(transcript))
    await fake.send(env)
    return fake


# -- replays of captured sessions ------------------------------------------------------


async def test_replays_the_timeouts_session(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    seen: dict[str, Any] = {}

    async def ivr(session: AgiSession) -> None:
        await session.answer()
        seen["nothing"] = await session.get_data("silence/1", 3000, 4)
        seen["wait"] = await session.wait_for_digit(2000)
        seen["one"] = await session.get_data("silence/1", 4000, 4)
        seen["stream"] = await session.stream_file("silence/1", "0123456789*#")

    server, port = await start_server({"ivr": ivr})
    env, rest = env_and_rest(load_transcript("02"))
    fake = await FakeAsterisk.connect(port)
    fake_asterisks.append(fake)
    await fake.send(env)
    await replay(fake, rest)
    await server.wait_idle()
    assert seen == {
        "nothing": GetDataResult(digits="", timed_out=True),
        "wait": None,
        "one": GetDataResult(digits="5", timed_out=True),
        "stream": StreamResult(digit=None, endpos=8000, missing=False),
    }


async def test_replays_the_queue_handoff(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    seen: dict[str, Any] = {}

    async def ivr(session: AgiSession) -> None:
        seen["args"] = session.env.args
        await session.answer()
        seen["choice"] = await session.get_data("hotline-welcome", 6000, 1)
        await session.set_variable("QUEUE_NAME", "hotline")

    server, port = await start_server({"ivr": ivr})
    env, rest = env_and_rest(load_transcript("05"))
    fake = await FakeAsterisk.connect(port)
    fake_asterisks.append(fake)
    await fake.send(env)
    await replay(fake, rest)
    await server.wait_idle()
    assert seen == {"args": ("queue",), "choice": GetDataResult("1", timed_out=False)}


async def test_replays_a_hold_visit(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    visits: list[tuple[str, ...]] = []

    async def holdprobe(session: AgiSession) -> None:
        visits.append(session.env.args)
        await session.verbose(f"holdprobe visit {session.env.args[1]}")

    server, port = await start_server({"holdprobe": holdprobe})
    env, rest = env_and_rest(load_transcript("07a"))
    fake = await FakeAsterisk.connect(port)
    fake_asterisks.append(fake)
    await fake.send(env)
    await replay(fake, rest)
    await server.wait_idle()
    assert visits == [("visit", "1")]


# -- hangups ---------------------------------------------------------------------------


async def test_caller_hangup_during_get_data(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    """agi/03: `200 result=-1` then `HANGUP`; then only dead-channel commands go out."""
    seen: dict[str, Any] = {}

    async def ivr(session: AgiSession) -> None:
        await session.answer()
        with pytest.raises(AgiHangup):
            await session.get_data("silence/1", 15000, 4)
        seen["dead"] = session.dead
        await session.verbose("caller gone")
        seen["channel"] = await session.get_variable("CHANNEL")
        with pytest.raises(AgiHangup):
            await session.stream_file("silence/1")  # refused here, never sent
        seen["done"] = True

    server, port = await start_server({"ivr": ivr})
    fake = await connect(port, fake_asterisks, "03")
    await fake.expect("ANSWER", "200 result=0")
    await fake.expect("GET DATA silence/1 15000 4", "200 result=-1", "HANGUP")
    await fake.expect('VERBOSE "caller gone" 1', "200 result=1")
    await fake.expect("GET VARIABLE CHANNEL", "200 result=1 (Local/s@caller-sim-00000006;1)")
    await fake.expect_half_close()  # no STREAM FILE in between
    await server.wait_idle()
    assert seen == {"dead": True, "channel": "Local/s@caller-sim-00000006;1", "done": True}


async def test_a_511_marks_the_channel_dead(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    seen: list[str] = []

    async def ivr(session: AgiSession) -> None:
        try:
            await session.wait_for_digit(1000)
        except AgiHangup:
            seen.append(f"hangup dead={session.dead}")
        try:
            await session.answer()
        except AgiHangup:
            seen.append("answer refused")

    server, port = await start_server({"ivr": ivr})
    fake = await connect(port, fake_asterisks)
    await fake.expect("WAIT FOR DIGIT 1000", DEAD)
    await fake.expect_half_close()
    await server.wait_idle()
    assert seen == ["hangup dead=True", "answer refused"]


async def test_a_redirect_while_idle_sends_hangup_alone(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    """agi/08b: a bare HANGUP arrives before the next command's answer."""
    seen: list[Any] = []

    async def ivr(session: AgiSession) -> None:
        seen.append(await session.exec("StartMusicOnHold", "default"))
        seen.append(await session.get_full_variable("${CONTEXT},${EXTEN},${PRIORITY}"))
        seen.append(session.dead)

    server, port = await start_server({"ivr": ivr})
    fake = await connect(port, fake_asterisks)
    await fake.expect("EXEC StartMusicOnHold default", "200 result=0")
    await fake.expect(
        'GET FULL VARIABLE "${CONTEXT},${EXTEN},${PRIORITY}"',
        "HANGUP",
        "200 result=1 (holdprobe-connect,op,1)",
    )
    await fake.expect_half_close()
    await server.wait_idle()
    assert seen == [0, "holdprobe-connect,op,1", True]


async def test_minus_one_without_hangup_is_a_missing_file(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    seen: list[Any] = []

    async def ivr(session: AgiSession) -> None:
        seen.append(await session.stream_file("no-such-prompt"))
        seen.append(session.dead)
        with pytest.raises(AgiCommandError) as unknown:
            await session.exec("NoSuchApplication", "foo")
        seen.append(unknown.value.message)

    server, port = await start_server({"ivr": ivr})
    fake = await connect(port, fake_asterisks)
    await fake.expect('STREAM FILE no-such-prompt ""', "200 result=-1 endpos=0")
    await fake.expect("EXEC NoSuchApplication foo", "200 result=-2")
    await fake.expect_half_close()
    await server.wait_idle()
    assert seen == [StreamResult(None, 0, missing=True), False, "no such application"]


async def test_asterisk_disappearing_mid_command_is_a_hangup(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    seen: list[str] = []

    async def ivr(session: AgiSession) -> None:
        try:
            await session.answer()
        except AgiHangup as exc:
            seen.append(type(exc).__name__)
        seen.append(f"dead={session.dead}")

    server, port = await start_server({"ivr": ivr})
    fake = await connect(port, fake_asterisks)
    assert await fake.read_command() == b"ANSWER\n"
    await fake.close()
    await asyncio.wait_for(server.wait_idle(), 5)
    assert seen == ["AgiHangup", "dead=True"]


# -- failures of ours ------------------------------------------------------------------


async def test_a_raising_handler_sends_the_caller_to_fallback(
    start_server: ServerFactory,
    fake_asterisks: list[FakeAsterisk],
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def ivr(session: AgiSession) -> None:
        await session.answer()
        raise RuntimeError("bug in a menu branch")

    server, port = await start_server({"ivr": ivr})
    fake = await connect(port, fake_asterisks)
    with caplog.at_level(logging.ERROR, logger="hotline.agi.server"):
        await fake.expect("ANSWER", "200 result=0")
        await fake.expect("SET VARIABLE HOTLINE_NEXT fallback", "200 result=1")
        await fake.expect_half_close()
        await server.wait_idle()
    failures = [r for r in caplog.records if r.exc_info]
    assert len(failures) == 1
    assert "bug in a menu branch" in str(failures[0].exc_info[1])  # type: ignore[index]


async def test_an_unknown_script_goes_to_fallback(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    async def ivr(session: AgiSession) -> None:
        raise AssertionError("not this one")

    server, port = await start_server({"ivr": ivr})
    fake = await FakeAsterisk.connect(port)
    fake_asterisks.append(fake)
    env, _ = env_and_rest(load_transcript("01"))
    await fake.send(env.replace(b"ivr\n", b"nosuch\n"))
    verbose = await fake.read_command()
    assert verbose.startswith(b"VERBOSE ")
    assert b"nosuch" in verbose
    await fake.send(b"200 result=1\n")
    await fake.expect("SET VARIABLE HOTLINE_NEXT fallback", "200 result=1")
    await fake.expect_half_close()
    await server.wait_idle()


async def test_one_command_at_a_time(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    async def ivr(session: AgiSession) -> None:
        await asyncio.gather(session.verbose("first"), session.verbose("second"))

    server, port = await start_server({"ivr": ivr})
    fake = await connect(port, fake_asterisks)
    first = await fake.read_command()
    with pytest.raises(TimeoutError):  # the second waits for the first's answer
        await asyncio.wait_for(fake.reader.readline(), 0.2)
    await fake.send(b"200 result=1\n")
    second = await fake.read_command()
    assert {first, second} == {b"VERBOSE first 1\n", b"VERBOSE second 1\n"}
    await fake.send(b"200 result=1\n")
    await fake.expect_half_close()
    await server.wait_idle()


# -- connections that never become sessions ---------------------------------------------


async def test_a_health_check_is_dropped_and_the_loop_stays_responsive(
    start_server: ServerFactory,
    fake_asterisks: list[FakeAsterisk],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """panoramisk's fast_agi spins forever on this; ours logs it and forgets it."""
    served: list[str] = []

    async def ivr(session: AgiSession) -> None:
        served.append(session.env.channel)

    server, port = await start_server({"ivr": ivr})
    with caplog.at_level(logging.INFO, logger="hotline.agi.server"):
        probe = await FakeAsterisk.connect(port)  # connect and close, no bytes
        await probe.close()
        partial = await FakeAsterisk.connect(port)  # half an env block, then gone
        await partial.send(b"agi_network: yes\nagi_network_scr")
        await partial.close()
        await asyncio.wait_for(server.wait_idle(), 2)
        fake = await connect(port, fake_asterisks)
        await asyncio.wait_for(fake.expect_half_close(), 2)
        await asyncio.wait_for(server.wait_idle(), 2)
    dropped = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 2
    assert "before the env block ended" in dropped[0].getMessage()
    assert served == ["Local/s@caller-sim-00000001;1"]


async def test_a_slow_env_block_is_dropped(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    server, port = await start_server({}, env_timeout_s=0.2)
    fake = await FakeAsterisk.connect(port)
    fake_asterisks.append(fake)
    await fake.send(b"agi_network: yes\n")
    assert await fake.read_command() == b""  # the server closed on us
    await asyncio.wait_for(server.wait_idle(), 2)


async def test_a_huge_env_block_is_dropped(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    server, port = await start_server({}, env_max_bytes=1024)
    fake = await FakeAsterisk.connect(port)
    fake_asterisks.append(fake)
    await fake.send(b"".join(b"agi_x%d: %s\n" % (n, b"y" * 100) for n in range(20)))
    assert await fake.read_command() == b""
    await asyncio.wait_for(server.wait_idle(), 2)


# -- ending sessions -------------------------------------------------------------------


async def test_session_ends_promptly_even_if_asterisk_never_closes(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    async def ivr(session: AgiSession) -> None:
        await session.set_variable("HOTLINE_NEXT", "hold")

    server, port = await start_server({"ivr": ivr}, drain_timeout_s=0.2)
    fake = await connect(port, fake_asterisks)
    await fake.expect("SET VARIABLE HOTLINE_NEXT hold", "200 result=1")
    assert await fake.read_command() == b""  # half-closed; we neither answer nor close
    await asyncio.wait_for(server.wait_idle(), 2)


async def test_close_cancels_a_stuck_handler_within_its_bound(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def ivr(session: AgiSession) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    server, port = await start_server({"ivr": ivr}, close_timeout_s=0.2, drain_timeout_s=0.2)
    await connect(port, fake_asterisks)
    await asyncio.wait_for(started.wait(), 2)
    await asyncio.wait_for(server.close(), 3)
    assert cancelled.is_set()
    assert server.active_sessions == 0


async def test_usage_errors_raise_with_the_command(
    start_server: ServerFactory, fake_asterisks: list[FakeAsterisk]
) -> None:
    errors: list[AgiCommandError] = []

    async def ivr(session: AgiSession) -> None:
        try:
            await session.set_variable("ONLYNAME", "")
        except AgiCommandError as exc:
            errors.append(exc)
        await session.verbose("still usable")

    server, port = await start_server({"ivr": ivr})
    fake = await connect(port, fake_asterisks)
    await fake.expect(
        'SET VARIABLE ONLYNAME ""',
        "520-Invalid command syntax.  Proper usage follows:",
        "Sets a variable to the current channel.",
        "520 End of proper usage.",
    )
    await fake.expect('VERBOSE "still usable" 1', "200 result=1")
    await fake.expect_half_close()
    await server.wait_idle()
    assert [(e.code, e.command) for e in errors] == [(520, 'SET VARIABLE ONLYNAME ""')]
