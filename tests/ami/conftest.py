"""Fixtures for the AMI tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from ami_helpers import FakeAmi


@pytest.fixture
async def fake_ami() -> AsyncIterator[FakeAmi]:
    server = FakeAmi()
    await server.start()
    yield server
    await server.close()
