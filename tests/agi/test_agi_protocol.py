"""The pure FastAGI parsers on bytes captured from Asterisk 22.10.1, and `quote`."""

from __future__ import annotations

import pytest
from agi_helpers import env_and_rest, load_transcript, parse_args
from hypothesis import given
from hypothesis import strategies as st

from hotline.agi.protocol import (
    MAX_COMMAND_BYTES,
    AgiArgumentError,
    AgiProtocolError,
    AgiResponse,
    AgiResponseReader,
    HangupNotice,
    format_command,
    parse_env,
    parse_response,
    quote,
)


def replies(prefix: str) -> list[AgiResponse | HangupNotice]:
    """Everything Asterisk sent after the env block, through the incremental reader."""
    _, rest = env_and_rest(load_transcript(prefix))
    reader = AgiResponseReader()
    items = []
    for record in rest:
        if record.direction == "asterisk->agi":
            item = reader.feed_line(record.payload.decode())
            if item is not None:
                items.append(item)
    return items


def commands(prefix: str) -> list[bytes]:
    _, rest = env_and_rest(load_transcript(prefix))
    return [r.payload for r in rest if r.direction == "agi->asterisk"]


# -- env block ---------------------------------------------------------------------


def test_env_block_of_a_full_session() -> None:
    block, _ = env_and_rest(load_transcript("01"))
    env = parse_env(block)
    assert env.network_script == "ivr"
    assert env.request == "agi://127.0.0.1:4573/ivr"
    assert env.channel == "Local/s@caller-sim-00000001;1"
    assert (env.language, env.type, env.version) == ("en", "Local", "22.10.1")
    assert env.uniqueid == "1795316039.2"
    assert (env.callerid, env.calleridname) == ("5551234", "Test Caller")
    assert (env.context, env.extension, env.priority) == ("hotline", "1414", "3")
    assert env.accountcode == ""  # sent as "agi_accountcode: " with a trailing space
    assert env.threadid == "139960808470208"
    assert env.args == ("full",)
    assert env.raw["agi_enhanced"] == "0.0"
    assert len(env.raw) == 23


def test_env_block_of_a_hold_visit_has_two_args() -> None:
    block, _ = env_and_rest(load_transcript("07a"))
    env = parse_env(block)
    assert env.network_script == "holdprobe"
    assert env.request == "agi://127.0.0.1:50237/holdprobe"
    assert env.args == ("visit", "1")


def test_ten_env_args_keep_their_order() -> None:
    block, _ = env_and_rest(load_transcript("01"))
    lines = b"".join(f"agi_arg_{n}: a{n}\n".encode() for n in range(1, 11))
    env = parse_env(block.replace(b"agi_arg_1: full\n", lines))
    assert env.args == tuple(f"a{n}" for n in range(1, 11))


