"""find_hotline and the `hotline check-config` entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.config import (
    HotlineNotFoundError,
    available_hotlines,
    check_config_main,
    config_dir,
    find_hotline,
)
from tests.config.samples import SAMPLE_MANIFEST, VALID_YAML, line_of, replaced, write

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture(autouse=True)
def _repo_config_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests below expect the repository's config/ unless they set the variable.
    monkeypatch.delenv("HOTLINE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("HOTLINE_PROMPTS_DIR", raising=False)


def test_config_dir_is_the_repository_config_by_default() -> None:
    assert config_dir() == REPO_CONFIG


def test_find_by_id() -> None:
    assert find_hotline("400-100") == REPO_CONFIG / "hotlines" / "400-100.yaml"


def test_find_by_path(tmp_path: Path) -> None:
    path = write(tmp_path, VALID_YAML)
    assert find_hotline(str(path)) == path


def test_find_uses_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hotlines").mkdir()
    write(tmp_path / "hotlines", VALID_YAML, name="t1.yaml")
    monkeypatch.setenv("HOTLINE_CONFIG_DIR", str(tmp_path))
    assert find_hotline("t1") == tmp_path / "hotlines" / "t1.yaml"
    assert available_hotlines() == ["t1"]


def test_unknown_id_lists_the_known_ones() -> None:
    with pytest.raises(HotlineNotFoundError) as caught:
        find_hotline("112")
    message = str(caught.value)
    assert message.startswith("112: no such file")
    assert "known ids: 109, 1414, 400-100" in message


def test_an_id_cannot_walk_out_of_the_config_dir() -> None:
    with pytest.raises(HotlineNotFoundError):
        find_hotline("../hotlines/400-100")


def test_check_config_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_config_main(["400-100", "109", "1414"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [
        f"OK {REPO_CONFIG / 'hotlines' / '400-100.yaml'} "
        "(hotline 400-100: 6 queues, 10 operators, 2 shifts)",
        f"OK {REPO_CONFIG / 'hotlines' / '109.yaml'} "
        "(hotline 109: 10 queues, 12 operators, 4 shifts)",
        f"OK {REPO_CONFIG / 'hotlines' / '1414.yaml'} "
        "(hotline 1414: 11 queues, 14 operators, 2 shifts)",
    ]


def test_check_config_reports_each_failure_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, VALID_YAML, name="good.yaml")
    bad_text = replaced('start: "08:00"', 'start: "8:00"')
    bad = write(tmp_path, bad_text, name="bad.yaml")
    missing = tmp_path / "missing.yaml"
    manifest = write(tmp_path, SAMPLE_MANIFEST, name="manifest.yaml")
    assert check_config_main([str(bad), str(good), str(missing)], manifest) == 1
    out, err = capsys.readouterr()
    assert out == f"OK {good} (hotline t1: 2 queues, 1 operators, 1 shifts)\n"
    assert err.splitlines()[0].startswith(f"{bad}:{line_of(bad_text, '8:00')}: shifts.0.start: ")
    assert f"{missing}: no such file" in err


def test_check_config_without_files_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_config_main([]) == 2
    assert "usage" in capsys.readouterr().err
