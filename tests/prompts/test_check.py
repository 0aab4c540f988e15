"""`hotline prompts check` on the real repository, and on a prompts directory missing files."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from hotline.config import available_hotlines, find_hotline, load_hotline
from hotline.ivr.speech_texts import FRAGMENT_TEXTS
from hotline.prompts import (
    check_prompts,
    cli,
    default_manifest_path,
    default_prompts_dir,
    dialplan_sounds,
    load_manifest,
    menu_prompt_ids,
)
from tests.prompts.conftest import write_manifest


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="hotline")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return cli.run(parser.parse_args(["prompts", *argv]))


def test_menu_prompt_ids_of_400_100() -> None:
    config = load_hotline(find_hotline("400-100"))
    assert menu_prompt_ids(config) == [
        "choose-language",
        "greeting-400-100",
        "menu-400-100",
        "payments-400-100",
        "enter-iin",
        "iin-invalid",
        "on-list-50000",
        "not-on-list-50000",
        "lookup-failed",
        "after-check",
        "goodbye",
        "invalid-choice",
        "closed-400-100",
        "overflow-no-operators",  # a queue's overflow message
    ]


def test_the_shipped_prompts_pass(capsys: pytest.CaptureFixture[str]) -> None:
    hotlines = [load_hotline(find_hotline(h)) for h in available_hotlines()]
    manifest = load_manifest(default_manifest_path())
    assert check_prompts(default_prompts_dir(), manifest, hotlines) == []
    assert _run("check") == 0
    assert capsys.readouterr().out.startswith("OK: every prompt of 109, 1414, 400-100")


def test_missing_wavs_and_texts_are_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "prompts"
    empty.mkdir()
    assert _run("check", "--prompts-dir", str(empty)) == 1
    err = capsys.readouterr().err
    assert f"hotline 1414 (en): menu-1414: no {empty / 'en' / 'menu-1414.wav'}" in err
    assert "hotline 400-100 (ru): num-5: no" in err
    assert "hotline 400-100 (en)" not in err  # 400-100 does not offer English

    manifest = write_manifest(
        tmp_path, "languages: [kk, ru]\nprompts:\n  other:\n    kk: a\n    ru: b\n"
    )
    assert _run("check", "--prompts-dir", str(empty), "--manifest", str(manifest)) == 1
    err = capsys.readouterr().err
    assert "hotline 109 (kk): greeting-109: not in" in err


@pytest.mark.usefixtures("tools")
def test_cli_build_renders_then_leaves_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = write_manifest(tmp_path)
    out = tmp_path / "prompts"
    assert _run("build", "--prompts-dir", str(out), "--manifest", str(manifest)) == 0
    rendered = 4 + len(FRAGMENT_TEXTS["kk"]) + len(FRAGMENT_TEXTS["ru"])
    out_text = capsys.readouterr().out
    assert "rendered kk/greet.wav\n" in out_text
    assert f"{rendered} rendered, 0 unchanged" in out_text
    argv = ("build", "--prompts-dir", str(out), "--manifest", str(manifest), "--only", "kk")
    assert _run(*argv) == 0
    unchanged = 2 + len(FRAGMENT_TEXTS["kk"])
    assert f"0 rendered, {unchanged} unchanged" in capsys.readouterr().out


def test_the_dialplan_s_own_sounds_are_checked(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "config" / "asterisk" / "extensions.conf"
    assert ("kk", "fallback-connecting") in [
        (language, prompt_id) for _, language, prompt_id in dialplan_sounds(shipped)
    ]
    manifest = load_manifest(default_manifest_path())
    assert check_prompts(default_prompts_dir(), manifest, [], shipped) == []

    dialplan = tmp_path / "extensions.conf"
    dialplan.write_text(
        "[x]\n"
        "; Playback(hotline/kk/in-a-comment) is not played\n"
        "exten => s,1,Playback(hotline/kk/fallback-connecting&hotline/ru/nobody-wrote-this)\n",
        encoding="utf-8",
    )
    problems = check_prompts(default_prompts_dir(), manifest, [], dialplan)
    assert len(problems) == 1
    assert problems[0].startswith(f"{dialplan}:3: hotline/ru/nobody-wrote-this: not in ")
