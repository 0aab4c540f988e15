"""`hotline serve`: the controller for a real Asterisk, configured from the environment.

Before anything starts, `plan_serve` checks the hotline files as `hotline check-config`
does, every variable of the README's table, and that a menu that looks IINs up has the
lists' key: a problem stops serve with a message naming the file, line and field, or the
variable. SIGINT or SIGTERM stop it; SIGHUP re-reads the hotline files for new calls
(`hotline.controller.reload`)."""

from __future__ import annotations

import asyncio
import logging
import math
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from redis.exceptions import RedisError

from hotline.clock import real_clock
from hotline.config import (
    ConfigError,
    ConfigIssue,
    HotlineConfig,
    LookupNode,
    find_hotline,
    load_checked,
    prompts_manifest_path,
)
from hotline.controller.app import AmiSettings, Controller, ControllerSettings
from hotline.controller.ownership import LEASE_RENEW_S, LEASE_TTL_S
from hotline.controller.reload import log_report, read_hotline_files
from hotline.errors import HotlineError
from hotline.ivr.iin import KEY_ENV, KEY_FILE_ENV, IinKeyError, load_iin_key
from hotline.prompts.errors import ManifestError
from hotline.prompts.manifest import load_manifest
from hotline.redact import url_without_password
from hotline.tasks import stop_task

log = logging.getLogger(__name__)


class SettingsError(HotlineError):
    """A missing or malformed environment variable."""


class StartError(HotlineError):
    """Something serve needs (Redis, a port) cannot be had at start."""


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
        iin_key=_iin_key(env),
        lease_ttl_s=lease_ttl_s,
        lease_renew_s=lease_renew_s,
    )


def _iin_key(env: Mapping[str, str]) -> bytes | None:
    """The recipients lists' IIN key, as `hotline lists import` reads it; None if neither
    variable is set (`needs_iin_key` says whether a hotline can do without)."""
    if not (env.get(KEY_ENV) or env.get(KEY_FILE_ENV)):
        return None
    try:
        return load_iin_key(env)
    except IinKeyError as exc:  # names the variable (and file), never the key
        raise SettingsError(str(exc)) from None


def needs_iin_key(config: HotlineConfig) -> list[str]:
    """The menu nodes of `config` that look an IIN up in a recipients list."""
    return [
        node_id
        for node_id, node in config.menu.nodes.items()
        if isinstance(node, LookupNode) and node.service == "recipients_list"
    ]


def _check_iin_key(configs: Mapping[str, HotlineConfig], settings: ControllerSettings) -> None:
    """Refuse to serve a hotline whose every list look-up would answer "cannot check now"."""
    if settings.iin_key is not None:
        return
    for hotline_id, config in configs.items():
        nodes = needs_iin_key(config)
        if nodes:
            raise SettingsError(
                f"hotline {hotline_id} looks IINs up in recipients lists (menu node "
                f"{', '.join(nodes)}): set {KEY_ENV} (hex) or {KEY_FILE_ENV} (a file holding "
                "hex), the key the lists were imported with"
            )


def load_served_hotlines(
    given: Sequence[str], manifest_path: Path
) -> tuple[dict[str, Path], dict[str, HotlineConfig]]:
    """The files `serve --hotline` names (ids or paths) and their configurations, checked as
    `hotline check-config` checks them (the prompts manifest included). Raises ConfigError
    with every problem of every file, or ManifestError for the manifest."""
    manifest = load_manifest(manifest_path)
    sources: dict[str, Path] = {}
    configs: dict[str, HotlineConfig] = {}
    issues: list[ConfigIssue] = []
    for name in given:
        try:
            path = find_hotline(name)
            config = load_checked(path, manifest)
        except ConfigError as exc:
            issues.extend(exc.issues)
            continue
        if config.id in sources:
            issues.append(
                ConfigIssue(
                    str(path), None, "id", f"{config.id!r} is also the id of {sources[config.id]}"
                )
            )
            continue
        sources[config.id], configs[config.id] = path, config
    if issues:
        raise ConfigError(issues)
    return sources, configs


@dataclass(frozen=True)
class ServePlan:
    """What `hotline serve` runs, read and checked before anything is started."""

    settings: ControllerSettings
    sources: dict[str, Path]  # hotline id -> its file, re-read on SIGHUP
    configs: dict[str, HotlineConfig]
    manifest_path: Path


def plan_serve(hotlines: Sequence[str], data_dir: Path, env: Mapping[str, str]) -> ServePlan:
    """Every check `hotline serve` makes before it starts: the hotline files as `hotline
    check-config` checks them, the settings, the IIN key the menus need. Raises a
    HotlineError naming the file, line and field, or the variable."""
    manifest_path = prompts_manifest_path()
    try:
        sources, configs = load_served_hotlines(hotlines, manifest_path)
    except ManifestError as exc:
        raise SettingsError(f"{exc} (the prompts manifest; see HOTLINE_PROMPTS_DIR)") from None
    settings = settings_from_env(env, data_dir)
    _check_iin_key(configs, settings)
    return ServePlan(settings, sources, configs, manifest_path)


async def serve_forever(hotlines: Sequence[str], data_dir: Path, env: Mapping[str, str]) -> int:
    plan = plan_serve(hotlines, data_dir, env)
    configs = plan.configs
    data_dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(plan.settings, configs, real_clock())
    stop = asyncio.Event()
    reloads: asyncio.Queue[None] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reloads.put_nowait, None)
    reloader = asyncio.create_task(
        _reload_on_signal(controller, plan.sources, plan.manifest_path, reloads)
    )
    try:
        await _start(controller)
        log.info("serving %s", ", ".join(configs))
        await stop.wait()
    finally:
        await stop_task(reloader)
        try:
            await controller.stop()
        except (RedisError, OSError) as exc:
            # Redis gone (or never reached): the lease runs out by itself; the process ends.
            log.warning("stopped without releasing the lease: %s: %s", type(exc).__name__, exc)
    return 0


async def _start(controller: Controller) -> None:
    """Listen and connect; what cannot be reached is a message, not a traceback."""
    try:
        await controller.start_listeners()
        await controller.connect()
    except RedisError as exc:
        shown = url_without_password(controller.settings.redis_url)
        raise StartError(f"Redis at {shown}: {type(exc).__name__}: {exc}") from None
    except OSError as exc:  # a listening port taken (AMI errors are HotlineErrors already)
        raise StartError(f"cannot start: {exc}") from None


async def _reload_on_signal(
    controller: Controller,
    sources: Mapping[str, Path],
    manifest_path: Path,
    reloads: asyncio.Queue[None],
) -> None:
    """One reload per SIGHUP, one at a time; a reload that fails keeps the server up."""
    while True:
        await reloads.get()
        try:
            configs, failed = await asyncio.to_thread(read_hotline_files, sources, manifest_path)
            for hotline_id, config in list(configs.items()):
                try:
                    _check_iin_key({hotline_id: config}, controller.settings)
                except SettingsError as exc:
                    del configs[hotline_id]
                    failed[hotline_id] = f"{sources[hotline_id]}: {exc}"
            log_report(await controller.reload(configs, failed))
        except Exception:
            log.exception("reload failed; the running configuration is kept")
