"""A private redis-server: own port, own directory, stopped by its pid.

Used by `hotline simulate` when no REDIS_URL is given, and by the tests (which also restart
it).

Redis cannot bind port 0, so we pick a port the kernel just handed out and then make sure the
server answering there is our child (INFO's `process_id`), retrying on a clash with another
process that grabbed the port in between.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

from hotline.errors import HotlineError

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
_START_ATTEMPTS = 5
_READY_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 10.0
_POLL_S = 0.02


class RedisProcessError(HotlineError):
    """The private redis-server could not be started or stopped."""


def free_port() -> int:
    """A loopback port that was free a moment ago (the caller must still check for a clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisProcess:
    """One redis-server child process without persistence (unless `restart(keep_data=True)`)."""

    def __init__(self, workdir: Path, executable: str = REDIS_SERVER) -> None:
        self._workdir = workdir
        self._executable = executable
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RedisProcessError("redis-server not started")
        return self._port

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise RedisProcessError("redis-server not running")
        return self._proc.pid

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, port: int | None = None) -> None:
        """Start on `port`, or on a free port (retrying if another process takes it)."""
        if not Path(self._executable).exists():
            raise RedisProcessError(
                f"{self._executable} not found: set REDIS_URL, or install redis-server "
                "(apt-get install redis-server)"
            )
        if self.running:
            raise RedisProcessError(f"redis-server already running (pid {self.pid})")
        self._workdir.mkdir(parents=True, exist_ok=True)
        attempts = 1 if port is not None else _START_ATTEMPTS
        errors: list[str] = []
        for _ in range(attempts):
            candidate = port if port is not None else free_port()
            error = self._try_start(candidate)
            if error is None:
                self._port = candidate
                return
            errors.append(f"port {candidate}: {error}")
        raise RedisProcessError("could not start redis-server: " + "; ".join(errors))

    def stop(self) -> None:
        """SIGTERM our child (by pid), SIGKILL if it does not exit in time; reap it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=_STOP_TIMEOUT_S)

    def restart(self, keep_data: bool = False) -> None:
        """Stop and start again on the same port (clients see a dropped connection).

        With `keep_data` the dataset is saved first and loaded again, as after a clean
        restart of a persistent server; without it the new server starts empty.
        """
        port = self.port
        dump = self._workdir / "dump.rdb"
        if keep_data:
            with self.client() as client:
                client.save()
        else:
            dump.unlink(missing_ok=True)
        self.stop()
        self.start(port)

    def client(self) -> redis.Redis:
        """A synchronous client for setup and checks (close it: use `with`)."""
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5.0)

    def _try_start(self, port: int) -> str | None:
        """Start a child on `port`; None once it answers PING as itself, else the reason."""
        log_path = self._workdir / f"redis-{port}.log"
        args = [
            self._executable,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self._workdir),
            "--daemonize", "no",
            "--logfile", str(log_path),
        ]  # fmt: skip
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        self._proc = proc
        error = _wait_until_ready(proc, port)
        if error is not None:
            self.stop()
            return f"{error} (log: {log_path})"
        return None


def _wait_until_ready(proc: subprocess.Popen[bytes], port: int) -> str | None:
    """Poll until the server on `port` answers PING and is `proc`; else say why not."""
    deadline = time.monotonic() + _READY_TIMEOUT_S
    last_error = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"exited with code {proc.returncode}"
        try:
            with redis.Redis(host="127.0.0.1", port=port, socket_timeout=1.0) as client:
                client.ping()
                server_pid = int(client.info("server")["process_id"])
        except redis.exceptions.RedisError as exc:
            last_error = str(exc)
        else:
            if server_pid == proc.pid:
                return None
            return f"port taken by another redis-server (pid {server_pid})"
        time.sleep(_POLL_S)  # polling a readiness condition, bounded by the deadline
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    return f"not ready after {_READY_TIMEOUT_S} s: {last_error}"
