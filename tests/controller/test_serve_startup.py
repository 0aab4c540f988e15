"""What `hotline serve` checks before it starts (issue 9, bug 8): the hotline files as
`hotline check-config` checks them, prompts manifest included; the IIN key a menu needs; and
the settings it prints keep the passwords of its URLs to themselves."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from hotline.config import (
    ConfigError,
    HotlineConfig,
    find_hotline,
    load_hotline,
    prompts_manifest_path,
)
from hotline.controller.reload import ReloadReport
from hotline.controller.serve import (
    SettingsError,
    _reload_on_signal,
    plan_serve,
    settings_from_env,
)
from hotline.redis_server import RedisProcess

from .test_serve_env import BASE, KEY, _config_dir_with

# Real seconds: `hotline serve` refuses a bad file before it connects to anything.
EXIT_DEADLINE_S = 60.0


def without_greeting_text(tmp_path: Path) -> tuple[Path, int]:
    """A 1414 file whose greeting has no text in the manifest; the greeting's line."""
    path = _config_dir_with(tmp_path, "1414", "greeting: greeting-1414", "greeting: no-such")
    lines = path.read_text(encoding="utf-8").splitlines()
    return path, 1 + next(n for n, line in enumerate(lines) if "greeting: no-such" in line)


def test_a_prompt_missing_from_the_manifest_stops_serve_naming_file_line_and_field(
    tmp_path: Path,
) -> None:
    path, line = without_greeting_text(tmp_path)
    with pytest.raises(ConfigError) as raised:
        plan_serve([str(path)], tmp_path, BASE)
    assert str(raised.value).startswith(f"{path}:{line}: menu.greeting: ")
    assert "no-such" in str(raised.value)


def test_serve_refuses_to_start_with_every_bad_file_named(tmp_path: Path) -> None:
    """As a process: exit code 1, the file, line and field on stderr, nothing served."""
    path, line = without_greeting_text(tmp_path)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOTLINE_REDIS_URL": "redis://127.0.0.1:1/0",  # never reached
        "HOTLINE_AMI_SECRET": "s3cret",
    }
    done = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "-v", "serve", "--hotline", str(path),
         "--hotline", "no-such-hotline", "--data-dir", str(tmp_path / "var")],
        env=env, capture_output=True, text=True, timeout=EXIT_DEADLINE_S, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert f"hotline: {path}:{line}: menu.greeting: " in done.stderr
    assert "no-such-hotline: no such file, and no hotline with this id" in done.stderr
    assert "serving" not in done.stderr
    assert not (tmp_path / "var").exists()


def test_a_menu_with_a_recipients_list_needs_the_iin_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as raised:
        plan_serve(["400-100", "1414"], tmp_path, BASE)
    message = str(raised.value)
    assert message.startswith("hotline 400-100 looks IINs up in recipients lists")
    assert "(menu node list-check)" in message
    assert "set HOTLINE_IIN_KEY (hex) or HOTLINE_IIN_KEY_FILE" in message
    # 1414 looks nothing up in a list: it needs no key.
    assert plan_serve(["1414"], tmp_path, BASE).settings.iin_key is None
    keyed = plan_serve(["400-100"], tmp_path, {**BASE, "HOTLINE_IIN_KEY": KEY.hex()})
    assert keyed.settings.iin_key == KEY


class FakeController:
    def __init__(self, env: Mapping[str, str], data_dir: Path) -> None:
        self.settings = settings_from_env(env, data_dir)
        self.reloads: list[tuple[dict[str, HotlineConfig], dict[str, str]]] = []
        self.reloaded = asyncio.Event()

    async def reload(
        self, configs: dict[str, HotlineConfig], failed: dict[str, str]
    ) -> ReloadReport:
        self.reloads.append((configs, failed))
        self.reloaded.set()
        return ReloadReport(reloaded=list(configs), failed=failed)


async def test_a_reload_that_adds_a_list_look_up_without_the_key_keeps_the_old_file(
    tmp_path: Path,
) -> None:
    # Served as 1414 (no look-up), then the file turns into a copy of 400-100's menu.
    path = _config_dir_with(tmp_path, "1414", "", "")
    controller = FakeController(BASE, tmp_path)
    reloads: asyncio.Queue[None] = asyncio.Queue()
    task = asyncio.create_task(
        _reload_on_signal(controller, {"1414": path}, prompts_manifest_path(), reloads)  # type: ignore[arg-type]
    )
    try:
        text = find_hotline("400-100").read_text(encoding="utf-8")
        path.write_text(text.replace('id: "400-100"', 'id: "1414"', 1), encoding="utf-8")
        assert load_hotline(path).id == "1414"
        reloads.put_nowait(None)
        await asyncio.wait_for(controller.reloaded.wait(), EXIT_DEADLINE_S)
    finally:
        task.cancel()
    ((configs, failed),) = controller.reloads
    assert configs == {}
    assert failed["1414"].startswith(f"{path}: hotline 1414 looks IINs up")


def test_a_redis_that_refuses_serve_is_a_message_without_the_password(
    redis_server: RedisProcess, redis_url: str, tmp_path: Path
) -> None:
    url = f"redis://nobody:wr0ng-pw@127.0.0.1:{redis_server.port}/0"
    env = {"PATH": "/usr/bin:/bin", "HOTLINE_REDIS_URL": url, "HOTLINE_AMI_SECRET": "s3cret"}
    done = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "serve", "--hotline", "1414",
         "--data-dir", str(tmp_path / "var")],
        env=env, capture_output=True, text=True, timeout=EXIT_DEADLINE_S, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    shown = f"redis://nobody:***@127.0.0.1:{redis_server.port}/0"
    assert f"hotline: Redis at {shown}: AuthenticationError: " in done.stderr
    assert "Traceback" not in done.stderr
    assert "wr0ng-pw" not in done.stderr


def test_two_files_of_one_hotline_id_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "1414-copy.yaml"
    copy.write_text(find_hotline("1414").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{copy}: id: '1414' is also the id of .*1414.yaml"):
        plan_serve(["1414", str(copy)], tmp_path, BASE)
