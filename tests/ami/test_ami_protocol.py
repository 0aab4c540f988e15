"""AMI framing on every byte Asterisk 22.10.1 sent in the captures, and action encoding."""

from __future__ import annotations

import pytest
from ami_helpers import reference_dir, server_records
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.ami.protocol import (
    AmiInjectionError,
    AmiMessage,
    AmiParser,
    encode_action,
)

RAW_DIR = reference_dir() / "ami" / "raw"
RAW_NAMES = sorted(p.name.removesuffix(".server.raw") for p in RAW_DIR.glob("*.server.raw"))


def raw(name: str) -> bytes:
    return (RAW_DIR / f"{name}.server.raw").read_bytes()


def parse_in_chunks(data: bytes, cuts: list[int]) -> tuple[AmiParser, list[AmiMessage]]:
    parser = AmiParser()
    messages: list[AmiMessage] = []
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        messages += parser.feed(data[start:cut])
        start = cut
    return parser, messages


def test_all_captures_are_here() -> None:
    assert len(RAW_NAMES) == 28


@pytest.mark.parametrize("name", RAW_NAMES)
def test_every_message_of_a_capture(name: str) -> None:
    records = server_records(name)
    assert b"".join(records) == raw(name)
    parser = AmiParser()
    messages = parser.feed(raw(name))
    assert parser.banner is not None
    assert parser.banner.text == "Asterisk Call Manager/11.0.0"
    assert records[0] == b"Asterisk Call Manager/11.0.0\r\n"
    assert len(messages) == len(records) - 1  # one message per record after the banner
    for record, message in zip(records[1:], messages, strict=True):
        assert message.is_event != message.is_response
        lines = record.decode().split("\r\n")[:-2]
        assert [f"{k}: {v}" for k, v in message.headers] == lines


def test_login_logoff_messages() -> None:
    messages = AmiParser().feed(raw("01-login-success-logoff"))
    assert [m.name for m in messages] == ["Success", "FullyBooted", "SuccessfulAuth", "Goodbye"]
    assert messages[0].action_id == "login-1"
    assert messages[0].is_response
    assert messages[1].is_event
    assert messages[1].get("status") == "Fully Booted"  # case-insensitive


def test_command_output_and_empty_values() -> None:
    messages = AmiParser().feed(raw("05-ping-unknown-malformed"))
    command = next(m for m in messages if m.action_id == "cmd-1")
    assert command.get_all("Output") == [
        "Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux on 2026-11-22 02:47:19 UTC"
    ]
    getvars = AmiParser().feed(raw("15-call-control-getvar-setvar-redirect-hangup"))
    unset = next(m for m in getvars if m.action_id == "getvar-unset")
    assert unset["Value"] == ""  # "Value: " with nothing after it


def test_several_output_lines_stay_in_order() -> None:
    data = (
        b"Asterisk Call Manager/11.0.0\r\n"
        b"Response: Success\r\nActionID: c\r\nMessage: Command output follows\r\n"
        b"Output: line one\r\nOutput: line two\r\nOutput:\r\n\r\n"
    )
    (message,) = AmiParser().feed(data)
    assert message.get_all("Output") == ["line one", "line two", ""]
    assert message["Output"] == "line one"


def test_split_at_every_byte_boundary() -> None:
    data = raw("01-login-success-logoff")
    whole = AmiParser().feed(data)
    for cut in range(len(data) + 1):
        parser, messages = parse_in_chunks(data, [cut])
        assert messages == whole, cut
        assert parser.banner is not None


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_any_chunking_of_a_long_capture(data: st.DataObject) -> None:
    payload = raw("15-call-control-getvar-setvar-redirect-hangup")
    cuts = data.draw(st.lists(st.integers(0, len(payload)), max_size=60))
    assert parse_in_chunks(payload, cuts)[1] == AmiParser().feed(payload)


def test_utf8_split_across_reads_survives() -> None:
    data = "Event: Newchannel\r\nCallerIDName: Айгүл\r\n\r\n".encode()
    cut = data.index("г".encode()) + 1  # in the middle of a two-byte character
    _, messages = parse_in_chunks(data, [cut])
    assert messages[0]["CallerIDName"] == "Айгүл"


def test_lf_only_lines_and_no_banner() -> None:
    (message,) = AmiParser().feed(b"Response: Success\nActionID: lf\nPing: Pong\n\n")
    assert (message.name, message.action_id) == ("Success", "lf")


def test_encode_action_keeps_order_and_repeats() -> None:
    wire = encode_action(
        "Originate", [("Channel", "Local/s@x"), ("Variable", "A=1"), ("Variable", "B=2")], "o-1"
    )
    assert wire == (
        b"Action: Originate\r\nActionID: o-1\r\nChannel: Local/s@x\r\n"
        b"Variable: A=1\r\nVariable: B=2\r\n\r\n"
    )


@pytest.mark.parametrize(
    "headers",
    [
        [("Channel", "Local/s@x\r\nAction: Hangup")],
        [("Value", "x\nChannel: all")],
        [("Bad\rKey", "v")],
        [("Colon:Key", "v")],
        [("", "v")],
    ],
)
def test_encode_action_refuses_injection(headers: list[tuple[str, str]]) -> None:
    with pytest.raises(AmiInjectionError):
        encode_action("Setvar", headers, "s-1")


def test_encode_action_refuses_a_bad_action_id() -> None:
    with pytest.raises(AmiInjectionError):
        encode_action("Ping", [], "p\r\n")
