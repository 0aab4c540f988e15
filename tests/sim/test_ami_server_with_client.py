"""Our AMI client (panoramisk underneath) against the simulator's AMI server: the pair
the end-to-end runs rely on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from test_ami_server_fakes import FakeOriginateResult, FakePbx

from hotline.ami.client import AmiClient
from hotline.ami.protocol import AmiMessage
from hotline.clock import ScaledClock
from hotline.sim.ami_server import AmiServer
from hotline.sim.ami_users import shipped_user

CHANNEL = "Local/s@hotline-in-00000001;1"


@pytest.fixture
async def pair() -> AsyncIterator[tuple[FakePbx, AmiClient]]:
    clock = ScaledClock(speed=1.0)  # the client's action timeouts are in clock seconds
    pbx = FakePbx()
    pbx.channels[CHANNEL] = [("Channel", CHANNEL), ("Uniqueid", "1.2"), ("Linkedid", "1.2")]
    server = AmiServer(pbx, {"hotline": shipped_user("hotline", "s3cret")}, clock)
    port = await server.start()
    client = AmiClient("127.0.0.1", port, "hotline", "s3cret", clock)
    await client.connect()
    yield pbx, client
    await client.close()
    await server.close()


async def test_call_control_round_trip(pair: tuple[FakePbx, AmiClient]) -> None:
    pbx, client = pair
    await client.ping()
    await client.setvar(CHANNEL, "HOTLINE_OPERATOR", "op1")
    assert await client.getvar(CHANNEL, "HOTLINE_OPERATOR") == "op1"
    assert await client.getvar(CHANNEL, "UNSET") is None
    items = await client.core_show_channels()
    assert [item.get("Channel") for item in items] == [CHANNEL]
    await client.redirect(CHANNEL, "hotline-connect", "s", 1)
    await client.hangup(CHANNEL, 21)
    assert pbx.redirects == [(CHANNEL, "hotline-connect", "s", "1")]
    assert pbx.hangups == [(CHANNEL, 21)]


async def test_originate_resolves_with_its_originate_response(
    pair: tuple[FakePbx, AmiClient],
) -> None:
    pbx, client = pair
    pbx.outcomes["Local/op101@operators"] = [
        FakeOriginateResult("Failure", 3, "Local/op101@operators", None)
    ]
    result = await client.originate(
        "Local/op101@operators", "hotline-connect", "s", 1, {"HOTLINE_CALL_ID": "c1"}
    )
    assert (result.response, result.reason, result.uniqueid) == ("Failure", "3", "<unknown>")
    assert pbx.originates[0].kwargs["variables"] == [("HOTLINE_CALL_ID", "c1")]


async def test_events_reach_the_client(pair: tuple[FakePbx, AmiClient]) -> None:
    pbx, client = pair
    seen: asyncio.Queue[AmiMessage] = asyncio.Queue()

    async def on_hangup(message: AmiMessage) -> None:
        await seen.put(message)

    client.on_event("Hangup", on_hangup)
    pbx.emit([("Event", "Hangup"), ("Privilege", "call,all"), ("Channel", CHANNEL)])
    message = await asyncio.wait_for(seen.get(), 5.0)
    assert message.get("Channel") == CHANNEL
