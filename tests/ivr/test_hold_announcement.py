"""The waiting caller's announcement: position, then a range or "nobody on shift"."""

from __future__ import annotations

import doctest

import pytest

from hotline.ivr import hold_announcement as module
from hotline.ivr.hold_announcement import HOLD_PROMPTS, NO_OPERATOR, WAIT_INTRO, hold_announcement
from hotline.ivr.speech import FRAGMENT_TEXTS, Language, fragment_text
from hotline.prompts.manifest import default_manifest_path, load_manifest

LANGUAGES: tuple[Language, ...] = ("kk", "ru", "en")


def test_docstring_examples() -> None:
    assert doctest.testmod(module).failed == 0


def spoken(prompts: list[str], language: Language) -> str:
    """The fragments as text, the manifest prompts by id in brackets."""
    fragments = FRAGMENT_TEXTS[language]
    return " ".join(fragment_text([p], language) if p in fragments else f"[{p}]" for p in prompts)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("kk", "Сіз кезекте екінші орындасыз [wait-intro] екі минуттан төрт минутқа дейін"),
        ("ru", "Перед вами один человек [wait-intro] от двух до четырёх минут"),
        ("en", "You are number two in the queue [wait-intro] from two to four minutes"),
    ],
)
def test_position_and_range(language: Language, text: str) -> None:
    assert spoken(hold_announcement(2, (120, 240), language), language) == text


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("kk", "Сіз кезекте бірінші орындасыз [wait-intro] бір минуттан аз"),
        ("ru", "Ваш звонок следующий в очереди [wait-intro] меньше минуты"),
        ("en", "You are number one in the queue [wait-intro] less than a minute"),
    ],
)
def test_less_than_a_minute(language: Language, text: str) -> None:
    assert spoken(hold_announcement(1, (0, 60), language), language) == text


@pytest.mark.parametrize("language", LANGUAGES)
def test_nobody_on_shift_is_said_instead_of_a_number(language: Language) -> None:
    prompts = hold_announcement(3, None, language)
    assert prompts[-1] == NO_OPERATOR
    assert WAIT_INTRO not in prompts
    assert not any(p.startswith(("range-", "minute", "hour")) for p in prompts)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_prompts_have_texts_in_the_manifest(language: Language) -> None:
    manifest = load_manifest(default_manifest_path())
    for prompt in HOLD_PROMPTS:
        assert manifest.get(prompt, language) is not None, (prompt, language)
