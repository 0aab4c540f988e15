"""`hotline check-config` checks that every menu prompt has a text in each offered language."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.cli import main
from hotline.config import check_config_main, load_hotline, prompts_manifest_path
from tests.config.samples import SAMPLE_MANIFEST, VALID_YAML, line_of, replaced, write

REPO = Path(__file__).resolve().parents[2]
HOTLINES = REPO / "config" / "hotlines"

# VALID_YAML offering English too, with a greeting: the sample manifest has no English.
WITH_EN = replaced(
    "menu:\n  nodes:",
    "menu:\n  greeting: greeting-test\n  nodes:",
    replaced("languages: [kk, ru]\nhours", "languages: [kk, ru, en]\nhours"),
)


@pytest.fixture(autouse=True)
def _repo_dirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("HOTLINE_PROMPTS_DIR", raising=False)


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    return write(tmp_path, SAMPLE_MANIFEST, name="manifest.yaml")


def test_the_default_manifest_is_the_repository_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert prompts_manifest_path() == REPO / "prompts" / "manifest.yaml"
    monkeypatch.setenv("HOTLINE_PROMPTS_DIR", str(tmp_path))
    assert prompts_manifest_path() == tmp_path / "manifest.yaml"


def test_the_shipped_hotlines_have_every_prompt_text(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(path) for path in HOTLINES.glob("*.yaml"))
    assert len(files) == 3
    assert check_config_main(files, REPO / "prompts" / "manifest.yaml") == 0
    assert capsys.readouterr().err == ""


def test_a_sample_with_all_its_texts_passes(
    tmp_path: Path, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, VALID_YAML)
    assert check_config_main([str(path)], manifest) == 0
    assert capsys.readouterr().out == f"OK {path} (hotline t1: 2 queues, 1 operators, 1 shifts)\n"


def test_the_prompts_dir_variable_gives_the_default_manifest(
    tmp_path: Path, manifest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, VALID_YAML)
    # The repository's manifest has no `menu-test`; the variable's has.
    assert check_config_main([str(path)]) == 1
    monkeypatch.setenv("HOTLINE_PROMPTS_DIR", str(manifest.parent))
    assert check_config_main([str(path)]) == 0


def test_a_language_without_a_text_is_reported_at_each_prompt_field(
    tmp_path: Path, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, WITH_EN)
    assert check_config_main([str(path)], manifest) == 1
    out, err = capsys.readouterr()
    assert out == ""
    menu = line_of(WITH_EN, "menu:")

    def no_en(line: int, field: str, prompt: str) -> str:
        return f"{path}:{line}: {field}: prompt {prompt!r} has no 'en' text in {manifest}"

    assert err.splitlines() == [
        # Fields left at their defaults point at `menu:`.
        no_en(menu, "menu.language_prompt", "choose-language"),
        no_en(menu, "menu.invalid_prompt", "invalid-choice"),
        no_en(line_of(WITH_EN, "greeting:"), "menu.greeting", "greeting-test"),
        no_en(line_of(WITH_EN, "prompt: menu-test"), "menu.nodes.main.prompt", "menu-test"),
    ]


def test_a_prompt_missing_from_the_manifest_is_reported(
    tmp_path: Path, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = replaced("prompt: menu-test", "prompt: menu-x")
    path = write(tmp_path, text)
    load_hotline(path)  # the loader alone does not read the manifest
    assert check_config_main([str(path)], manifest) == 1
    assert capsys.readouterr().err == (
        f"{path}:{line_of(text, 'menu-x')}: menu.nodes.main.prompt: "
        f"prompt 'menu-x' is not in {manifest}\n"
    )


def test_the_closed_prompt_counts_only_when_the_hotline_may_close(
    tmp_path: Path, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # VALID_YAML is open 24/7 without holidays: no `closed-t1` needed (the other tests).
    text = replaced('hours: "24/7"', 'hours: "09:00-18:00"')
    path = write(tmp_path, text)
    assert check_config_main([str(path)], manifest) == 1
    assert capsys.readouterr().err == (
        f"{path}:{line_of(text, 'menu:')}: menu.closed_prompt: "
        f"prompt 'closed-t1' is not in {manifest}\n"
    )


def test_a_missing_manifest_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, VALID_YAML)
    missing = tmp_path / "nowhere" / "manifest.yaml"
    assert check_config_main([str(path)], missing) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"{missing}: file not found")


def test_a_broken_manifest_is_an_error_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, VALID_YAML)
    broken = write(tmp_path, "languages: [kk, ru]\nprompts: {}\n", name="manifest.yaml")
    assert check_config_main([str(path)], broken) == 1
    assert capsys.readouterr().err.startswith(f"{broken}:2: prompts: no prompts")


def test_cli_exit_codes(tmp_path: Path, manifest: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, VALID_YAML, name="good.yaml")
    no_en = write(tmp_path, WITH_EN, name="no-en.yaml")
    option = ["--prompts-manifest", str(manifest)]
    assert main(["check-config", *option, str(good)]) == 0
    assert main(["check-config", *option, str(no_en)]) == 1
    greeting = line_of(WITH_EN, "greeting:")
    assert (
        f"{no_en}:{greeting}: menu.greeting: prompt 'greeting-test' has no 'en' text in {manifest}"
        in capsys.readouterr().err
    )
    missing = tmp_path / "missing.yaml"
    assert main(["check-config", "--prompts-manifest", str(missing), str(good)]) == 1
    assert str(missing) in capsys.readouterr().err
    assert main(["check-config", str(HOTLINES / "400-100.yaml")]) == 0
