"""The manifest loader: the real manifest, and each error naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.config import available_hotlines, find_hotline, load_hotline
from hotline.errors import HotlineError
from hotline.ivr.speech_texts import FRAGMENT_TEXTS
from hotline.prompts import (
    FRAGMENTS_ORIGIN,
    ManifestError,
    PromptsError,
    Segment,
    default_manifest_path,
    load_manifest,
    menu_prompt_ids,
)
from tests.prompts.conftest import write_manifest


def test_real_manifest_has_every_menu_prompt_in_kk_ru_en() -> None:
    manifest = load_manifest(default_manifest_path())
    assert manifest.languages == ("kk", "ru", "en")
    for hotline_id in available_hotlines():
        for prompt_id in menu_prompt_ids(load_hotline(find_hotline(hotline_id))):
            for language in manifest.languages:
                entry = manifest.get(prompt_id, language)
                assert entry is not None, (hotline_id, prompt_id, language)
                assert entry.origin.startswith(f"{default_manifest_path()}:")


def test_real_manifest_asks_for_a_native_speakers_review() -> None:
    header = default_manifest_path().read_text(encoding="utf-8").split("\nlanguages:")[0]
    assert "NEEDS REVIEW" in header
    assert "native" in header


def test_fragments_come_from_speech_texts() -> None:
    manifest = load_manifest(default_manifest_path())
    for language, texts in FRAGMENT_TEXTS.items():
        for fragment_id, text in texts.items():
            entry = manifest.get(fragment_id, language)
            assert entry is not None
            assert entry.origin == FRAGMENTS_ORIGIN
            assert entry.segments == (Segment(language, text),)  # type: ignore[arg-type]


def test_choose_language_speaks_each_language_in_its_own_voice() -> None:
    manifest = load_manifest(default_manifest_path())
    entry = manifest.get("choose-language", "kk")
    assert entry is not None
    assert [segment.language for segment in entry.segments] == ["kk", "ru"]
    three = manifest.get("choose-language-kk-ru-en", "kk")
    assert three is not None
    assert [segment.language for segment in three.segments] == ["kk", "ru", "en"]


def test_folded_text_becomes_one_line() -> None:
    manifest = load_manifest(default_manifest_path())
    entry = manifest.get("menu-400-100", "ru")
    assert entry is not None
    assert entry.text.startswith("По вопросам социальных выплат нажмите один. По вопросам")
    assert "\n" not in entry.text


_HEAD = "languages: [kk, ru]\nprompts:\n"


@pytest.mark.parametrize(
    ("body", "line", "field", "message"),
    [
        pytest.param(
            "  greet:\n    kk: Сәлем\n", 3, "prompts.greet", "no text in ru", id="missing-language"
        ),
        pytest.param(
            "  greet:\n    kk: Сәлем\n    ru: Привет\n    de: Hallo\n",
            6,
            "prompts.greet.de",
            "unknown language 'de'",
            id="unknown-language",
        ),
        pytest.param(
            "  greet:\n    kk: Сәлем\n    ru: '  '\n",
            5,
            "prompts.greet.ru",
            "empty text",
            id="empty-text",
        ),
        pytest.param(
            "  greet:\n    kk: Сәлем\n    ru: 12\n",
            5,
            "prompts.greet.ru",
            "expected a text",
            id="number-not-text",
        ),
        pytest.param(
            "  Greet.1:\n    kk: a\n    ru: b\n",
            3,
            "prompts.Greet.1",
            "not a valid prompt id",
            id="bad-prompt-id",
        ),
        pytest.param(
            "  num-1:\n    kk: бір\n    ru: один\n",
            3,
            "prompts.num-1",
            "speech fragment",
            id="fragment-id",
        ),
        pytest.param(
            "  greet:\n    kk: a\n    ru: b\n  greet:\n    kk: c\n    ru: d\n",
            6,
            "prompts.greet",
            "duplicate key",
            id="duplicate-prompt",
        ),
        pytest.param(
            "  greet:\n    kk:\n      - kk: a\n        ru: b\n    ru: c\n",
            5,
            "prompts.greet.kk.0",
            "exactly one",
            id="segment-two-languages",
        ),
        pytest.param(
            "  greet:\n    kk: [a\n    ru: b\n", 5, "", "YAML syntax error", id="yaml-syntax"
        ),
    ],
)
def test_manifest_errors_name_file_line_and_field(
    tmp_path: Path, body: str, line: int, field: str, message: str
) -> None:
    path = write_manifest(tmp_path, _HEAD + body)
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), line, field)
    assert message in error.message
    prefix = f"{path}:{line}: {field}: " if field else f"{path}:{line}: "
    assert str(error).startswith(prefix)
    assert isinstance(error, PromptsError)
    assert isinstance(error, HotlineError)


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("prompts: {}\n", 1, "languages", "required field is missing"),
        ("languages: [kk]\nprompts: {}\nvoices: x\n", 3, "voices", "unknown field"),
        ("languages: [kk, xx]\nprompts: {}\n", 1, "languages.1", "unknown language 'xx'"),
        ("languages: [kk, kk]\nprompts: {}\n", 1, "languages.1", "listed twice"),
        ("languages: [kk]\nprompts: {}\n", 2, "prompts", "no prompts"),
        ("- a\n", 1, "", "expected a mapping"),
        ("", 1, "", "the file is empty"),
    ],
)
def test_top_level_errors(tmp_path: Path, text: str, line: int, field: str, message: str) -> None:
    path = write_manifest(tmp_path, text)
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert (caught.value.line, caught.value.field) == (line, field)
    assert message in caught.value.message


def test_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ManifestError, match=r"nope\.yaml: file not found"):
        load_manifest(missing)
