"""Serving an ASGI app inside the controller's own event loop (uvicorn, minus its signals).

uvicorn's `Server.serve` replaces the process's SIGINT and SIGTERM handlers while it runs;
inside `hotline serve`, which handles those (and SIGHUP) itself, that would turn a SIGTERM
into uvicorn's shutdown alone. `capture_signals` is therefore a no-op here, and the
controller stops the server like any other part.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator

import uvicorn
from starlette.types import ASGIApp

from hotline.tasks import stop_task


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class HttpServer:
    """One ASGI app on one listening socket; port 0 picks a free port."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen and serve; the bound port once requests are accepted."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        bound = int(sock.getsockname()[1])
        config = uvicorn.Config(self._app, log_level="warning", lifespan="off", access_log=False)
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="http")
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what stopped it
                raise OSError(f"HTTP server on {host}:{bound} stopped at start")
            await asyncio.sleep(0.01)
        return bound

    async def close(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), 5.0)
        await stop_task(self._task)
        self._task = None
