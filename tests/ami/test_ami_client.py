"""AmiClient against a scripted fake AMI server: the exact actions sent, and the traps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from ami_helpers import FakeAmi, FakeAmiConnection, block

from hotline.ami.client import (
    AmiClient,
    AmiDisconnectedError,
    AmiLoginError,
    OriginateResult,
)
from hotline.ami.protocol import AmiActionError, AmiInjectionError, AmiMessage
from hotline.clock import ScaledClock

ClientFactory = Callable[..., Awaitable[AmiClient]]


@pytest.fixture
async def make_client(fake_ami: FakeAmi) -> AsyncIterator[ClientFactory]:
    clients: list[AmiClient] = []

    async def make(
        *,
        secret: str = "s3cret",
        clock: ScaledClock | None = None,
        connect: bool = True,
        reconnect_delay_s: float = 0.05,
    ) -> AmiClient:
        client = AmiClient(
            "127.0.0.1",
            fake_ami.port,
            "hotline",
            secret,
            clock or ScaledClock(),
            reconnect_delay_s=reconnect_delay_s,
            connect_timeout_s=3.0,
        )
        clients.append(client)
        if connect:
            await client.connect()
        return client

    yield make
    for client in clients:
        await client.close()


def headers_without_id(action: AmiMessage) -> list[tuple[str, str]]:
    return [(k, v) for k, v in action.headers if k != "ActionID"]


async def test_login_and_events_arrive_as_our_messages(
    fake_ami: FakeAmi, make_client: ClientFactory
) -> None:
    client = await make_client(connect=False)
    booted: asyncio.Future[AmiMessage] = asyncio.get_running_loop().create_future()
    everything: list[str] = []
    client.on_event("fullybooted", booted.set_result)
    client.on_event("*", lambda m: everything.append(m.name))
    await client.connect()
    message = await asyncio.wait_for(booted, 2)
    assert isinstance(message, AmiMessage)
    assert message["Status"] == "Fully Booted"
    assert everything == ["FullyBooted"]
    assert client.connected
    ((_, login),) = fake_ami.actions_named("Login")
    assert (login["Username"], login["Secret"]) == ("hotline", "s3cret")


async def test_a_refused_login_raises(fake_ami: FakeAmi, make_client: ClientFactory) -> None:
    with pytest.raises(AmiLoginError):
        await make_client(secret="wrong")
    assert "s3cret" not in repr(AmiClient("h", 1, "u", "s3cret", ScaledClock()))


async def test_originate_is_always_async_and_matched_by_action_id(
    fake_ami: FakeAmi, make_client: ClientFactory
) -> None:
    async def originate(connection: FakeAmiConnection, action: AmiMessage) -> None:
        await connection.reply(
            action, ("Response", "Success"), ("Message", "Originate successfully queued")
        )
        # an unrelated event, then another action's OriginateResponse, then ours
        await connection.send(block(("Event", "Newchannel"), ("Channel", "Local/x-1;1")))
        await connection.send(block(("Event", "OriginateResponse"), ("ActionID", "someone-else")))
        await connection.send(
            block(
                ("Event", "OriginateResponse"),
                ("Privilege", "call,all"),
                ("ActionID", action.action_id or ""),
                ("Response", "Success"),
                ("Channel", "PJSIP/op101-00000001"),
                ("Context", "hotline-connect"),
                ("Exten", "s"),
                ("Reason", "4"),
                ("Uniqueid", "1795316039.2"),
            )
        )

    fake_ami.handlers["originate"] = originate
    client = await make_client()
    result = await client.originate(
        "PJSIP/op101",
        "hotline-connect",
        "s",
        1,
        variables={"HOTLINE_CALL_ID": "c-1", "HOTLINE_RING_S": "20"},
        caller_id='"Hotline" <400100>',
        timeout_ms=20_000,
    )
    assert result == OriginateResult("Success", "4", "PJSIP/op101-00000001", "1795316039.2")
    assert result.success
    ((_, sent),) = fake_ami.actions_named("Originate")
    assert headers_without_id(sent) == [
        ("Action", "Originate"),
        ("Channel", "PJSIP/op101"),
        ("Context", "hotline-connect"),
        ("Exten", "s"),
        ("Priority", "1"),
        ("Timeout", "20000"),
        ("Async", "true"),
        ("CallerID", '"Hotline" <400100>'),
        ("Variable", "HOTLINE_CALL_ID=c-1"),
        ("Variable", "HOTLINE_RING_S=20"),
    ]


async def test_a_failed_originate_is_a_result_not_an_exception(
    fake_ami: FakeAmi, make_client: ClientFactory
) -> None:
    async def originate(connection: FakeAmiConnection, action: AmiMessage) -> None:
        await connection.reply(
            action, ("Response", "Success"), ("Message", "Originate successfully queued")
        )
        await connection.send(
            block(
                ("Event", "OriginateResponse"),
                ("ActionID", action.action_id or ""),
                ("Response", "Failure"),
                ("Channel", "Local/noanswer@operator-sim"),
                ("Reason", "3"),
                ("Uniqueid", "<unknown>"),
            )
        )

    fake_ami.handlers["originate"] = originate
    client = await make_client()
    result = await client.originate("Local/noanswer@operator-sim", "hotline", "1415", 1)
    assert (result.success, result.reason, result.uniqueid) == (False, "3", "<unknown>")


async def test_error_responses_raise_with_the_message(
    fake_ami: FakeAmi, make_client: ClientFactory
) -> None:
    async def redirect(connection: FakeAmiConnection, action: AmiMessage) -> None:
        message = f"Channel does not exist: {action['Channel']}"
        await connection.reply(action, ("Response", "Error"), ("Message", message))

    fake_ami.handlers["redirect"] = redirect
    client = await make_client()
    with pytest.raises(AmiActionError) as error:
        await client.redirect("Local/nosuch-1;1", "hotline-connect", "s", 1)
    assert error.value.message == "Channel does not exist: Local/nosuch-1;1"
    ((_, sent),) = fake_ami.actions_named("Redirect")
    assert headers_without_id(sent) == [
        ("Action", "Redirect"),
        ("Channel", "Local/nosuch-1;1"),
        ("Context", "hotline-connect"),
        ("Exten", "s"),
        ("Priority", "1"),
    ]


async def test_getvar_setvar_hangup(fake_ami: FakeAmi, make_client: ClientFactory) -> None:
    values = {"HOTLINE_TAG": "long-call", "NO_SUCH_VAR": ""}

    async def getvar(connection: FakeAmiConnection, action: AmiMessage) -> None:
        name = action["Variable"]
        await connection.reply(
            action, ("Response", "Success"), ("Variable", name), ("Value", values[name])
        )

    fake_ami.handlers["getvar"] = getvar
    client = await make_client()
    assert await client.getvar("Local/s-1;1", "HOTLINE_TAG") == "long-call"
    assert await client.getvar("Local/s-1;1", "NO_SUCH_VAR") is None
    await client.setvar("Local/s-1;1", "HOTLINE_OPERATOR", "op-7")
    await client.hangup("Local/s-1;1", cause=21)
    ((_, setvar),) = fake_ami.actions_named("Setvar")
    assert headers_without_id(setvar)[1:] == [
        ("Channel", "Local/s-1;1"),
        ("Variable", "HOTLINE_OPERATOR"),
        ("Value", "op-7"),
    ]
    ((_, hangup),) = fake_ami.actions_named("Hangup")
    assert headers_without_id(hangup)[1:] == [("Channel", "Local/s-1;1"), ("Cause", "21")]
    with pytest.raises(ValueError, match="regex"):
        await client.hangup("/.*/")


async def test_core_show_channels_collects_the_list(
    fake_ami: FakeAmi, make_client: ClientFactory
) -> None:
    async def core_show_channels(connection: FakeAmiConnection, action: AmiMessage) -> None:
        action_id = action.action_id or ""
        await connection.reply(
            action,
            ("Response", "Success"),
            ("EventList", "start"),
            ("Message", "Channels will follow"),
        )
        for channel in ("Local/s@caller-sim-00000013;1", "Local/s@caller-sim-00000013;2"):
            await connection.send(
                block(("Event", "CoreShowChannel"), ("ActionID", action_id), ("Channel", channel))
            )
        await connection.send(
            block(
                ("Event", "CoreShowChannelsComplete"),
                ("ActionID", action_id),
                ("EventList", "Complete"),
                ("ListItems", "2"),
            )
        )

    fake_ami.handlers["coreshowchannels"] = core_show_channels
    client = await make_client()
    channels = await client.core_show_channels()
    assert [c["Channel"] for c in channels] == [
        "Local/s@caller-sim-00000013;1",
        "Local/s@caller-sim-00000013;2",
    ]


async def test_injection_is_refused_before_anything_is_sent(
    fake_ami: FakeAmi, make_client: ClientFactory
) -> None:
    client = await make_client()
    with pytest.raises(AmiInjectionError):
        await client.setvar("Local/s-1;1", "HOTLINE_NOTE", "x\r\nAction: Hangup\r\nChannel: all")
    with pytest.raises(AmiInjectionError):
        await client.redirect("Local/s-1;1\r\n", "hotline-connect", "s", 1)
    with pytest.raises(AmiInjectionError):
        await client.originate("PJSIP/op", "c", "s", 1, caller_id="Evil\nAction: Hangup")
    await client.ping()  # the connection is still in step
    sent = [a.get("Action") for c in fake_ami.connections for a in c.actions]
    assert sent == ["Login", "Ping"]


async def test_ping_watchdog_forces_a_reconnect_and_resync(
    fake_ami: FakeAmi, make_client: ClientFactory
) -> None:
    fake_ami.silent_pings_on = {0}  # the first connection is half-dead: no Pong, ever
    clock = ScaledClock(speed=50)  # 5 s ping interval -> 0.1 s real
    client = await make_client(clock=clock, connect=False)
    resynced = asyncio.Event()
    client.on_reconnect(resynced.set)
    await client.connect()
    # The 3 s Pong deadline lasts the clock's real-time floor (2 s), then the reconnect.
    await asyncio.wait_for(resynced.wait(), 15)
    assert client.watchdog_trips >= 1
    assert client.reconnects == 1
    assert len(fake_ami.connections) == 2
    assert await client.ping() >= 0.0  # the new connection answers


async def test_no_resend_of_an_originate_after_a_reconnect(
    fake_ami: FakeAmi, make_client: ClientFactory
) -> None:
    """panoramisk would queue the unanswered Originate and send it again after the next
    FullyBooted: a second call to the operator. Ours fails it and never sends it again."""

    async def originate_then_vanish(connection: FakeAmiConnection, action: AmiMessage) -> None:
        connection.drop()

    fake_ami.handlers["originate"] = originate_then_vanish
    client = await make_client()
    reconnected = asyncio.Event()

    async def resync() -> None:
        await client.core_show_channels()
        reconnected.set()

    client.on_reconnect(resync)
    with pytest.raises(AmiDisconnectedError):
        await client.originate("PJSIP/op101", "hotline-connect", "s", 1)
    with pytest.raises(AmiDisconnectedError):  # while down: refused at once, not queued
        await client.setvar("Local/s-1;1", "X", "1")
    await asyncio.wait_for(reconnected.wait(), 5)
    await client.ping()
    assert [index for index, _ in fake_ami.actions_named("Originate")] == [0]
    assert fake_ami.actions_named("Setvar") == []
    second = [a.get("Action") for a in fake_ami.connections[1].actions]
    assert second == ["Login", "CoreShowChannels", "Ping"]


async def test_a_queued_originate_whose_answer_is_lost_fails(
    fake_ami: FakeAmi, make_client: ClientFactory
) -> None:
    """ "successfully queued" arrived, the OriginateResponse never will: panoramisk forgets
    such an action without resolving it; we fail it so the caller does not hang."""

    async def queued_then_vanish(connection: FakeAmiConnection, action: AmiMessage) -> None:
        await connection.reply(
            action, ("Response", "Success"), ("Message", "Originate successfully queued")
        )
        connection.drop()

    fake_ami.handlers["originate"] = queued_then_vanish
    client = await make_client()
    with pytest.raises(AmiDisconnectedError):
        await asyncio.wait_for(client.originate("PJSIP/op101", "hotline-connect", "s", 1), 5)
    assert len(fake_ami.actions_named("Originate")) == 1


async def test_connect_gives_up_when_nothing_listens() -> None:
    gone = FakeAmi()
    port = await gone.start()
    await gone.close()  # the port is free again: connects are refused
    client = AmiClient(
        "127.0.0.1",
        port,
        "hotline",
        "s3cret",
        ScaledClock(),
        connect_timeout_s=0.3,
        reconnect_delay_s=0.05,
    )
    with pytest.raises(AmiDisconnectedError, match="no login"):
        await client.connect()
    assert not client.connected
    with pytest.raises(AmiDisconnectedError):
        await client.ping()


async def test_after_close_nothing_reconnects(
    fake_ami: FakeAmi, make_client: ClientFactory
) -> None:
    client = await make_client(reconnect_delay_s=0.2)
    fake_ami.connections[0].drop()
    with pytest.raises(AmiDisconnectedError):  # the client has seen the drop...
        await client.ping()
    await client.close()  # ...a reconnect is scheduled, and must not happen
    await fake_ami.next_action("Login")  # the first one
    with pytest.raises(TimeoutError):  # well past the reconnect delay: no second
        await asyncio.wait_for(fake_ami.next_action("Login"), 0.6)
    assert len(fake_ami.connections) == 1


async def test_events_keep_what_panoramisk_framing_would_lose(
    fake_ami: FakeAmi, make_client: ClientFactory
) -> None:
    """panoramisk's own framing drops a last header with an empty value and mangles a
    UTF-8 character split across reads; events reach us through our parser instead."""
    client = await make_client(connect=False)
    got: asyncio.Future[AmiMessage] = asyncio.get_running_loop().create_future()
    client.on_event("Newchannel", got.set_result)
    await client.connect()
    data = "Event: Newchannel\r\nCallerIDName: Айгүл\r\nAccountCode: \r\n\r\n".encode()
    cut = data.index("г".encode()) + 1
    await fake_ami.connections[0].send(data[:cut])
    await fake_ami.connections[0].send(data[cut:])
    event = await asyncio.wait_for(got, 2)
    assert event.headers == (
        ("Event", "Newchannel"),
        ("CallerIDName", "Айгүл"),
        ("AccountCode", ""),
    )


async def test_the_time_of_a_lost_connection_is_kept_after_the_reconnect(
    fake_ami: FakeAmi, make_client: ClientFactory
) -> None:
    """The resync dates the hang-ups it missed by the moment the connection was lost."""
    clock = ScaledClock()
    client = await make_client(clock=clock)
    reconnected = asyncio.Event()
    client.on_reconnect(reconnected.set)
    assert client.disconnected_at is None
    before = clock.now()
    fake_ami.connections[0].drop()
    await asyncio.wait_for(reconnected.wait(), 5)
    after = clock.now()
    assert client.disconnected_at is not None
    assert before <= client.disconnected_at <= after
    lost_at = client.disconnected_at
    await client.ping()  # connected again: the time of the loss stays until the next loss
    assert client.disconnected_at == lost_at
