"""`hotline serve`: the controller for a real Asterisk, configured from the environment.

SIGINT or SIGTERM stop it; SIGHUP re-reads the hotline files for new calls
(`hotline.controller.reload`)."""

from __future__ import annotations

import asyncio
import logging
import math
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

from hotline.clock import real_clock
from hotline.config import HotlineConfig, find_hotline, load_hotline, prompts_manifest_path
from hotline.controller.app import AmiSettings, Controller, ControllerSettings
from hotline.controller.ownership import LEASE_RENEW_S, LEASE_TTL_S
from hotline.controller.reload import log_report, read_hotline_files
from hotline.errors import HotlineError
from hotline.tasks import stop_task

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


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name}: expected seconds, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise SettingsError(f"{name}: expected a positive number of seconds, got {text!r}")
    return value


def _secret(env: Mapping[str, str], name: str, *, required: bool) -> str | None:
    """A secret from the variable `name` or from the file `name`_FILE names (one trailing
    newline stripped), at most one of them. Errors never quote the secret."""
    file_name = f"{name}_FILE"
    inline = env.get(name, "")
    path = env.get(file_name, "")
    if inline and path:
        raise SettingsError(f"set {name} or {file_name}, not both")
    if not path:
        if not inline:
            if required:
                raise SettingsError(f"{name} (or {file_name}) is not set")
            return None
        return inline
    source = f"{file_name} ({path})"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{source}: not UTF-8 text") from None
    secret = text.removesuffix("\n").removesuffix("\r")
    if not secret:
        raise SettingsError(f"{source}: the file is empty")
    if "\n" in secret or "\r" in secret:
        raise SettingsError(f"{source}: the secret must be one line")
    return secret


def settings_from_env(env: Mapping[str, str], data_dir: Path) -> ControllerSettings:
    """Every setting, from HOTLINE_* variables (REDIS_URL too); see the README's table."""
    redis_url = env.get("HOTLINE_REDIS_URL") or env.get("REDIS_URL")
    if not redis_url:
        raise SettingsError("HOTLINE_REDIS_URL (or REDIS_URL) is not set")
    secret = _secret(env, "HOTLINE_AMI_SECRET", required=True)
    assert secret is not None  # required
    lease_ttl_s = _seconds(env, "HOTLINE_LEASE_TTL_S", LEASE_TTL_S)
    lease_renew_s = _seconds(env, "HOTLINE_LEASE_RENEW_S", LEASE_RENEW_S)
    if lease_renew_s >= lease_ttl_s:
        raise SettingsError(
            f"HOTLINE_LEASE_RENEW_S ({lease_renew_s}) must be below HOTLINE_LEASE_TTL_S "
            f"({lease_ttl_s}): the lease would run out between two renewals"
        )
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
        http_host=env.get("HOTLINE_HTTP_HOST", "127.0.0.1"),
        http_port=_int(env, "HOTLINE_HTTP_PORT", 9574),
        api_token=_secret(env, "HOTLINE_API_TOKEN", required=False),
        lease_ttl_s=lease_ttl_s,
        lease_renew_s=lease_renew_s,
    )


async def serve_forever(hotlines: Sequence[str], data_dir: Path, env: Mapping[str, str]) -> int:
    sources: dict[str, Path] = {}
    configs: dict[str, HotlineConfig] = {}
    for given in hotlines:
        path = find_hotline(given)
        config = load_hotline(path)
        sources[config.id], configs[config.id] = path, config
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings_from_env(env, data_dir)
    controller = Controller(settings, configs, real_clock())
    stop = asyncio.Event()
    reloads: asyncio.Queue[None] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reloads.put_nowait, None)
    reloader = asyncio.create_task(_reload_on_signal(controller, sources, reloads))
    try:
        await controller.start_listeners()
        await controller.connect()
        log.info("serving %s", ", ".join(configs))
        await stop.wait()
    finally:
        await stop_task(reloader)
        await controller.stop()
    return 0


async def _reload_on_signal(
    controller: Controller, sources: Mapping[str, Path], reloads: asyncio.Queue[None]
) -> None:
    """One reload per SIGHUP, one at a time; a reload that fails keeps the server up."""
    while True:
        await reloads.get()
        try:
            configs, failed = await asyncio.to_thread(
                read_hotline_files, sources, prompts_manifest_path()
            )
            log_report(await controller.reload(configs, failed))
        except Exception:
            log.exception("reload failed; the running configuration is kept")
