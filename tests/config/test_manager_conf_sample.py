"""A lint of the shipped config/asterisk/manager.conf: the controller's AMI user gets the
least that works (no right that reaches a shell, the CLI or Asterisk's files) and only
loopback may log in as it. Read from the text itself, not through the simulator's parser,
so a mistake in that parser cannot hide one in the file."""

from __future__ import annotations

from pathlib import Path

MANAGER_CONF = Path(__file__).resolve().parents[2] / "config/asterisk/manager.conf"
FORBIDDEN = {"system", "command", "config", "all"}


def _options(section: str) -> list[tuple[str, str]]:
    options: list[tuple[str, str]] = []
    current = ""
    for raw in MANAGER_CONF.read_text().splitlines():
        line = raw.split(";", 1)[0].strip()
        if line.startswith("["):
            current = line.strip("[]").strip()
        elif current == section and "=" in line:
            key, _, value = line.partition("=")
            options.append((key.strip().lower(), value.strip()))
    return options


def _rights(key: str) -> set[str]:
    values = [value for k, value in _options("hotline") if k == key]
    assert values, f"manager.conf [hotline] has no {key} line"
    return {label.strip().lower() for value in values for label in value.split(",")}


def test_the_sample_ami_user_has_no_right_that_reaches_a_shell_or_the_cli() -> None:
    assert _rights("read") & FORBIDDEN == set()
    assert _rights("write") & FORBIDDEN == set()


def test_the_sample_ami_user_has_exactly_what_the_controller_uses() -> None:
    # Checked on Asterisk 22.10.1; the comments in the file say why each is needed.
    assert _rights("read") == {"call"}
    assert _rights("write") == {"call", "originate", "reporting"}


def test_the_sample_ami_user_is_deny_all_then_loopback() -> None:
    acl = [(k, v.replace(" ", "")) for k, v in _options("hotline") if k in {"deny", "permit"}]
    assert acl[0] == ("deny", "0.0.0.0/0.0.0.0"), acl
    assert ("permit", "127.0.0.1/255.255.255.255") in acl[1:]
    # Nothing wider than one address is let in.
    assert all(v.endswith("/255.255.255.255") for k, v in acl if k == "permit"), acl


def test_every_right_in_the_sample_says_why_it_is_there() -> None:
    text = MANAGER_CONF.read_text()
    for right in ("read = call", "write = call", "write = originate", "write = reporting"):
        assert f"; {right}:" in text, f"no comment explaining {right!r}"
