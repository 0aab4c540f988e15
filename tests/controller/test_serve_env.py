"""The README's table of `hotline serve`'s environment variables against what serve reads:
every documented variable changes what serve runs with, and every HOTLINE_* variable serve
reads is documented (issue 9, bug 1: HOTLINE_IIN_KEY was documented and never read)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from hotline.config import config_dir, prompts_manifest_path
from hotline.controller.app import ControllerSettings
from hotline.controller.serve import SettingsError, plan_serve, settings_from_env

README = Path(__file__).resolve().parents[2] / "README.md"
TABLE_SECTION = "## Running against a real Asterisk"
KEY = bytes(range(32))
BASE = {"HOTLINE_REDIS_URL": "redis://127.0.0.1:6379/0", "HOTLINE_AMI_SECRET": "s3cret"}
# Files the *_FILE variables name, in the test's directory: name -> content.
FILES = {"ami-secret": "from-a-file\n", "api-token": "t0ken-file\n", "iin-key": KEY.hex() + "\n"}

Read = Callable[[ControllerSettings], object]
# variable -> (value, the setting it sets, the value expected); "{tmp}" is the test's dir.
SETTINGS: dict[str, tuple[str, Read, object]] = {
    "HOTLINE_REDIS_URL": ("redis://:pw@redis.example:6380/3", lambda s: s.redis_url, None),
    "REDIS_URL": ("redis://redis.example:6381/4", lambda s: s.redis_url, None),
    "HOTLINE_DATABASE_URL": ("postgresql+psycopg://h@db/h", lambda s: s.database_url, None),
    "HOTLINE_AMI_HOST": ("pbx.example", lambda s: s.ami.host, None),
    "HOTLINE_AMI_PORT": ("15038", lambda s: s.ami.port, 15038),
    "HOTLINE_AMI_USERNAME": ("controller2", lambda s: s.ami.username, None),
    "HOTLINE_AMI_SECRET": ("an0ther", lambda s: s.ami.secret, None),
    "HOTLINE_AMI_SECRET_FILE": ("{tmp}/ami-secret", lambda s: s.ami.secret, "from-a-file"),
    "HOTLINE_AGI_HOST": ("0.0.0.0", lambda s: s.agi_host, None),
    "HOTLINE_AGI_PORT": ("14573", lambda s: s.agi_port, 14573),
    "HOTLINE_METRICS_HOST": ("10.0.0.5", lambda s: s.metrics_host, None),
    "HOTLINE_METRICS_PORT": ("19573", lambda s: s.metrics_port, 19573),
    "HOTLINE_HTTP_HOST": ("10.0.0.6", lambda s: s.http_host, None),
    "HOTLINE_HTTP_PORT": ("19574", lambda s: s.http_port, 19574),
    "HOTLINE_API_TOKEN": ("t0ken", lambda s: s.api_token, None),
    "HOTLINE_API_TOKEN_FILE": ("{tmp}/api-token", lambda s: s.api_token, "t0ken-file"),
    "HOTLINE_IIN_KEY": (KEY.hex(), lambda s: s.iin_key, KEY),
    "HOTLINE_IIN_KEY_FILE": ("{tmp}/iin-key", lambda s: s.iin_key, KEY),
    "HOTLINE_LEASE_TTL_S": ("30", lambda s: s.lease_ttl_s, 30.0),
    "HOTLINE_LEASE_RENEW_S": ("2.5", lambda s: s.lease_renew_s, 2.5),
}
# Without these (and without the other form of each), serve does not start.
REQUIRED = {"HOTLINE_REDIS_URL", "REDIS_URL", "HOTLINE_AMI_SECRET", "HOTLINE_AMI_SECRET_FILE"}
# Read by the hotline files' loader (through os.environ), probed through `plan_serve`.
FILES_VARIABLES = {"HOTLINE_CONFIG_DIR", "HOTLINE_PROMPTS_DIR"}


def readme_variables() -> set[str]:
    """The variables named in the first column of the first table under TABLE_SECTION."""
    section = README.read_text(encoding="utf-8").split(TABLE_SECTION, 1)[1]
    rows: list[str] = []
    for line in section.splitlines():
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break
    header, rule, *body = rows
    assert header.split("|")[1].strip() == "variable"
    assert set(rule) <= set("|- ")
    names = {name for row in body for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1])}
    assert len(names) >= 10, f"the README's table looks cut short: {sorted(names)}"
    return names


def _without(variable: str) -> dict[str, str]:
    """BASE without `variable` and what would stand in for it."""
    replaced = {variable, variable.removesuffix("_FILE")}
    if variable == "REDIS_URL":
        replaced.add("HOTLINE_REDIS_URL")
    return {k: v for k, v in BASE.items() if k not in replaced}


def test_the_probes_cover_exactly_the_readme_table() -> None:
    assert readme_variables() == set(SETTINGS) | FILES_VARIABLES


@pytest.mark.parametrize("variable", sorted(SETTINGS))
def test_each_documented_variable_changes_the_settings(variable: str, tmp_path: Path) -> None:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    value, read, expected = SETTINGS[variable]
    value = value.replace("{tmp}", str(tmp_path))
    env = _without(variable)
    default: object = None
    if variable in REQUIRED:  # its absence is an error naming it
        with pytest.raises(SettingsError, match=variable.removesuffix("_FILE")):
            settings_from_env(env, tmp_path)
    else:
        default = read(settings_from_env(env, tmp_path))
    got = read(settings_from_env({**env, variable: value}, tmp_path))
    assert got == (value if expected is None else expected)
    assert got != default


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HOTLINE_AMI_PORT", "five"),
        ("HOTLINE_AGI_PORT", "4573x"),
        ("HOTLINE_METRICS_PORT", "-"),
        ("HOTLINE_HTTP_PORT", "http"),
        ("HOTLINE_LEASE_TTL_S", "0"),
        ("HOTLINE_LEASE_RENEW_S", "nan"),
        ("HOTLINE_IIN_KEY", "not hex"),
        ("HOTLINE_IIN_KEY", "abcd"),  # too short
        ("HOTLINE_IIN_KEY_FILE", "/nowhere/iin-key"),
        ("HOTLINE_AMI_SECRET_FILE", "/nowhere/ami-secret"),
        ("HOTLINE_API_TOKEN_FILE", "/nowhere/api-token"),
    ],
)
def test_a_bad_value_is_an_error_naming_the_variable(
    variable: str, value: str, tmp_path: Path
) -> None:
    with pytest.raises(SettingsError, match=re.escape(variable)) as raised:
        settings_from_env({**_without(variable), variable: value}, tmp_path)
    if "KEY" in variable and not value.startswith("/"):
        assert value not in str(raised.value)  # never the key, even a bad one


def test_both_forms_of_the_iin_key_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "iin-key").write_text(KEY.hex())
    env = {**BASE, "HOTLINE_IIN_KEY": KEY.hex(), "HOTLINE_IIN_KEY_FILE": str(tmp_path / "iin-key")}
    with pytest.raises(SettingsError, match="HOTLINE_IIN_KEY or HOTLINE_IIN_KEY_FILE, not both"):
        settings_from_env(env, tmp_path)


def _config_dir_with(tmp_path: Path, hotline_id: str, old: str, new: str) -> Path:
    directory = tmp_path / "config"
    (directory / "hotlines").mkdir(parents=True)
    text = (config_dir() / "hotlines" / f"{hotline_id}.yaml").read_text(encoding="utf-8")
    assert old in text
    path = directory / "hotlines" / f"{hotline_id}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_hotline_config_dir_is_where_serve_finds_the_hotlines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _config_dir_with(tmp_path, "1414", "\nname: ", '\nname: "Elsewhere" #')
    assert plan_serve(["1414"], tmp_path, BASE).configs["1414"].name != "Elsewhere"
    monkeypatch.setenv("HOTLINE_CONFIG_DIR", str(tmp_path / "config"))
    plan = plan_serve(["1414"], tmp_path, BASE)
    assert (plan.sources["1414"], plan.configs["1414"].name) == (path, "Elsewhere")


def test_hotline_prompts_dir_is_the_manifest_serve_checks_against(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    shutil.copy(prompts_manifest_path(), prompts / "manifest.yaml")
    monkeypatch.setenv("HOTLINE_PROMPTS_DIR", str(prompts))
    assert plan_serve(["1414"], tmp_path, BASE).manifest_path == prompts / "manifest.yaml"
    (prompts / "manifest.yaml").write_text("prompts: [\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=re.escape(str(prompts / "manifest.yaml"))):
        plan_serve(["1414"], tmp_path, BASE)


class RecordingEnv(dict[str, str]):
    """An environment that notes every variable looked up."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return super().__contains__(key)


@pytest.mark.parametrize("form", ["inline", "files"])
def test_every_variable_serve_reads_is_in_the_readme_table(
    form: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    chosen = {
        variable: value.replace("{tmp}", str(tmp_path))
        for variable, (value, _, _) in SETTINGS.items()
        if variable.endswith("_FILE") == (form == "files")
    }
    if form == "files":
        chosen.update({k: v for k, v in BASE.items() if k != "HOTLINE_AMI_SECRET"})
    env = RecordingEnv({**os.environ, **chosen})
    # The hotline files' loader reads os.environ itself.
    monkeypatch.setattr(os, "environ", env)
    plan_serve(["400-100", "1414"], tmp_path, env)
    read = {name for name in env.read if name.startswith("HOTLINE_") or name == "REDIS_URL"}
    assert read - readme_variables() == set()
    assert {"HOTLINE_IIN_KEY", "HOTLINE_CONFIG_DIR", "HOTLINE_PROMPTS_DIR"} <= read
