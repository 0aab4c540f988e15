"""`hotline serve`: the controller for a real Asterisk, configured from the environment."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

from hotline.clock import real_clock
from hotline.config import find_hotline, load_hotline
from hotline.controller.app import AmiSettings, Controller, ControllerSettings
from hotline.errors import HotlineError

log = logging.getLogger(__name__)


class SettingsError(HotlineError):
    """A missing or malformed environment variable."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise SettingsError(f"{name}: expected a port number, got {text!r}") from None


def settings_from_env(env: Mapping[str, str], data_dir: Path) -> ControllerSettings:
    """Every setting, from HOTLINE_* variables (REDIS_URL too); see the README's table."""
    redis_url = env.get("HOTLINE_REDIS_URL") or env.get("REDIS_URL")
    if not redis_url:
        raise SettingsError("HOTLINE_REDIS_URL (or REDIS_URL) is not set")
    secret = env.get("HOTLINE_AMI_SECRET")
    if not secret:
        raise SettingsError("HOTLINE_AMI_SECRET is not set")
    return ControllerSettings(
        redis_url=redis_url,
        database_url=env.get("HOTLINE_DATABASE_URL") or f"sqlite:///{data_dir / 'hotline.db'}",
        data_dir=data_dir,
        ami=AmiSettings(
            host=env.get("HOTLINE_AMI_HOST", "127.0.0.1"),
            port=_int(env, "HOTLINE_AMI_PORT", 5038),
            username=env.get("HOTLINE_AMI_USERNAME", "hotline"),
            secret=secret,
        ),
        agi_host=env.get("HOTLINE_AGI_HOST", "127.0.0.1"),
        agi_port=_int(env, "HOTLINE_AGI_PORT", 4573),
        metrics_host=env.get("HOTLINE_METRICS_HOST", "127.0.0.1"),
        metrics_port=_int(env, "HOTLINE_METRICS_PORT", 9573),
    )


async def serve_forever(hotlines: Sequence[str], data_dir: Path, env: Mapping[str, str]) -> int:
    configs = [load_hotline(find_hotline(h)) for h in hotlines]
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings_from_env(env, data_dir)
    controller = Controller(settings, {c.id: c for c in configs}, real_clock())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await controller.start_listeners()
        await controller.connect()
        log.info("serving %s", ", ".join(c.id for c in configs))
        await stop.wait()
    finally:
        await controller.stop()
    return 0
