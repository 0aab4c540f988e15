"""A hotline's mode in Redis: `normal` or `emergency` (the menu's `emergency` section).

The IVR driver reads it with one GET at the start of each call, so new callers follow a change
at once (no restart) while calls already in the menu keep their path.
"""

from __future__ import annotations

from typing import Final

from redis.asyncio import Redis

from hotline.queue.keys import AcdKeys

NORMAL: Final = "normal"
EMERGENCY: Final = "emergency"
MODES: Final = (NORMAL, EMERGENCY)


async def get_mode(redis: Redis, hotline_id: str) -> str:
    """The hotline's mode; `normal` when none was set (or an unknown value is stored)."""
    value = await redis.get(AcdKeys(hotline_id).mode)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value if value in MODES else NORMAL


async def set_mode(redis: Redis, hotline_id: str, mode: str) -> None:
    """Store the hotline's mode. Whether the hotline has an emergency section is the caller's
    check (the CLI's): this module does not read configurations."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (one of: {', '.join(MODES)})")
    await redis.set(AcdKeys(hotline_id).mode, mode)
