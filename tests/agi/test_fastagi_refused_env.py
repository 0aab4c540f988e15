"""The FastAGI server refuses an env block a caller's ID has rewritten: no handler runs,
the caller goes to the fallback, the refusal is reported (without the caller's text)."""

from __future__ import annotations

import logging

import pytest
from agi_helpers import FakeAsterisk, env_and_rest, load_transcript
from test_agi_env import NAME_CHANNEL, NAME_OPERATOR, NAME_REPLIES, NUMBER_HOLD

import hotline.agi.env
from hotline.agi import AgiSession, FastAgiServer
from hotline.agi.env import EnvPrefix
from hotline.clock import ScaledClock

CAPTURED, _ = env_and_rest(load_transcript("01"))
BLOCKS = {
    "name forges script and number": CAPTURED.replace(b"Test Caller", NAME_OPERATOR),
    "number forges the hold script": CAPTURED.replace(b": 5551234", b": " + NUMBER_HOLD),
    "name forges Asterisk's replies": CAPTURED.replace(b"Test Caller", NAME_REPLIES),
    "name forges the channel": CAPTURED.replace(b"Test Caller", NAME_CHANNEL),
}


async def serve_one(block: bytes, caplog: pytest.LogCaptureFixture) -> list[object]:
    """Send `block` to a server whose every script records that it ran; what ran and
    what `on_refused` heard."""
    heard: list[object] = []

    async def script(session: AgiSession) -> None:
        heard.append(("ran", session.env.network_script))

    async def on_refused(prefix: EnvPrefix, args: tuple[str, ...]) -> None:
        heard.append((prefix, args))

    handlers = {name: script for name in ("ivr", "hold", "operator")}
    server = FastAgiServer(handlers, ScaledClock(), on_refused=on_refused)
    port = await server.start()
    fake = await FakeAsterisk.connect(port)
    try:
        with caplog.at_level(logging.WARNING, "hotline.agi.server"):
            await fake.send(block)
            # The only command: the dialplan's fallback. Then the server half-closes.
            await fake.expect("SET VARIABLE HOTLINE_NEXT fallback", "200 result=1")
            await fake.expect_half_close()
            await server.wait_idle()
    finally:
        await fake.close()
        await server.close()
    return heard


@pytest.mark.parametrize("name", sorted(BLOCKS))
async def test_a_rewritten_env_block_runs_no_script(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    heard = await serve_one(BLOCKS[name], caplog)
    prefix = EnvPrefix(
        network_script="ivr",
        request="agi://127.0.0.1:4573/ivr",
        channel="Local/s@caller-sim-00000001;1",
        uniqueid="1795316039.2",
    )
    assert len(heard) == 1
    assert heard[0][0] == prefix  # type: ignore[index]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "refused" in warnings[0]
    for secret in ("5559999", "5552008", "victim", "Evil"):
        assert secret not in warnings[0]


async def test_bytes_after_the_blank_line_before_any_command_are_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    heard = await serve_one(CAPTURED + b"200 result=1\n", caplog)
    assert [type(h) for h in heard] == [tuple]
    assert heard[0][0] != "ran"  # type: ignore[index]
    assert "13 bytes after the env block before any command" in caplog.text


async def test_the_script_is_taken_from_its_position_if_the_checks_slip(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A future parser change that lets a repeated key through must not let the caller's
    `agi_network_script` choose the script."""
    monkeypatch.setattr(hotline.agi.env, "_check_keys", lambda keys, named: None)
    monkeypatch.setattr(hotline.agi.env, "_check_script", lambda raw: None)
    monkeypatch.setattr(
        hotline.agi.env, "_read_pairs", lambda lines: [tuple(x.split(": ", 1)) for x in lines]
    )
    heard = await serve_one(BLOCKS["number forges the hold script"], caplog)
    assert all(h[0] != "ran" for h in heard)  # type: ignore[index]
    assert "the script is not the one at line 2" in caplog.text


async def test_a_hangup_right_after_the_block_is_not_a_forgery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """res_agi sends a bare HANGUP when the caller hangs up before the first command."""
    ran: list[str] = []

    async def ivr(session: AgiSession) -> None:
        ran.append(session.env.channel)
        await session.verbose("first")

    server = FastAgiServer({"ivr": ivr}, ScaledClock())
    port = await server.start()
    fake = await FakeAsterisk.connect(port)
    try:
        await fake.send(CAPTURED + b"HANGUP\n")
        await fake.expect("VERBOSE first 1", "200 result=1")
        await fake.expect_half_close()
        await server.wait_idle()
    finally:
        await fake.close()
        await server.close()
    assert ran == ["Local/s@caller-sim-00000001;1"]
    assert "refused" not in caplog.text
