"""Fixtures for the FastAGI tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from agi_helpers import FakeAsterisk, ServerFactory

from hotline.agi.server import FastAgiServer, Handler
from hotline.clock import ScaledClock


@pytest.fixture
async def fake_asterisks() -> AsyncIterator[list[FakeAsterisk]]:
    """Fakes appended here are closed at the end of the test."""
    fakes: list[FakeAsterisk] = []
    yield fakes
    for fake in fakes:
        await fake.close()


@pytest.fixture
async def start_server() -> AsyncIterator[ServerFactory]:
    """Start a FastAgiServer on port 0; every one started is closed after the test."""
    servers: list[FastAgiServer] = []

    async def start(handlers: Mapping[str, Handler], **limits: Any) -> tuple[FastAgiServer, int]:
        server = FastAgiServer(handlers, ScaledClock(), **limits)
        servers.append(server)
        return server, await server.start()

    yield start
    for server in servers:
        await server.close()
