"""The pure AMI framing helpers (hotline.sim.ami_wire)."""

from __future__ import annotations

import doctest

import pytest

from hotline.sim import ami_wire as wire


def test_docstring_examples() -> None:
    assert doctest.testmod(wire).failed == 0


def test_requests_split_across_reads_and_line_ends() -> None:
    reader = wire.RequestReader()
    assert reader.feed(b"Action: Ping\r") == []
    assert reader.feed(b"\nActionID: a\r\n\r") == []
    (request,) = reader.feed(b"\nAction: Logoff\n")
    assert request.lines == ("Action: Ping", "ActionID: a")
    (request,) = reader.feed(b"\n")
    assert request.header("action") == "Logoff"


def test_header_lookup_is_manager_c_like() -> None:
    request = wire.Request(("ActionID : spaced", "actionid:\t first", "ActionID: second"))
    assert request.header("ActionID") == "first"  # the name must touch the colon
    assert request.all("ActionID") == ["first", "second"]
    assert request.header("Missing") == ""


def test_limits_turn_into_the_error_texts() -> None:
    reader = wire.RequestReader()
    many = b"".join(b"H%d: x\r\n" % n for n in range(wire.MAX_HEADERS + 1))
    (request,) = reader.feed(b"Action: Ping\r\n" + many + b"\r\n")
    assert request.problem == "Too many lines in message or allocation failure"
    assert reader.feed(b"ActionID: a\r\n" + b"x" * 3000) == []  # no line end yet
    (request,) = reader.feed(b"tail\r\n\r\n")
    assert request.problem == "Failed to parse message: line too long"
    assert request.header("ActionID") == "a"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"Test Caller" <5551234>', ("Test Caller", "5551234")),
        ("Operator <101>", ("Operator", "101")),
        ("<555-1234>", ("", "5551234")),
        ("+7 701 123 45 67", ("", "+77011234567")),
        ('"12345"', ("12345", "")),
        ("", ("", "")),
    ],
)
def test_parse_callerid(text: str, expected: tuple[str, str]) -> None:
    assert wire.parse_callerid(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on", wire.ALL_EVENTS),
        ("OFF", 0),
        ("call,dialplan", wire.EVENT_FLAGS["call"] | wire.EVENT_FLAGS["dialplan"]),
        ("64", 64),
        ("nonsense", 0),
        ("", None),
    ],
)
def test_event_mask(text: str, expected: int | None) -> None:
    assert wire.event_mask(text) == expected


def test_time_formats() -> None:
    assert wire.ping_timestamp(1795316021.272131) == "1795316021.272131"
    assert wire.ping_timestamp(1795316021.0) == "1795316021.000000"
    assert wire.event_tv(1795316016.9414) == "2026-11-22T02:53:36.941+0000"
