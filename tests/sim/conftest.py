"""Fixtures for hotline.sim tests: the reference captures, a scripted FastAGI server and
a SimPBX running the real extensions.conf on a fast clock."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sim_helpers import (
    CLOCK_SPEED,
    EXTENSIONS_CONF,
    REFERENCE_DIR,
    PbxFactory,
    ScriptedAgiServer,
)

from hotline.clock import ScaledClock
from hotline.sim import FixedSounds, SimPBX
from hotline.sim.sounds import SoundLibrary


@pytest.fixture
def reference_dir() -> Path:
    """The Asterisk 22.10.1 captures; their absence is a failure, never a skip."""
    if not (REFERENCE_DIR / "README.md").is_file():
        pytest.fail(
            f"reference captures missing: expected {REFERENCE_DIR} (../shared next to the repo)"
        )
    return REFERENCE_DIR


@pytest.fixture
async def agi_server() -> AsyncIterator[ScriptedAgiServer]:
    server = ScriptedAgiServer()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def make_pbx(clock_start: float) -> AsyncIterator[PbxFactory]:
    """Build SimPBX instances on a fast clock started at the suite's `clock_start`; all of
    them are closed after the test."""
    made: list[SimPBX] = []

    def factory(
        agi_url: str,
        sounds: SoundLibrary | None = None,
        speed: float = CLOCK_SPEED,
        **globals_: str,
    ) -> SimPBX:
        pbx = SimPBX(
            ScaledClock(speed=speed, start=clock_start),
            EXTENSIONS_CONF,
            {"HOTLINE_AGI": agi_url, **globals_},
            sounds or FixedSounds(duration_s=1.0),
            random.Random(7),
        )
        made.append(pbx)
        return pbx

    yield factory
    for pbx in made:
        await pbx.close()
