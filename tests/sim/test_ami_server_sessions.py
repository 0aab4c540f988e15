"""The AMI server's sessions: event forwarding and masks, reply-before-events ordering,
Originate (sync and async), Hangup by regex, robustness against bad or slow clients."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator

import pytest
from test_ami_server_fakes import AmiTestClient, FakeOriginateResult, FakePbx, events_named

from hotline.clock import ScaledClock
from hotline.sim.ami_server import AmiServer
from hotline.sim.ami_wire import Headers

USERS = {"ivrtest": "ivrtest-secret"}
NEWCHANNEL: Headers = [
    ("Event", "Newchannel"),
    ("Privilege", "call,all"),
    ("Channel", "Local/s@caller-sim-00000001;1"),
]
NEWEXTEN: Headers = [
    ("Event", "Newexten"),
    ("Privilege", "dialplan,all"),
    ("Channel", "Local/s@caller-sim-00000001;1"),
]
LONG_CALL: Headers = [
    ("Channel", "Local/s@caller-sim-00000013;1"),
    ("Uniqueid", "1795316208.38"),
    ("Linkedid", "1795316208.38"),
]


class Harness:
    def __init__(self, pbx: FakePbx, server: AmiServer, port: int) -> None:
        self.pbx = pbx
        self.server = server
        self.port = port
        self.clients: list[AmiTestClient] = []

    async def client(self, *, login: bool = True, events: str | None = None) -> AmiTestClient:
        client = await AmiTestClient.connect(self.port)
        self.clients.append(client)
        await client.wait_count(1, lambda m: True)
        if login:
            extra = [("Events", events)] if events is not None else []
            await client.action(
                ("Action", "Login"),
                ("Username", "ivrtest"),
                ("Secret", "ivrtest-secret"),
                ("ActionID", "login"),
                *extra,
            )
            assert b"Authentication accepted" in await client.reply("login")
        return client


@pytest.fixture
async def ami() -> AsyncIterator[Harness]:
    pbx = FakePbx()
    server = AmiServer(pbx, USERS, ScaledClock(speed=1000), max_queued=200)
    harness = Harness(pbx, server, await server.start())
    yield harness
    for client in harness.clients:
        await client.close()
    await server.close()


async def ping(client: AmiTestClient, action_id: str) -> None:
    await client.action(("Action", "Ping"), ("ActionID", action_id))
    await client.reply(action_id)


async def test_events_reach_logged_in_sessions_only(ami: Harness) -> None:
    watcher = await ami.client()
    stranger = await ami.client(login=False)
    ami.pbx.emit(NEWCHANNEL)
    await ping(watcher, "p1")
    await ping(stranger, "p2")  # Ping before Login: Permission denied, but a reply
    assert len(events_named(watcher.messages(), "Newchannel")) == 1
    assert events_named(stranger.messages(), "Newchannel") == []
    assert b"Permission denied" in await stranger.reply("p2")


async def test_event_mask_filters_by_privilege_class(ami: Harness) -> None:
    client = await ami.client(events="off")
    assert events_named(client.messages(), "FullyBooted") == []
    await client.action(("Action", "Events"), ("EventMask", "call"), ("ActionID", "ev"))
    assert b"Events: On" in await client.reply("ev")
    ami.pbx.emit(NEWEXTEN)
    ami.pbx.emit(NEWCHANNEL)
    await ping(client, "p")
    assert events_named(client.messages(), "Newexten") == []
    assert len(events_named(client.messages(), "Newchannel")) == 1
    await client.action(("Action", "Events"), ("EventMask", ""), ("ActionID", "bad"))
    assert b"Message: Invalid event mask" in await client.reply("bad")


async def test_reply_comes_before_the_events_the_action_caused(ami: Harness) -> None:
    ami.pbx.channels["Local/s@caller-sim-00000013;1"] = LONG_CALL
    client = await ami.client()
    await client.action(
        ("Action", "Setvar"),
        ("Channel", "Local/s@caller-sim-00000013;1"),
        ("Variable", "HOTLINE_OPERATOR"),
        ("Value", "op1"),
        ("ActionID", "set"),
    )
    await client.action(("Action", "Hangup"), ("Channel", LONG_CALL[0][1]), ("ActionID", "h"))
    await client.reply("h")
    messages = await client.wait_for(lambda m: len(events_named(m, "Hangup")) == 1)
    kinds = [m.split(b"\r\n")[0] for m in messages[4:]]
    assert kinds == [
        b"Response: Success",
        b"Event: VarSet",
        b"Response: Success",
        b"Event: Hangup",
    ]
    assert ami.pbx.variables[("Local/s@caller-sim-00000013;1", "HOTLINE_OPERATOR")] == "op1"
    assert ami.pbx.hangups == [("Local/s@caller-sim-00000013;1", 16)]


async def test_sync_originate_answers_when_the_outcome_is_known(ami: Harness) -> None:
    ami.pbx.originate_gate = asyncio.Event()
    ami.pbx.originate_events = [NEWCHANNEL]
    ami.pbx.outcomes["Local/nosuch@caller-sim"] = [
        FakeOriginateResult("Failure", 0, "Local/nosuch@caller-sim", None)
    ]
    client = await ami.client()
    await client.action(
        ("Action", "Originate"),
        ("ActionID", "sync"),
        ("Channel", "Local/nosuch@caller-sim"),
        ("Context", "hotline"),
        ("Exten", "1414"),
        ("Priority", "1"),
        ("Timeout", "5000"),
    )
    await client.action(("Action", "Ping"), ("ActionID", "meanwhile"))
    ami.pbx.originate_gate.set()
    reply = await client.reply("sync")
    # one action at a time: the Ping waited behind the Originate
    pong = await client.reply("meanwhile")
    assert client.messages().index(reply) < client.messages().index(pong)
    messages = await client.wait_for(lambda m: len(events_named(m, "Newchannel")) == 1)
    assert reply == b"Response: Error\r\nActionID: sync\r\nMessage: Originate failed\r\n\r\n"
    order = [m for m in messages if b"ActionID: sync" in m or m.startswith(b"Event: Newch")]
    assert order[0] == reply  # the failed attempt's events follow the reply
    assert ami.pbx.originates[0].kwargs["timeout_ms"] == 5000


async def test_async_originate_reports_to_every_session(ami: Harness) -> None:
    ami.pbx.originate_gate = asyncio.Event()
    ami.pbx.outcomes["Local/s@caller-sim"] = [
        FakeOriginateResult("Success", 4, "Local/s@caller-sim-00000001;1", "1795316039.2")
    ]
    caller, other = await ami.client(), await ami.client()
    await caller.action(
        ("Action", "Originate"),
        ("ActionID", "a1"),
        ("Channel", "Local/s@caller-sim"),
        ("Application", "Wait"),
        ("Data", "10"),
        ("CallerID", "Operator <101>"),
        ("Variable", "A=1,B=2"),
        ("Variable", "C=3"),
        ("Async", "yes"),
    )
    assert b"Originate successfully queued" in await caller.reply("a1")
    ami.pbx.originate_gate.set()
    expected = (
        b"Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: a1\r\n"
        b"Response: Success\r\nChannel: Local/s@caller-sim-00000001;1\r\nApplication: Wait\r\n"
        b"Data: 10\r\nReason: 4\r\nUniqueid: 1795316039.2\r\nCallerIDNum: 101\r\n"
        b"CallerIDName: Operator\r\n\r\n"
    )
    for client in (caller, other):
        messages = await client.wait_for(lambda m: bool(events_named(m, "OriginateResponse")))
        assert events_named(messages, "OriginateResponse") == [expected]
    call = ami.pbx.originates[0]
    assert call.kwargs["variables"] == [("A", "1"), ("B", "2"), ("C", "3")]
    assert call.kwargs["timeout_ms"] == 30000
    assert call.kwargs["caller_id"] == "Operator <101>"


async def test_originate_argument_errors(ami: Harness) -> None:
    client = await ami.client()
    await client.action(("Action", "Originate"), ("ActionID", "t"), ("Channel", "Local/x@y"),
                        ("Timeout", "soon"))  # fmt: skip
    await client.action(("Action", "Originate"), ("ActionID", "c"), ("Channel", "nochan"))
    assert b"Message: Invalid timeout" in await client.reply("t")
    assert b"Message: Invalid channel" in await client.reply("c")
    assert ami.pbx.originates == []


async def test_regex_hangup_without_matches_and_with_a_bad_regex(ami: Harness) -> None:
    ami.pbx.channels["Local/s@caller-sim-00000013;1"] = LONG_CALL
    client = await ami.client()
    await client.action(("Action", "Hangup"), ("Channel", "/^SIP/"), ("ActionID", "none"))
    await client.action(("Action", "Hangup"), ("Channel", "/(/"), ("ActionID", "bad"))
    await client.action(("Action", "Hangup"), ("Channel", "/open"), ("ActionID", "fmt"))
    assert b"Message: Regex compile failed on: /(/" in await client.reply("bad")
    assert b"Channel param should be /regex/" in await client.reply("fmt")
    complete = events_named(client.messages(), "ChannelsHungupListComplete")
    assert complete == [
        b"Event: ChannelsHungupListComplete\r\nActionID: none\r\nEventList: Complete\r\n"
        b"ListItems: 0\r\n\r\n"
    ]
    assert ami.pbx.hangups == []


async def test_redirect_and_getvar_edge_replies(ami: Harness) -> None:
    ami.pbx.channels["Local/s@caller-sim-00000013;1"] = LONG_CALL
    client = await ami.client()
    chan = ("Channel", "Local/s@caller-sim-00000013;1")
    await client.action(("Action", "Redirect"), chan, ("Context", "hotline-connect"),
                        ("Exten", "s"), ("Priority", "0"), ("ActionID", "r0"))  # fmt: skip
    await client.action(("Action", "Redirect"), chan, ("Exten", "s"), ("ActionID", "rc"))
    await client.action(("Action", "Redirect"), chan, ("Context", "hotline-connect"),
                        ("Exten", "s"), ("Priority", "1"), ("ActionID", "ok"))  # fmt: skip
    await client.action(("Action", "Getvar"), ("Variable", "NOPE"), ("ActionID", "g"))
    assert b"Message: Priority is invalid" in await client.reply("r0")
    assert b"Message: Context not specified" in await client.reply("rc")
    assert b"Message: Redirect successful" in await client.reply("ok")
    assert await client.reply("g") == (
        b"Response: Success\r\nActionID: g\r\nVariable: NOPE\r\nValue: \r\n\r\n"
    )
    assert ami.pbx.redirects == [("Local/s@caller-sim-00000013;1", "hotline-connect", "s", "1")]


async def test_md5_login_with_a_fresh_challenge(ami: Harness) -> None:
    client = await ami.client(login=False)
    await client.action(("Action", "Challenge"), ("AuthType", "md5"), ("ActionID", "c"))
    challenge = dict(
        line.split(": ", 1) for line in (await client.reply("c")).decode().split("\r\n") if line
    )["Challenge"]
    key = hashlib.md5(f"{challenge}ivrtest-secret".encode()).hexdigest()
    await client.action(("Action", "Login"), ("AuthType", "MD5"), ("Username", "IVRTEST"),
                        ("Key", key), ("ActionID", "l"))  # fmt: skip
    assert b"Authentication accepted" in await client.reply("l")
    await client.action(("Action", "Login"), ("ActionID", "again"))
    assert b"Message: Already authenticated" in await client.reply("again")


async def test_failed_login_waits_a_second_then_closes(ami: Harness) -> None:
    client = await ami.client(login=False)
    start = ami.server.clock.now()
    await client.action(("Action", "Login"), ("Username", "ivrtest"), ("Secret", "no"),
                        ("ActionID", "l"))  # fmt: skip
    assert b"Authentication failed" in await client.reply("l")
    assert ami.server.clock.now() - start >= 1.0
    await client.read_to_eof()


async def test_bad_framing_is_answered_and_the_session_goes_on(ami: Harness) -> None:
    client = await ami.client()
    await client.send(b"\r\n")  # an empty request is a request without an action
    await client.send(b"Action: Ping\r\nJunk: " + b"x" * 2000 + b"\r\nActionID: long\r\n\r\n")
    await client.send(b"ACTION: PING\nACTIONID: lf\n\n")
    assert b"Message: Failed to parse message: line too long" in await client.reply("long")
    assert b"Ping: Pong" in await client.reply("lf")
    assert b"Response: Error\r\nMessage: Missing action in request\r\n\r\n" in client.messages()


async def test_command_counts_channels(ami: Harness) -> None:
    ami.pbx.channels["Local/s@caller-sim-00000013;1"] = LONG_CALL
    client = await ami.client()
    await client.action(("Action", "Command"), ("Command", "core show channels count"),
                        ("ActionID", "c"))  # fmt: skip
    await client.action(("Action", "Command"), ("Command", "sip show peers"), ("ActionID", "x"))
    assert await client.reply("c") == (
        b"Response: Success\r\nActionID: c\r\nMessage: Command output follows\r\n"
        b"Output: 1 active channel\r\nOutput: 1 active call\r\nOutput: 0 calls processed\r\n\r\n"
    )
    assert b"Response: Error\r\nActionID: x\r\nMessage: Command output follows" in (
        await client.reply("x")
    )


async def test_a_vanishing_client_does_not_disturb_the_others(ami: Harness) -> None:
    leaver, stayer = await ami.client(), await ami.client()
    leaver.writer.transport.abort()  # RST, mid-session
    for _ in range(50):
        ami.pbx.emit(NEWCHANNEL)
    await ping(stayer, "still-here")
    messages = await stayer.wait_for(lambda m: len(events_named(m, "Newchannel")) == 50)
    assert len(events_named(messages, "Newchannel")) == 50


async def test_a_client_that_stops_reading_is_dropped(
    ami: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "hotline.sim.ami_server")
    sleeper, reader = await ami.client(), await ami.client()
    sleeper.writer.transport.pause_reading()  # never reads again: the kernel buffers fill
    finished = False
    # The other client keeps reading all along, until it has every event and a Pong.
    reading = asyncio.create_task(
        reader.wait_for(lambda m: finished and b"ActionID: alive\r\n" in b"".join(m[-1:]))
    )
    big = [*NEWCHANNEL, ("Padding", "x" * 60_000)]
    sent = 0
    while "outgoing queue full" not in caplog.text:
        assert sent < 5_000, "the silent client was never dropped"
        ami.pbx.emit(big)  # must never block, whatever the clients do
        sent += 1
        await asyncio.sleep(0)  # let the sessions' writers run
    assert caplog.text.count("dropped") == 1
    finished = True
    await reader.action(("Action", "Ping"), ("ActionID", "alive"))
    messages = await reading
    assert len(events_named(messages, "Newchannel")) == sent
    sleeper.writer.transport.resume_reading()
    await sleeper.read_to_eof()


async def test_close_ends_every_session(ami: Harness) -> None:
    clients = [await ami.client(), await ami.client(login=False)]
    await ami.server.close()
    for client in clients:
        await client.read_to_eof()


async def test_a_failing_backend_call_gets_an_error_and_the_session_goes_on(
    ami: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(channel: str | None, name: str) -> str | None:
        raise RuntimeError("PBX bug")

    ami.pbx.getvar = broken  # type: ignore[method-assign]
    client = await ami.client()
    await client.action(("Action", "Getvar"), ("Variable", "X"), ("ActionID", "g"))
    assert await client.reply("g") == (
        b"Response: Error\r\nActionID: g\r\nMessage: Internal error\r\n\r\n"
    )
    await ping(client, "after")
    assert "AMI action 'Getvar' failed" in caplog.text


async def test_close_with_an_async_originate_still_pending(ami: Harness) -> None:
    ami.pbx.originate_gate = asyncio.Event()  # never set: the call never gets an outcome
    client = await ami.client()
    await client.action(("Action", "Originate"), ("Channel", "Local/s@x"), ("Exten", "s"),
                        ("Async", "true"), ("ActionID", "o"))  # fmt: skip
    await client.reply("o")
    await client.action(("Action", "Originate"), ("Channel", "Local/s@x"), ("Exten", "s"),
                        ("Async", "true"), ("ActionID", "o2"))  # fmt: skip
    await client.reply("o2")  # (closing with unread input would make the kernel send RST)
    assert len(ami.pbx.originates) == 2
    await ami.server.close()  # cancels the pending attempts; nothing left running
    await client.read_to_eof()


async def test_sync_originate_that_raises_in_the_pbx_fails(
    ami: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(channel: str, **kwargs: object) -> FakeOriginateResult:
        raise RuntimeError("PBX bug")

    ami.pbx.originate = broken  # type: ignore[method-assign,assignment]
    client = await ami.client()
    await client.action(("Action", "Originate"), ("Channel", "Local/s@x"), ("ActionID", "o"))
    assert b"Message: Originate failed" in await client.reply("o")
    assert "Originate of Local/s@x failed in the PBX" in caplog.text
