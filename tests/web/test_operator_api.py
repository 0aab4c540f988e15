"""The operators' HTTP API (hotline.web.operator_api): in-process against a real Redis, and
once over a real socket through HttpServer."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis.asyncio as redis

from hotline.config import find_hotline, load_hotline
from hotline.queue import Acd
from hotline.web.http_server import HttpServer
from hotline.web.operator_api import operator_api
from tests.controller.fakes import FakeClock

ALMATY = ZoneInfo("Asia/Almaty")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=ALMATY).timestamp()
TOKEN = "supervisor-token-for-tests"
PIN_01 = {"X-Operator-Pin": "4017"}  # op01's sample PIN
SUPERVISOR = {"Authorization": f"Bearer {TOKEN}"}
BASE = "/api/hotlines/400-100/operators"


class Changes:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
async def acd(redis_url: str) -> AsyncIterator[Acd]:
    client = redis.Redis.from_url(redis_url)
    try:
        yield Acd(client, "400-100")
    finally:
        await client.aclose()


def client_for(acd: Acd, changes: Changes, token: str | None = TOKEN) -> httpx.AsyncClient:
    hotline = load_hotline(find_hotline("400-100"))
    app = operator_api({"400-100": hotline}, {"400-100": acd}, FakeClock(MONDAY_10), changes, token)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hotline")


async def test_an_operator_changes_their_own_state_with_their_pin(acd: Acd) -> None:
    changes = Changes()
    async with client_for(acd, changes) as http:
        login = await http.post(f"{BASE}/op01/login", headers=PIN_01)
        assert (login.status_code, login.json()["state"]) == (200, "available")
        paused = await http.post(f"{BASE}/op01/pause", headers=PIN_01, json={"reason": "lunch"})
        assert (paused.status_code, paused.json()["state"]) == (200, "paused")
        ready = await http.post(f"{BASE}/op01/ready", headers=PIN_01)
        assert (ready.status_code, ready.json()["state"]) == (200, "available")
    assert changes.count == 3
    op01 = await acd.operator("op01")
    assert op01 is not None
    assert op01["state"] == "available"


async def test_who_may_do_what(acd: Acd) -> None:
    changes = Changes()
    async with client_for(acd, changes) as http:
        wrong_pin = await http.post(f"{BASE}/op01/login", headers={"X-Operator-Pin": "0000"})
        assert wrong_pin.status_code == 401
        # op02 has no PIN: only a supervisor may change their state.
        assert (await http.post(f"{BASE}/op02/login")).status_code == 401
        assert (await http.post(f"{BASE}/op02/login", headers=PIN_01)).status_code == 401
        by_supervisor = await http.post(f"{BASE}/op02/login", headers=SUPERVISOR)
        assert by_supervisor.json()["state"] == "available"
        assert (await http.get(BASE, headers=PIN_01)).status_code == 401
        listing = await http.get(BASE, headers=SUPERVISOR)
        assert listing.status_code == 200
        assert listing.json()["operators"]["op02"] == "available"
        assert listing.json()["operators"]["op06"] == "offline"
    assert changes.count == 1
    async with client_for(acd, changes, token=None) as http:
        # No token configured: nobody is a supervisor, whatever they send.
        assert (await http.get(BASE, headers={"Authorization": "Bearer "})).status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("post", f"{BASE}/op01/pause", None, 400, "pause needs"),
        ("post", f"{BASE}/op01/pause", {"reason": "nap"}, 409, "unknown pause reason 'nap'"),
        ("post", f"{BASE}/op06/login", None, 409, "op06 is not on a shift"),
        ("post", f"{BASE}/op99/login", None, 404, "no operator 'op99'"),
        ("post", f"{BASE}/op01/dance", None, 404, "no action 'dance'"),
        ("get", "/api/hotlines/999/operators", None, 404, "no hotline '999'"),
    ],
)
async def test_refusals_say_why(
    acd: Acd, method: str, path: str, body: object, status: int, error: str
) -> None:
    async with client_for(acd, Changes()) as http:
        await http.post(f"{BASE}/op01/login", headers=SUPERVISOR)
        response = await http.request(method, path, headers=SUPERVISOR, json=body)
    assert response.status_code == status
    assert error in response.json()["error"]


async def test_a_redis_outage_is_a_503_not_a_crash() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    try:
        async with client_for(Acd(client, "400-100"), Changes()) as http:
            response = await http.post(f"{BASE}/op01/login", headers=PIN_01)
        assert response.status_code == 503
        assert response.json() == {"error": "the queue store is unreachable"}
    finally:
        await client.aclose()


async def test_served_over_a_real_socket(acd: Acd) -> None:
    hotline = load_hotline(find_hotline("400-100"))
    app = operator_api(
        {"400-100": hotline}, {"400-100": acd}, FakeClock(MONDAY_10), Changes(), TOKEN
    )
    server = HttpServer(app)
    port = await server.start("127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            response = await http.post(f"{BASE}/op01/login", headers=PIN_01)
        assert response.json() == {"hotline": "400-100", "operator": "op01", "state": "available"}
    finally:
        await server.close()
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await http.get(BASE)
