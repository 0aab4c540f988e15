"""The test redis-server helper itself: own pid, clash retry, restart with or without data."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline import redis_server as redis_proc
from hotline.redis_server import RedisProcess, RedisProcessError

pytestmark = pytest.mark.redis


def test_a_taken_port_is_retried_with_another(
    redis_server: RedisProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = iter([redis_server.port, redis_proc.free_port()])
    monkeypatch.setattr(redis_proc, "free_port", lambda: next(ports))
    server = RedisProcess(tmp_path)
    try:
        server.start()  # the first port answers as the session's server: not ours

        assert server.port != redis_server.port
        with server.client() as client:
            assert int(client.info("server")["process_id"]) == server.pid
    finally:
        server.stop()
    assert not server.running


def test_an_explicit_taken_port_fails(redis_server: RedisProcess, tmp_path: Path) -> None:
    server = RedisProcess(tmp_path)
    with pytest.raises(RedisProcessError, match=f"port {redis_server.port}"):
        server.start(redis_server.port)
    assert not server.running


def test_restart_keeps_the_port_and_optionally_the_data(tmp_path: Path) -> None:
    server = RedisProcess(tmp_path)
    server.start()
    try:
        port, pid = server.port, server.pid
        with server.client() as client:
            client.set("k", "v")

        server.restart(keep_data=True)
        assert (server.port, server.pid != pid) == (port, True)
        with server.client() as client:
            assert client.get("k") == b"v"

        server.restart()
        with server.client() as client:
            assert client.get("k") is None
    finally:
        server.stop()


def test_a_missing_redis_server_says_what_to_install(tmp_path: Path) -> None:
    server = RedisProcess(tmp_path, executable=str(tmp_path / "no-such-redis-server"))
    with pytest.raises(RedisProcessError, match=r"set REDIS_URL, or install redis-server"):
        server.start()
    assert not server.running
