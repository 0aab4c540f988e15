"""A private `redis-server` on a free loopback port, for `hotline simulate` without REDIS_URL.

The port is found by binding port 0 and releasing it; another process could take it in
between, so the server's own pid is checked against `INFO server` before it is used.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from hotline.errors import HotlineError

_START_TIMEOUT_S = 10.0


class RedisUnavailableError(HotlineError):
    """No Redis to use: neither REDIS_URL nor a redis-server binary."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PrivateRedis:
    """One redis-server child process that keeps nothing on disk; stop() ends it by pid."""

    def __init__(self, binary: str | None = None) -> None:
        found = binary or shutil.which("redis-server")
        if found is None:
            raise RedisUnavailableError(
                "no Redis: set REDIS_URL, or install redis-server (apt-get install redis-server)"
            )
        self._binary = found
        self._dir = Path(tempfile.mkdtemp(prefix="hotline-redis-"))
        self._proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def start(self, port: int | None = None) -> str:
        for _attempt in range(5):
            self.port = port or _free_port()
            args = ["--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
            args += ["--appendonly", "no", "--dir", str(self._dir), "--loglevel", "warning"]
            self._proc = subprocess.Popen(
                [self._binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            if self._wait_until_ours():
                return self.url
            self.stop()
            if port is not None:
                break
        raise RedisUnavailableError(f"could not start {self._binary} on a free loopback port")

    def _wait_until_ours(self) -> bool:
        """Poll until our child answers PING as itself; False if it died or another answers."""
        assert self._proc is not None
        deadline = time.monotonic() + _START_TIMEOUT_S
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        try:
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    return False
                try:
                    pid = int(client.info("server")["process_id"])
                except redis.ConnectionError:
                    time.sleep(0.02)  # readiness poll of a child process, not a test sleep
                    continue
                return pid == self._proc.pid
            return False
        finally:
            client.close()

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
