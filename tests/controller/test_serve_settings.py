"""`hotline serve`'s settings from the environment: the AMI secret, inline or from a file;
no secret in their repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.controller.serve import SettingsError, settings_from_env

BASE = {"HOTLINE_REDIS_URL": "redis://127.0.0.1:6379/0"}
IIN_KEY = bytes(range(32))


def test_the_secret_from_the_environment(tmp_path: Path) -> None:
    settings = settings_from_env({**BASE, "HOTLINE_AMI_SECRET": "s3cret"}, tmp_path)
    assert settings.ami.secret == "s3cret"
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize("text", ["s3cret\n", "s3cret\r\n", "s3cret"])
def test_the_secret_from_a_file_without_its_trailing_newline(tmp_path: Path, text: str) -> None:
    path = tmp_path / "ami-secret"
    path.write_bytes(text.encode())
    settings = settings_from_env({**BASE, "HOTLINE_AMI_SECRET_FILE": str(path)}, tmp_path)
    assert settings.ami.secret == "s3cret"


def test_a_missing_secret_file_names_the_variable_and_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "ami-secret"
    with pytest.raises(SettingsError) as error:
        settings_from_env({**BASE, "HOTLINE_AMI_SECRET_FILE": str(path)}, tmp_path)
    message = str(error.value)
    assert "HOTLINE_AMI_SECRET_FILE" in message
    assert str(path) in message
    assert "cannot read" in message


def test_an_unreadable_secret_file_is_a_settings_error(tmp_path: Path) -> None:
    # A directory cannot be read as a file, whoever runs the test (root reads any mode).
    with pytest.raises(SettingsError, match=r"HOTLINE_AMI_SECRET_FILE \(.*\): cannot read"):
        settings_from_env({**BASE, "HOTLINE_AMI_SECRET_FILE": str(tmp_path)}, tmp_path)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [("", "empty"), ("\n", "empty"), ("line one\nline two\n", "one line")],
)
def test_a_secret_file_must_hold_one_line(tmp_path: Path, text: str, complaint: str) -> None:
    path = tmp_path / "ami-secret"
    path.write_text(text)
    with pytest.raises(SettingsError, match=complaint) as error:
        settings_from_env({**BASE, "HOTLINE_AMI_SECRET_FILE": str(path)}, tmp_path)
    assert "line one" not in str(error.value)


def test_no_secret_or_both_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="HOTLINE_AMI_SECRET"):
        settings_from_env(BASE, tmp_path)
    path = tmp_path / "ami-secret"
    path.write_text("s3cret\n")
    both = {**BASE, "HOTLINE_AMI_SECRET": "x", "HOTLINE_AMI_SECRET_FILE": str(path)}
    with pytest.raises(SettingsError, match="not both"):
        settings_from_env(both, tmp_path)


def test_the_http_api_settings(tmp_path: Path) -> None:
    env = {**BASE, "HOTLINE_AMI_SECRET": "s3cret"}
    defaults = settings_from_env(env, tmp_path)
    assert (defaults.http_host, defaults.http_port, defaults.api_token) == (
        "127.0.0.1",
        9574,
        None,
    )
    token_file = tmp_path / "api-token"
    token_file.write_text("t0ken\n", encoding="utf-8")
    settings = settings_from_env(
        {**env, "HOTLINE_HTTP_PORT": "8080", "HOTLINE_API_TOKEN_FILE": str(token_file)}, tmp_path
    )
    assert (settings.http_port, settings.api_token) == (8080, "t0ken")
    assert "t0ken" not in repr(settings)
    with pytest.raises(SettingsError, match="HOTLINE_API_TOKEN or HOTLINE_API_TOKEN_FILE"):
        settings_from_env(
            {**env, "HOTLINE_API_TOKEN": "a", "HOTLINE_API_TOKEN_FILE": str(token_file)}, tmp_path
        )


def test_the_lease_settings(tmp_path: Path) -> None:
    env = {**BASE, "HOTLINE_AMI_SECRET": "s3cret"}
    defaults = settings_from_env(env, tmp_path)
    assert (defaults.lease_ttl_s, defaults.lease_renew_s) == (15.0, 5.0)
    settings = settings_from_env(
        {**env, "HOTLINE_LEASE_TTL_S": "2", "HOTLINE_LEASE_RENEW_S": "0.5"}, tmp_path
    )
    assert (settings.lease_ttl_s, settings.lease_renew_s) == (2.0, 0.5)
    with pytest.raises(SettingsError, match="HOTLINE_LEASE_TTL_S: expected a positive"):
        settings_from_env({**env, "HOTLINE_LEASE_TTL_S": "-1"}, tmp_path)
    with pytest.raises(SettingsError, match="HOTLINE_LEASE_RENEW_S: expected seconds"):
        settings_from_env({**env, "HOTLINE_LEASE_RENEW_S": "soon"}, tmp_path)
    with pytest.raises(SettingsError, match="must be below HOTLINE_LEASE_TTL_S"):
        settings_from_env({**env, "HOTLINE_LEASE_RENEW_S": "15"}, tmp_path)


def test_the_settings_repr_masks_the_url_passwords(tmp_path: Path) -> None:
    env = {
        **BASE,
        "HOTLINE_AMI_SECRET": "s3cret",
        "HOTLINE_REDIS_URL": "redis://hotline:r3dis-pw@redis.example:6379/0",
        "HOTLINE_DATABASE_URL": "postgresql+psycopg://hotline:pg-pw@db.example/hotline",
        "HOTLINE_API_TOKEN": "t0ken",
        "HOTLINE_IIN_KEY": IIN_KEY.hex(),
    }
    settings = settings_from_env(env, tmp_path)
    shown = repr(settings)
    for secret in ("r3dis-pw", "pg-pw", "s3cret", "t0ken", IIN_KEY.hex(), repr(IIN_KEY)):
        assert secret not in shown
    assert "redis://hotline:***@redis.example:6379/0" in shown
    assert "postgresql+psycopg://hotline:***@db.example/hotline" in shown
    # The real values are the ones used.
    assert settings.redis_url == env["HOTLINE_REDIS_URL"]
    assert settings.database_url == env["HOTLINE_DATABASE_URL"]
