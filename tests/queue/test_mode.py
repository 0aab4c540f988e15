"""A hotline's mode in Redis and `hotline mode`, against the session's real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis.asyncio as redis

from hotline.cli import main
from hotline.queue import Acd, AcdKeys
from hotline.queue.mode import get_mode, set_mode


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[redis.Redis]:
    r = redis.Redis.from_url(redis_url)
    await r.delete(AcdKeys("1414").mode, AcdKeys("400-100").mode, AcdKeys("m1").mode)
    yield r
    await r.delete(AcdKeys("1414").mode, AcdKeys("400-100").mode, AcdKeys("m1").mode)
    await r.aclose()


def test_the_mode_key_is_under_the_hotline_hash_tag() -> None:
    assert AcdKeys("1414").mode == "hl:{1414}:mode"


async def test_normal_by_default_then_set_and_get(client: redis.Redis) -> None:
    assert await get_mode(client, "m1") == "normal"
    await set_mode(client, "m1", "emergency")
    assert await get_mode(client, "m1") == "emergency"
    assert await Acd(client, "m1").mode() == "emergency"
    await set_mode(client, "m1", "normal")
    assert await get_mode(client, "m1") == "normal"


async def test_an_unknown_mode_is_refused_and_an_odd_stored_value_reads_normal(
    client: redis.Redis,
) -> None:
    with pytest.raises(ValueError, match="unknown mode 'panic'"):
        await set_mode(client, "m1", "panic")
    await client.set(AcdKeys("m1").mode, "panic")
    assert await get_mode(client, "m1") == "normal"


def run_main(args: list[str]) -> int:
    # In a thread of its own: main() calls asyncio.run(), which would otherwise replace the
    # event loop pytest-asyncio keeps for this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(main, args).result()


async def test_cli_sets_and_prints_the_mode(
    client: redis.Redis,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("HOTLINE_REDIS_URL", raising=False)
    monkeypatch.setenv("REDIS_URL", redis_url)
    assert run_main(["mode", "1414"]) == 0
    assert capsys.readouterr().out == "hotline 1414: normal\n"
    assert run_main(["mode", "1414", "emergency"]) == 0
    assert capsys.readouterr().out == "hotline 1414: emergency\n"
    assert await get_mode(client, "1414") == "emergency"
    assert run_main(["mode", "1414", "normal"]) == 0
    assert await get_mode(client, "1414") == "normal"


async def test_cli_refuses_emergency_without_a_section(
    client: redis.Redis,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    assert run_main(["mode", "400-100", "emergency"]) == 1
    assert "no menu.emergency section" in capsys.readouterr().err
    assert await get_mode(client, "400-100") == "normal"


def test_cli_without_a_redis_url_fails_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HOTLINE_REDIS_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert main(["mode", "1414", "emergency"]) == 1
    assert capsys.readouterr().err == "hotline: HOTLINE_REDIS_URL (or REDIS_URL) is not set\n"
