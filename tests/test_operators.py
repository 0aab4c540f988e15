"""Operator log-in, pause and ready with the hotline's rules (hotline.operators), through
`OperatorControl` and the `hotline operator` command, against a real Redis."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as redis

from hotline.cli import main
from hotline.config import find_hotline, load_hotline
from hotline.operators import OperatorControl, OperatorError
from hotline.operators.pauses import LongPause, long_pauses
from hotline.queue import Acd
from hotline.queue.errors import AcdConflictError
from hotline.shifts import on_shift
from tests.controller.fakes import FakeClock

ALMATY = ZoneInfo("Asia/Almaty")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=ALMATY).timestamp()


@pytest.fixture
async def acd(redis_url: str) -> AsyncIterator[Acd]:
    client = redis.Redis.from_url(redis_url)
    try:
        yield Acd(client, "400-100")
    finally:
        await client.aclose()


async def test_login_gives_the_operator_their_queues_and_only_on_shift(acd: Acd) -> None:
    hotline = load_hotline(find_hotline("400-100"))
    control = OperatorControl(hotline, acd, FakeClock(MONDAY_10))

    assert await control.login("op03") == "available"
    op03 = await acd.operator("op03")
    assert op03 is not None
    assert op03["queues"] == "social-payments-kk"  # Kazakh, social payments only

    with pytest.raises(OperatorError, match="op06 is not on a shift"):
        await control.login("op06")  # the night shift
    with pytest.raises(OperatorError, match="no operator 'op99'"):
        await control.login("op99")
    assert (await control.status())["op06"] == "offline"


async def test_pause_needs_a_configured_reason_and_ready_ends_it(acd: Acd) -> None:
    hotline = load_hotline(find_hotline("400-100"))
    control = OperatorControl(hotline, acd, FakeClock(MONDAY_10))
    await control.login("op01")

    with pytest.raises(OperatorError, match="unknown pause reason 'nap'"):
        await control.pause("op01", "nap")
    assert await control.pause("op01", "lunch") == "paused"
    assert (await control.status())["op01"] == "paused"
    assert await control.ready("op01") == "available"
    assert await control.logout("op01") == "offline"


async def test_pausing_an_operator_who_never_logged_in_is_refused(acd: Acd) -> None:
    hotline = load_hotline(find_hotline("400-100"))
    control = OperatorControl(hotline, acd, FakeClock(MONDAY_10))
    with pytest.raises(AcdConflictError):
        await control.pause("op02", "break")


def run(argv: list[str]) -> int:
    # In a thread of its own: main() calls asyncio.run(), which would otherwise replace (and
    # orphan, unclosed) the event loop pytest-asyncio keeps for this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(main, argv).result()


def test_the_operator_command(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOTLINE_REDIS_URL", redis_url)
    hotline = load_hotline(find_hotline("400-100"))
    # The command runs on the machine's clock: take someone on shift right now.
    op_id = on_shift(hotline, time.time())[0].id

    assert run(["operator", "login", "400-100", op_id]) == 0
    assert run(["operator", "pause", "400-100", op_id, "--reason", "break"]) == 0
    assert run(["operator", "status", "400-100"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"operator {op_id} of hotline 400-100: available"
    assert out[1] == f"operator {op_id} of hotline 400-100: paused"
    assert f"{op_id} paused" in out[2:]
    assert len(out[2:]) == len(hotline.operators)

    assert run(["operator", "pause", "400-100", op_id, "--reason", "nap"]) == 1
    assert "unknown pause reason 'nap'" in capsys.readouterr().err


def test_pauses_past_their_limit_are_found() -> None:
    reasons = load_hotline(find_hotline("400-100")).routing.pause_reasons  # break 900 s
    pauses = {
        "op01": ("break", 1000.0),  # 1,000 s at 2,000: 100 s over
        "op02": ("break", 1100.0),  # exactly at the limit: not over
        "op03": ("training", 0.0),  # no limit
        "op04": ("no-answer", 0.0),  # the ACD's own reason: no limit
    }
    assert long_pauses(pauses, reasons, 2000.0) == [LongPause("op01", "break", 1000.0, 100.0)]


async def test_the_acd_lists_who_is_paused_since_when(acd: Acd) -> None:
    hotline = load_hotline(find_hotline("400-100"))
    control = OperatorControl(hotline, acd, FakeClock(MONDAY_10))
    await control.login("op01")
    await control.login("op02")
    await control.pause("op02", "break")
    assert await acd.pauses() == {"op02": ("break", MONDAY_10)}
