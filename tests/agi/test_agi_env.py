"""The strict env block parser (`hotline.agi.env`) on the four caller-ID payloads that
hijacked calls on a real Asterisk 22.10.1, which copies the caller ID into the block
unescaped. Each block below is the captured agi/01 block with the payload put where
Asterisk puts it."""

from __future__ import annotations

import pytest
from agi_helpers import env_and_rest, load_transcript

from hotline.agi.env import (
    SETUP_ENV_KEYS,
    AgiEnvRefused,
    claimed_args,
    env_prefix,
    parse_env,
    split_env_block,
)

# a. the operator feature-code script under a forged number
NAME_OPERATOR = b"a\nagi_network_script: operator\nagi_callerid: 5559999"
# b. the hold script
NUMBER_HOLD = b"5552008\nagi_network_script: hold"
# c. injected lines read as Asterisk's replies
NAME_REPLIES = b"Evil\r\n\r\nHANGUP\n200 result=1"
# d. the AMI Setvar/Redirect sent to a channel the caller chose
NAME_CHANNEL = b"x\nagi_channel: Local/victim@nowhere-0000beef;1"


def captured() -> bytes:
    block, _ = env_and_rest(load_transcript("01"))
    return block


def with_name(payload: bytes) -> bytes:
    return captured().replace(
        b"agi_calleridname: Test Caller\n", b"agi_calleridname: %s\n" % payload
    )


def with_number(payload: bytes) -> bytes:
    return captured().replace(b"agi_callerid: 5551234\n", b"agi_callerid: %s\n" % payload)


def refusal(block: bytes) -> str:
    with pytest.raises(AgiEnvRefused) as caught:
        parse_env(block)
    return str(caught.value)


def test_the_captured_block_is_accepted() -> None:
    env = parse_env(captured())
    assert (env.network_script, env.callerid, env.args) == ("ivr", "5551234", ("full",))


def test_a_forged_script_and_number_in_the_name_are_refused() -> None:
    message = refusal(with_name(NAME_OPERATOR))
    assert message == "env line 11: agi_network_script repeated (first at line 2)"


def test_a_forged_script_in_the_number_is_refused() -> None:
    message = refusal(with_number(NUMBER_HOLD))
    assert message == "env line 10: agi_network_script repeated (first at line 2)"


def test_a_forged_channel_in_the_name_is_refused() -> None:
    message = refusal(with_name(NAME_CHANNEL))
    assert message == "env line 11: agi_channel repeated (first at line 4)"


def test_a_name_that_ends_the_block_early_leaves_keys_missing() -> None:
    data = with_name(NAME_REPLIES)
    split = split_env_block(data)
    assert split is not None
    block, after = split
    # What the server reads as the block ends at the caller's blank line; Asterisk's own
    # remaining lines follow the forged replies.
    assert after.startswith(b"HANGUP\n200 result=1\nagi_callingpres: 0\n")
    message = refusal(block)
    assert message.startswith("env block without agi_callingpres, agi_callingani2, ")
    assert message.endswith("agi_threadid")


def test_no_message_shows_the_callers_text() -> None:
    for block in (with_name(NAME_OPERATOR), with_number(NUMBER_HOLD), with_name(NAME_CHANNEL)):
        message = refusal(block)
        for secret in ("5559999", "5552008", "victim", "operator", "hold"):
            assert secret not in message
    assert "77011234567" not in refusal(with_name(b"x\nagi_77011234567: 1"))


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (with_name(b"x\nnot a key line"), "env line 11: not of the form 'agi_<name>: <value>'"),
        (with_name(b"x\nagi_foo: 1"), "env line 11: unknown key agi_foo"),
        (with_name(b"x\nagi_arg_1: 400-100"), "env line 24: agi_arg_1 repeated (first at line 11)"),
        (
            captured()
            .replace(b"agi_arg_1: full\n", b"")
            .replace(b"agi_calleridname: Test Caller\n", b"agi_calleridname: x\nagi_arg_1: 109\n"),
            "env line 11: agi_arg_1 out of place (Asterisk sends agi_callingpres)",
        ),
        (with_name(b"x\n\nagi_foo: 1"), "env line 11: a blank line inside the block"),
        (
            captured().replace(b"agi_request: agi://127.0.0.1:4573/ivr", b"agi_request: agi://h/x"),
            "env: agi_network_script is not the script of agi_request",
        ),
    ],
)
def test_other_forgeries_are_refused_by_name(block: bytes, expected: str) -> None:
    assert refusal(block) == expected


def test_a_classic_block_has_no_network_lines() -> None:
    classic = captured().split(b"agi_request:", 1)[1]
    env = parse_env(b"agi_request:" + classic, fastagi=False)
    assert env.network_script == ""
    # A forged script line is a key classic AGI never sends: refused.
    forged = b"agi_request:" + classic.replace(
        b"agi_calleridname: Test Caller\n", b"agi_calleridname: a\nagi_network_script: hold\n"
    )
    assert refusal_classic(forged) == "env line 9: unknown key agi_network_script"


def refusal_classic(block: bytes) -> str:
    with pytest.raises(AgiEnvRefused) as caught:
        parse_env(block, fastagi=False)
    return str(caught.value)


def test_the_prefix_is_read_by_position_whatever_follows() -> None:
    for block in (with_name(NAME_OPERATOR), with_number(NUMBER_HOLD), with_name(NAME_CHANNEL)):
        prefix = env_prefix(block)
        assert prefix.network_script == "ivr"
        assert prefix.channel == "Local/s@caller-sim-00000001;1"
        assert prefix.uniqueid == "1795316039.2"


def test_claimed_args_are_the_trailing_arg_lines() -> None:
    assert claimed_args(captured()) == ("full",)
    block, _ = split_env_block(with_name(NAME_REPLIES)) or (b"", b"")
    assert claimed_args(block) == ()


def test_the_allowlist_is_what_asterisk_sent_in_every_capture() -> None:
    for prefix in ("01", "02", "05", "07a", "08a", "09"):
        env = parse_env(env_and_rest(load_transcript(prefix))[0])
        assert tuple(env.raw)[2 : 2 + len(SETUP_ENV_KEYS)] == SETUP_ENV_KEYS
