"""`/metrics` over HTTP, on a port of our choosing (0: any free one)."""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server

_JOIN_TIMEOUT_S = 5.0


class MetricsServer:
    """A running metrics endpoint; `close()` stops it and joins its thread."""

    def __init__(self, server: WSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def close(self) -> None:
        # shutdown() ends serve_forever(); server_close() releases the listening socket.
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=_JOIN_TIMEOUT_S)


def serve_metrics(
    registry: CollectorRegistry, host: str = "127.0.0.1", port: int = 0
) -> MetricsServer:
    """Serve `registry` at http://host:port/metrics from a daemon thread."""
    # prometheus_client 0.23's start_http_server returns the server and its thread.
    server, thread = start_http_server(port, addr=host, registry=registry)
    return MetricsServer(server, thread)
