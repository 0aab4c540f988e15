"""The operators' HTTP API against a hostile client: PIN guessing (rate limit, lockout,
log lines without the PIN), probing which ids exist, and bodies built to crash the parser.
In-process against a real Redis; the lockouts run on the injected clock (no sleeping)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as redis
from starlette.applications import Starlette

from hotline.config import find_hotline, load_hotline
from hotline.queue import Acd
from hotline.web.operator_api import operator_api
from hotline.web.request_body import MAX_BODY_BYTES
from tests.controller.fakes import FakeClock
from tests.web.test_operator_api import BASE, MONDAY_10, PIN_01, SUPERVISOR, TOKEN, Changes

OP04_PIN = {"X-Operator-Pin": "7304"}
ATTACKER = ("198.51.100.23", 40000)


@pytest.fixture
async def acd(redis_url: str) -> AsyncIterator[Acd]:
    client = redis.Redis.from_url(redis_url)
    try:
        yield Acd(client, "400-100")
    finally:
        await client.aclose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_10)


@pytest.fixture
def app(acd: Acd, clock: FakeClock) -> Starlette:
    hotline = load_hotline(find_hotline("400-100"))
    return operator_api({"400-100": hotline}, {"400-100": acd}, clock, Changes(), TOKEN)


def client(app: Starlette, address: tuple[str, int] = ATTACKER) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=address)
    return httpx.AsyncClient(transport=transport, base_url="http://hotline")


def wrong(n: int) -> dict[str, str]:
    """The n-th wrong PIN: 9000, 9001, ... (op01's is 4017)."""
    return {"X-Operator-Pin": f"{9000 + n}"}


async def test_fifty_wrong_pins_lock_the_operator_out_and_no_log_line_has_a_pin(
    app: Starlette, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with client(app) as http:
        answers = [await http.post(f"{BASE}/op01/login", headers=wrong(n)) for n in range(50)]
        statuses = [a.status_code for a in answers]
        # Only 5 PINs were compared; the other 45 were refused without a look.
        assert statuses == [401] * 5 + [429] * 45
        assert answers[5].headers["Retry-After"] == "60"
        locked = await http.post(f"{BASE}/op01/login", headers=PIN_01)
        assert locked.status_code == 429
        assert "try again in" in locked.json()["error"]
        clock.advance(int(locked.headers["Retry-After"]))
        unlocked = await http.post(f"{BASE}/op01/login", headers=PIN_01)
        assert (unlocked.status_code, unlocked.json()["state"]) == (200, "available")
    refusals = [r for r in caplog.records if "refused authentication" in r.getMessage()]
    assert len(refusals) == 5
    assert all(r.levelno == logging.WARNING for r in refusals)
    assert all(
        "op01" in r.getMessage() and "400-100" in r.getMessage() and ATTACKER[0] in r.getMessage()
        for r in refusals
    )
    tried = {wrong(n)["X-Operator-Pin"] for n in range(50)} | {PIN_01["X-Operator-Pin"]}
    for record in caplog.records:
        assert not any(pin in record.getMessage() for pin in tried), record.getMessage()


async def test_the_lockout_grows_and_a_success_resets_the_operators_count(
    app: Starlette, clock: FakeClock
) -> None:
    async with client(app) as http:
        for _ in range(4):
            assert (await http.post(f"{BASE}/op01/login", headers=wrong(1))).status_code == 401
        assert (await http.post(f"{BASE}/op01/login", headers=PIN_01)).status_code == 200
        # The right PIN started the count again: four more misses do not lock.
        for _ in range(4):
            assert (await http.post(f"{BASE}/op01/logout", headers=wrong(2))).status_code == 401
        assert (await http.post(f"{BASE}/op01/logout", headers=wrong(3))).status_code == 401
        first = await http.post(f"{BASE}/op01/logout", headers=PIN_01)
        assert (first.status_code, first.headers["Retry-After"]) == (429, "60")
        clock.advance(60)
        for _ in range(5):
            await http.post(f"{BASE}/op01/logout", headers=wrong(4))
        second = await http.post(f"{BASE}/op01/logout", headers=PIN_01)
        assert (second.status_code, second.headers["Retry-After"]) == (429, "120")


async def test_an_address_has_a_budget_across_operators_and_unknown_ids(app: Starlette) -> None:
    async with client(app) as http:
        for n in range(20):
            # Four guesses per id, never the five that lock one operator out.
            op = ["op01", "op04", "op77", "nobody-here", "op99"][n // 4]
            answer = await http.post(f"{BASE}/{op}/login", headers=wrong(n))
            assert answer.status_code == 401, (n, answer.json())
        spent = await http.post(f"{BASE}/op04/login", headers=OP04_PIN)
        assert spent.status_code == 429
    # Another client is not held back by that one, and op04 was not locked out.
    async with client(app, ("192.0.2.10", 5000)) as http:
        assert (await http.post(f"{BASE}/op04/login", headers=OP04_PIN)).status_code == 200


async def test_unknown_hotline_unknown_operator_and_wrong_pin_get_the_same_answer(
    app: Starlette,
) -> None:
    async with client(app) as http:
        answers = [
            await http.post("/api/hotlines/999/operators/op01/login", headers=PIN_01),
            await http.post(f"{BASE}/op99/login", headers=PIN_01),
            await http.post(f"{BASE}/op01/login", headers=wrong(0)),
            await http.post(f"{BASE}/op01/dance", headers=wrong(0)),
            await http.get("/api/hotlines/999/operators", headers={"Authorization": "Bearer x"}),
        ]
        assert {a.status_code for a in answers} == {401}
        assert len({a.text for a in answers[:4]}) == 1
        # A supervisor is told what does not exist.
        assert (await http.post(f"{BASE}/op99/login", headers=SUPERVISOR)).status_code == 404
        listing = await http.get("/api/hotlines/999/operators", headers=SUPERVISOR)
        assert listing.status_code == 404


async def test_an_unknown_id_is_locked_out_like_a_known_one(app: Starlette) -> None:
    async with client(app) as http:
        paths = [f"{BASE}/op01/login", f"{BASE}/op99/login", "/api/hotlines/999/operators/x/login"]
        for path in paths:
            answers = [(await http.post(path, headers=wrong(n))).status_code for n in range(6)]
            # The lockout does not tell which ids exist: the sixth is a 429 for all three.
            assert answers == [401] * 5 + [429], path


# 2,000 and 1,000 levels, both under the size bound: past json's recursion limit.
@pytest.mark.parametrize("body", ["[" * 2000, '[{"a":' * 500], ids=["arrays", "objects"])
async def test_a_deeply_nested_body_is_a_400_not_a_crash(
    app: Starlette, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with client(app) as http:
        answer = await http.post(
            f"{BASE}/op01/pause",
            headers={**PIN_01, "Content-Type": "application/json"},
            content=body,
        )
    assert answer.status_code == 400
    assert answer.json() == {"error": "the body is nested too deeply (at most 8 levels)"}
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_body_past_the_size_bound_is_refused_unread(app: Starlette) -> None:
    body = '{"reason": "' + "x" * MAX_BODY_BYTES + '"}'
    async with client(app) as http:
        answer = await http.post(f"{BASE}/op01/pause", headers=PIN_01, content=body)
    assert answer.status_code == 413
    assert "larger than 4096 bytes" in answer.json()["error"]