def test_env_block_that_is_not_agi_is_refused() -> None:
    with pytest.raises(AgiProtocolError):
        parse_env(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")


def test_env_with_bytes_that_are_not_utf8_is_kept() -> None:
    block, _ = env_and_rest(load_transcript("01"))
    env = parse_env(block.replace(b"Test Caller", b"\xd0\x90\xff"))
    assert env.calleridname == "\u0410\ufffd"


# -- responses -----------------------------------------------------------------------


def test_every_reply_of_the_full_session() -> None:
    items = replies("01")
    assert len(items) == len(commands("01")) + 1  # one answer each, then the final HANGUP
    assert isinstance(items[-1], HangupNotice)
    by_line = {i.line: i for i in items if isinstance(i, AgiResponse)}
    assert by_line["200 result=0 endpos=8000"].endpos == 8000
    missing = by_line["200 result=-1 endpos=0"]
    assert (missing.result, missing.endpos, missing.result_int) == ("-1", 0, -1)
    assert by_line["200 result=123"].result == "123"
    assert by_line["200 result=55"].result_int == ord("7")
    assert by_line["200 result=1 (hello world)"].data == "hello world"
    full = by_line["200 result=1 (5551234|123|Local/s@caller-sim-00000001;1)"]
    assert full.data == "5551234|123|Local/s@caller-sim-00000001;1"
    assert by_line["200 result=1 ()"].data == ""
    assert by_line["200 result=0"].data is None
    assert by_line["510 Invalid or unknown command"].code == 510
    usage = by_line["520-Invalid command syntax.  Proper usage follows:"]
    assert usage.code == 520
    assert usage.usage == (
        "Stream the given <replaceable>file</replaceable>, and receive DTMF data.",
        "Returns the digits received from the channel at the other end.",
    )
    assert by_line["200 result=-2"].result_int == -2


def test_timeouts() -> None:
    items = replies("02")
    assert len(items) == len(commands("02")) + 1
    nothing = items[1]
    assert isinstance(nothing, AgiResponse)
    assert (nothing.result, nothing.data, nothing.result_int) == ("", "timeout", None)
    one_digit = items[3]
    assert isinstance(one_digit, AgiResponse)
    assert (one_digit.result, one_digit.data) == ("5", "timeout")


def test_caller_hangup_gives_minus_one_then_a_bare_hangup_line() -> None:
    items = replies("03")
    kinds = [i.line if isinstance(i, AgiResponse) else "HANGUP" for i in items]
    dead = "511 Command Not Permitted on a dead channel or intercept routine"
    assert kinds == [
        "200 result=0",
        "200 result=-1",
        "HANGUP",
        "200 result=1",
        "200 result=1 (Local/s@caller-sim-00000006;1)",
        dead,
        dead,
        "510 Invalid or unknown command",
        "HANGUP",
    ]
    assert all(i.code == 511 for i in items if isinstance(i, AgiResponse) and i.line == dead)


def test_escape_digit_and_max_digits() -> None:
    items = replies("04")
    escape = items[1]
    assert isinstance(escape, AgiResponse)
    assert (escape.result_int, escape.endpos) == (ord("9"), 18080)
    max_digits = items[2]
    assert isinstance(max_digits, AgiResponse)
    assert max_digits.result == "42"


def test_queue_handoff() -> None:
    items = replies("05")
    assert [i.line for i in items if isinstance(i, AgiResponse)] == [
        "200 result=0",
        "200 result=1",
        "200 result=1",
    ]
    assert isinstance(items[-1], HangupNotice)


def test_edge_cases_usage_blocks_and_quoted_values() -> None:
    items = [i for i in replies("06") if isinstance(i, AgiResponse)]
    usages = [i for i in items if i.code == 520]
    assert [len(u.usage) for u in usages] == [2, 1, 1]
    assert usages[0].usage[1] == "Example return code: 200 result=1 (testvariable)"
    assert any(i.data == 'a "quoted" value' for i in items)
    assert [i.data for i in items if i.data in ("Test Caller", "Renamed")] == [
        "Test Caller",
        "Renamed",
    ]


def test_redirect_during_wait_for_digit() -> None:
    items = replies("08a")
    kinds = [i.line if isinstance(i, AgiResponse) else "HANGUP" for i in items]
    assert kinds[3:5] == ["200 result=-1", "HANGUP"]
    assert kinds.count("HANGUP") == 2
    target = [i for i in items if isinstance(i, AgiResponse) and i.data == "holdprobe-connect,op,1"]
    assert len(target) == 1


@pytest.mark.parametrize(
    ("line", "result", "data", "endpos"),
    [
        ("200 result=0 (timeout) endpos=16000", "0", "timeout", 16000),
        ("200 result=1 (a (b) c)", "1", "a (b) c", None),
        ("200 result=1 (x) y) endpos=3", "1", "x) y", 3),
    ],
)
def test_result_lines_not_in_the_captures(
    line: str, result: str, data: str, endpos: int | None
) -> None:
    response = parse_response([line])
    assert (response.result, response.data, response.endpos) == (result, data, endpos)


def test_a_line_that_is_not_agi_is_an_error() -> None:
    with pytest.raises(AgiProtocolError):
        AgiResponseReader().feed_line("hello there\n")


# -- quoting -------------------------------------------------------------------------

_UNCARRIABLE = str.maketrans({"\r": " ", "\n": " ", "\0": " "})


def test_quote_examples_match_the_captured_commands() -> None:
    assert format_command("STREAM FILE", "hotline-welcome", "") == 'STREAM FILE hotline-welcome ""'
    assert format_command("VERBOSE", "IVR menu reached", "1") == 'VERBOSE "IVR menu reached" 1'
    assert (
        format_command("SET VARIABLE", "QUOTED", 'a "quoted" value')
        == 'SET VARIABLE QUOTED "a \\"quoted\\" value"'
    )


def test_a_caller_id_name_cannot_inject_a_command() -> None:
    line = format_command("SET VARIABLE", "CALLERID(name)", 'Evil"\nHANGUP')
    assert "\n" not in line
    assert "\r" not in line
    assert parse_args(line.encode()) == [b"SET", b"VARIABLE", b"CALLERID(name)", b'Evil" HANGUP']


def test_a_command_that_does_not_fit_res_agis_buffer_is_refused() -> None:
    with pytest.raises(AgiArgumentError):
        format_command("VERBOSE", "x" * MAX_COMMAND_BYTES, "1")


@given(st.lists(st.text(), max_size=12))
def test_any_arguments_round_trip_through_res_agis_parser(values: list[str]) -> None:
    line = " ".join(["EXEC", *(quote(v) for v in values)])
    assert "\n" not in line
    parsed = parse_args(line.encode("utf-8"))
    expected = [b"EXEC", *(v.translate(_UNCARRIABLE).encode("utf-8") for v in values)]
    assert parsed == expected


@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r\n\0")))
def test_values_without_line_breaks_round_trip_exactly(value: str) -> None:
    assert parse_args(quote(value).encode("utf-8")) == [value.encode("utf-8")]
