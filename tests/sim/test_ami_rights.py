"""The simulator enforces an AMI user's read and write classes and permit list as Asterisk
22's manager.c does, so the tests run the controller with the shipped manager.conf's rights
and no more."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from test_ami_server_fakes import AmiTestClient, FakePbx, events_named

from hotline.clock import ScaledClock
from hotline.sim.ami_server import AmiServer
from hotline.sim.ami_users import AmiUser, parse_manager_conf, shipped_user
from hotline.sim.ami_wire import Headers

SECRET = "rights-test-secret"
DIALPLAN_EVENT: Headers = [("Event", "Newexten"), ("Privilege", "dialplan,all")]
CALL_EVENT: Headers = [("Event", "DialEnd"), ("Privilege", "call,all")]


@pytest.fixture
async def shipped() -> AsyncIterator[tuple[FakePbx, AmiTestClient]]:
    """A session logged in as the shipped manager.conf's `hotline` user."""
    pbx = FakePbx()
    server = AmiServer(pbx, {"hotline": shipped_user("hotline", SECRET)}, ScaledClock(speed=1000))
    client = await AmiTestClient.connect(await server.start())
    await client.action(
        ("Action", "Login"), ("Username", "hotline"), ("Secret", SECRET), ("ActionID", "in")
    )
    assert b"Authentication accepted" in await client.reply("in")
    yield pbx, client
    await client.close()
    await server.close()


async def test_an_originate_of_system_is_refused_under_the_shipped_user(
    shipped: tuple[FakePbx, AmiTestClient],
) -> None:
    pbx, client = shipped
    for app in ("System", "TrySystem", "Exec", "AGI"):
        await client.action(
            ("Action", "Originate"),
            ("Channel", "Local/s@hotline-in"),
            ("Application", app),
            ("Data", "touch /tmp/owned"),
            ("ActionID", f"o-{app}"),
        )
        assert (
            await client.reply(f"o-{app}")
            == (
                f"Response: Error\r\nActionID: o-{app}\r\n"
                "Message: Originate Access Forbidden: Application\r\n\r\n"
            ).encode()
        )
    assert pbx.originates == []
    # The controller's own Originate (into the dialplan) still runs.
    await client.action(
        ("Action", "Originate"),
        ("Channel", "Local/op01@operators"),
        ("Context", "hotline-callback"),
        ("Exten", "s"),
        ("Priority", "1"),
        ("ActionID", "cb"),
    )
    assert b"Originate successfully queued" in await client.reply("cb")


async def test_an_action_outside_the_write_classes_is_permission_denied(
    shipped: tuple[FakePbx, AmiTestClient],
) -> None:
    _, client = shipped
    # The bytes of ami/02a's refusal (there before Login; the same reply for a missing right).
    for action in ("Command", "UserEvent"):
        await client.action(
            ("Action", action), ("Command", "core show version"), ("ActionID", action)
        )
        assert (
            await client.reply(action)
            == (
                f"Response: Error\r\nActionID: {action}\r\nMessage: Permission denied\r\n\r\n"
            ).encode()
        )
    await client.action(("Action", "CoreShowChannels"), ("ActionID", "list"))
    assert (await client.reply("list")).startswith(b"Response: Success\r\n")


async def test_only_events_of_a_read_class_are_sent(
    shipped: tuple[FakePbx, AmiTestClient],
) -> None:
    pbx, client = shipped
    pbx.emit(DIALPLAN_EVENT)
    pbx.emit(CALL_EVENT)
    await client.action(("Action", "Ping"), ("ActionID", "p"))
    await client.reply("p")
    messages = client.messages()
    assert len(events_named(messages, "DialEnd")) == 1
    assert events_named(messages, "Newexten") == []
    # FullyBooted is of class system: manager.c does not send it to this user.
    assert events_named(messages, "FullyBooted") == []


async def test_a_user_whose_permit_list_refuses_the_address_cannot_log_in() -> None:
    users = parse_manager_conf(
        "[far]\nsecret = s\nread = call\nwrite = call\n"
        "deny = 0.0.0.0/0.0.0.0\npermit = 10.0.0.0/255.0.0.0\n"
    )
    assert users["far"].permits("10.1.2.3")
    server = AmiServer(FakePbx(), users, ScaledClock(speed=1000))
    client = await AmiTestClient.connect(await server.start())
    try:
        await client.action(
            ("Action", "Login"), ("Username", "far"), ("Secret", "s"), ("ActionID", "in")
        )
        assert b"Message: Authentication failed" in await client.reply("in")
    finally:
        await client.close()
        await server.close()


def test_a_bare_secret_is_a_user_with_every_right() -> None:
    user = AmiUser.everything("s")
    assert user.may_write(1 << 4)  # command
    assert user.may_read(1 << 11)  # dialplan
    assert user.permits("192.0.2.1")
