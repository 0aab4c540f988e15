"""The fragment speaker: exact fragment sequences per language; every fragment exists."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.ivr import speech
from hotline.ivr.speech import (
    FRAGMENT_TEXTS,
    MAX_NUMBER,
    Language,
    fragment_text,
    say_duration,
    say_number,
    say_position,
    say_wait_range,
)
from hotline.queue.estimate import wait_range

LANGUAGES: tuple[Language, ...] = ("kk", "ru", "en")


def ru(n: int, gender: speech.Gender = "m") -> str:
    return fragment_text(say_number(n, "ru", gender), "ru")


def test_docstring_examples() -> None:
    assert doctest.testmod(speech).failed == 0


# --- Russian ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "masculine", "feminine"),
    [
        (0, "ноль", "ноль"),
        (1, "один", "одна"),
        (2, "два", "две"),
        (5, "пять", "пять"),
        (11, "одиннадцать", "одиннадцать"),
        (12, "двенадцать", "двенадцать"),
        (14, "четырнадцать", "четырнадцать"),
        (21, "двадцать один", "двадцать одна"),
        (22, "двадцать два", "двадцать две"),
        (25, "двадцать пять", "двадцать пять"),
        (101, "сто один", "сто одна"),
        (111, "сто одиннадцать", "сто одиннадцать"),
        (342, "триста сорок два", "триста сорок две"),
        (1000, "тысяча", "тысяча"),
        (1001, "тысяча один", "тысяча одна"),
        (2002, "две тысячи два", "две тысячи две"),
        (5005, "пять тысяч пять", "пять тысяч пять"),
        (11000, "одиннадцать тысяч", "одиннадцать тысяч"),
        (21000, "двадцать одна тысяча", "двадцать одна тысяча"),
        (22000, "двадцать две тысячи", "двадцать две тысячи"),
        (999_999, "девятьсот девяносто девять тысяч девятьсот девяносто девять", None),
    ],
)
def test_russian_numbers(n: int, masculine: str, feminine: str | None) -> None:
    assert ru(n) == masculine
    if feminine is not None:
        assert ru(n, "f") == feminine


def test_russian_fragment_ids() -> None:
    assert say_number(2002, "ru") == ["num-2-f", "thousand-2", "num-2"]
    assert say_number(21000, "ru") == ["num-20", "num-1-f", "thousand-1"]
    assert say_number(1, "ru", "f") == ["num-1-f"]
    assert say_number(1, "ru", "n") == ["num-1-n"]
    assert say_number(2, "ru", "n") == ["num-2"]
    assert say_number(1001, "ru") == ["thousand-1", "num-1"]


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (1, "одна минута"),
        (2, "две минуты"),
        (5, "пять минут"),
        (11, "одиннадцать минут"),
        (12, "двенадцать минут"),
        (14, "четырнадцать минут"),
        (21, "двадцать одна минута"),
        (22, "двадцать две минуты"),
        (25, "двадцать пять минут"),
        (59, "пятьдесят девять минут"),
    ],
)
def test_russian_minutes(minutes: int, text: str) -> None:
    assert fragment_text(say_duration(minutes * 60, "ru"), "ru") == text


@pytest.mark.parametrize(
    ("n", "form"),
    [
        (0, 5),
        (1, 1),
        (2, 2),
        (4, 2),
        (5, 5),
        (11, 5),
        (12, 5),
        (14, 5),
        (21, 1),
        (22, 2),
        (25, 5),
        (101, 1),
        (111, 5),
        (1001, 1),
        (2002, 2),
        (5005, 5),
        (21000, 5),
    ],
)
def test_russian_plural_form(n: int, form: int) -> None:
    assert speech.ru_plural_form(n) == form


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (1, "один час"),
        (2, "два часа"),
        (5, "пять часов"),
        (21, "двадцать один час"),
        (24, "двадцать четыре часа"),
    ],
)
def test_russian_hours(hours: int, text: str) -> None:
    assert fragment_text(say_duration(hours * 3600, "ru"), "ru") == text


# --- Kazakh and English ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "fragments", "text"),
    [
        (0, ["num-0"], "нөл"),
        (7, ["num-7"], "жеті"),
        (15, ["num-10", "num-5"], "он бес"),
        (25, ["num-20", "num-5"], "жиырма бес"),
        (100, ["num-100"], "жүз"),
        (342, ["num-3", "num-100", "num-40", "num-2"], "үш жүз қырық екі"),
        (1000, ["num-1000"], "мың"),
        (1990, ["num-1000", "num-9", "num-100", "num-90"], "мың тоғыз жүз тоқсан"),
        (2005, ["num-2", "num-1000", "num-5"], "екі мың бес"),
        (100_000, ["num-100", "num-1000"], "жүз мың"),
    ],
)
def test_kazakh_numbers(n: int, fragments: list[str], text: str) -> None:
    assert say_number(n, "kk") == fragments
    assert fragment_text(fragments, "kk") == text


def test_kazakh_ignores_gender() -> None:
    assert say_number(21, "kk", "f") == say_number(21, "kk") == ["num-20", "num-1"]


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "zero"),
        (1, "one"),
        (13, "thirteen"),
        (40, "forty"),
        (42, "forty two"),
        (100, "one hundred"),
        (342, "three hundred forty two"),
        (1000, "one thousand"),
        (1990, "one thousand nine hundred ninety"),
        (21_015, "twenty one thousand fifteen"),
        (999_999, "nine hundred ninety nine thousand nine hundred ninety nine"),
    ],
)
def test_english_numbers(n: int, text: str) -> None:
    assert fragment_text(say_number(n, "en"), "en") == text


# --- Durations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "kk", "ru_text", "en"),
    [
        (0, "бір минуттан аз", "меньше минуты", "less than a minute"),
        (30, "бір минуттан аз", "меньше минуты", "less than a minute"),
        (59.9, "бір минуттан аз", "меньше минуты", "less than a minute"),
        (60, "бір минут", "одна минута", "one minute"),
        (61, "екі минут", "две минуты", "two minutes"),
        (300, "бес минут", "пять минут", "five minutes"),
        (3540, "елу тоғыз минут", "пятьдесят девять минут", "fifty nine minutes"),
        (3541, "бір сағат", "один час", "one hour"),
        (3600, "бір сағат", "один час", "one hour"),
        (3660, "бір сағат бір минут", "один час одна минута", "one hour one minute"),
        (7260, "екі сағат бір минут", "два часа одна минута", "two hours one minute"),
        (7201, "екі сағат бір минут", "два часа одна минута", "two hours one minute"),
        (5 * 3600 - 1, "бес сағат", "пять часов", "five hours"),
        (
            3600 + 22 * 60,
            "бір сағат жиырма екі минут",
            "один час двадцать две минуты",
            "one hour twenty two minutes",
        ),
    ],
)
def test_durations(seconds: float, kk: str, ru_text: str, en: str) -> None:
    assert fragment_text(say_duration(seconds, "kk"), "kk") == kk
    assert fragment_text(say_duration(seconds, "ru"), "ru") == ru_text
    assert fragment_text(say_duration(seconds, "en"), "en") == en


def test_duration_fragment_ids() -> None:
    assert say_duration(30, "ru") == ["less-than-minute"]
    assert say_duration(61, "ru") == ["num-2-f", "minute-2"]
    assert say_duration(7260, "ru") == ["num-2", "hour-2", "num-1-f", "minute-1"]
    assert say_duration(300, "kk") == ["num-5", "minute"]
    assert say_duration(7260, "en") == ["num-2", "hours", "num-1", "minute"]


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf")])
def test_duration_rejects_nonsense(seconds: float) -> None:
    with pytest.raises(ValueError, match="waiting time"):
        say_duration(seconds, "ru")


# --- Positions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "language", "text"),
    [
        (1, "kk", "Сіз кезекте бірінші орындасыз"),
        (5, "kk", "Сіз кезекте бесінші орындасыз"),
        (25, "kk", "Сіз кезекте жиырма бесінші орындасыз"),
        (40, "kk", "Сіз кезекте қырқыншы орындасыз"),
        (100, "kk", "Сіз кезекте жүзінші орындасыз"),
        (342, "kk", "Сіз кезекте үш жүз қырық екінші орындасыз"),
        (2000, "kk", "Сіз кезекте екі мыңыншы орындасыз"),
        (1, "ru", "Ваш звонок следующий в очереди"),
        (2, "ru", "Перед вами один человек"),
        (3, "ru", "Перед вами два человека"),
        (5, "ru", "Перед вами четыре человека"),
        (6, "ru", "Перед вами пять человек"),
        (12, "ru", "Перед вами одиннадцать человек"),
        (22, "ru", "Перед вами двадцать один человек"),
        (23, "ru", "Перед вами двадцать два человека"),
        (1, "en", "You are number one in the queue"),
        (42, "en", "You are number forty two in the queue"),
    ],
)
def test_positions(n: int, language: Language, text: str) -> None:
    assert fragment_text(say_position(n, language), language) == text


def test_position_fragment_ids() -> None:
    assert say_position(25, "kk") == ["position-before", "num-20", "ord-5", "position-after"]
    assert say_position(3, "ru") == ["position-before", "num-2", "person-2"]
    assert say_position(7, "en") == ["position-before", "num-7", "position-after"]


@pytest.mark.parametrize("n", [0, -1, MAX_NUMBER + 1])
def test_position_out_of_range(n: int) -> None:
    with pytest.raises(ValueError, match="queue position"):
        say_position(n, "kk")


# --- Bad arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [-1, MAX_NUMBER + 1, True])
def test_number_out_of_range(n: int) -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        say_number(n, "ru")


def test_unknown_language_and_gender() -> None:
    with pytest.raises(ValueError, match="language"):
        say_number(1, "de")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="gender"):
        say_number(1, "ru", "x")  # type: ignore[arg-type]


# --- Every fragment exists -------------------------------------------------------------------


def _sampled_numbers() -> list[int]:
    numbers = set(range(0, 2_100)) | set(range(0, MAX_NUMBER + 1, 997))
    numbers |= {t * 1000 + r for t in range(0, 1000, 37) for r in (0, 1, 2, 11, 21, 342)}
    numbers |= {t * 1000 for t in range(1000)} | {MAX_NUMBER}
    return sorted(n for n in numbers if n <= MAX_NUMBER)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_fragment_exists(language: Language) -> None:
    texts = FRAGMENT_TEXTS[language]
    used: set[str] = set()
    for n in _sampled_numbers():
        for gender in ("m", "f", "n"):
            used.update(say_number(n, language, gender))
        if n:
            used.update(say_position(n, language))
    for seconds in range(0, 5 * 3600 + 1, 7):
        used.update(say_duration(seconds, language))
    for expected_s in range(0, 700 * 3600, 61):
        said = wait_range(expected_s)
        used.update(say_wait_range(said.low_s, said.high_s, language))
    for low in range(1, 60):  # every count of minutes and hours a bound may have
        used.update(say_wait_range(low * 60, (low + 1) * 60, language))
    for hours in range(1, 999):
        used.update(say_wait_range(hours * 3600, (hours + 1) * 3600, language))
    assert used - texts.keys() == set()
    # ... and every recorded fragment is used: nothing is recorded for nothing.
    assert texts.keys() - used == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_fragment_texts_are_clean(language: Language) -> None:
    for fragment, text in FRAGMENT_TEXTS[language].items():
        assert text, fragment
        assert text == text.strip(), fragment
        assert "  " not in text, fragment


@given(
    n=st.integers(min_value=0, max_value=MAX_NUMBER),
    language=st.sampled_from(LANGUAGES),
    gender=st.sampled_from(("m", "f", "n")),
)
def test_any_number_reads_cleanly(n: int, language: Language, gender: speech.Gender) -> None:
    fragments = say_number(n, language, gender)
    assert set(fragments) <= FRAGMENT_TEXTS[language].keys()
    text = fragment_text(fragments, language)
    assert text
    assert text == text.strip()
    assert "  " not in text
    if n:
        assert set(say_position(n, language)) <= FRAGMENT_TEXTS[language].keys()


@given(
    n=st.integers(min_value=0, max_value=MAX_NUMBER),
    gender=st.sampled_from(("m", "f", "n")),
)
def test_russian_gender_only_changes_the_last_unit(n: int, gender: speech.Gender) -> None:
    masculine, other = say_number(n, "ru"), say_number(n, "ru", gender)
    assert masculine[:-1] == other[:-1]
    assert masculine[-1].split("-")[:2] == other[-1].split("-")[:2]


@given(
    seconds=st.floats(min_value=0, max_value=50 * 3600, allow_nan=False),
    language=st.sampled_from(LANGUAGES),
)
def test_any_duration_reads_cleanly(seconds: float, language: Language) -> None:
    fragments = say_duration(seconds, language)
    assert set(fragments) <= FRAGMENT_TEXTS[language].keys()
    text = fragment_text(fragments, language)
    assert text
    assert "  " not in text


# --- Waiting ranges --------------------------------------------------------------------------


def range_text(low_min: int, high_min: int, language: Language) -> str:
    return fragment_text(say_wait_range(low_min * 60, high_min * 60, language), language)


@pytest.mark.parametrize(
    ("low", "high", "kk", "ru_text", "en"),
    [
        (
            1,
            2,
            "бір минуттан екі минутқа дейін",
            "от одной до двух минут",
            "from one to two minutes",
        ),
        (
            2,
            4,
            "екі минуттан төрт минутқа дейін",
            "от двух до четырёх минут",
            "from two to four minutes",
        ),
        (
            3,
            5,
            "үш минуттан бес минутқа дейін",
            "от трёх до пяти минут",
            "from three to five minutes",
        ),
        (
            10,
            21,
            "он минуттан жиырма бір минутқа дейін",
            "от десяти до двадцати одной минуты",
            "from ten to twenty one minutes",
        ),
        (
            11,
            25,
            "он бір минуттан жиырма бес минутқа дейін",
            "от одиннадцати до двадцати пяти минут",
            "from eleven to twenty five minutes",
        ),
        (
            40,
            120,
            "қырық минуттан екі сағатқа дейін",
            "от сорока минут до двух часов",
            "from forty minutes to two hours",
        ),
        (
            55,
            60,
            "елу бес минуттан бір сағатқа дейін",
            "от пятидесяти пяти минут до одного часа",
            "from fifty five minutes to one hour",
        ),
        (
            60,
            180,
            "бір сағаттан үш сағатқа дейін",
            "от одного до трёх часов",
            "from one to three hours",
        ),
        (
            20 * 60,
            21 * 60,
            "жиырма сағаттан жиырма бір сағатқа дейін",
            "от двадцати до двадцати одного часа",
            "from twenty to twenty one hours",
        ),
    ],
)
def test_wait_ranges(low: int, high: int, kk: str, ru_text: str, en: str) -> None:
    assert range_text(low, high, "kk") == kk
    assert range_text(low, high, "ru") == ru_text
    assert range_text(low, high, "en") == en


@pytest.mark.parametrize(
    ("minutes", "noun"),
    [(2, "минут"), (5, "минут"), (11, "минут"), (12, "минут"), (21, "минуты"), (31, "минуты")],
)
def test_russian_noun_after_a_genitive_bound(minutes: int, noun: str) -> None:
    """до + genitive: "до двух минут", "до одиннадцати минут", "до двадцати одной минуты"."""
    assert range_text(1, minutes, "ru").split()[-1] == noun


def test_under_a_minute_is_less_than_a_minute() -> None:
    assert say_wait_range(0, 60, "kk") == ["less-than-minute"]
    assert range_text(0, 1, "ru") == "меньше минуты"
    assert range_text(0, 1, "en") == "less than a minute"


@pytest.mark.parametrize(("low_s", "high_s"), [(120, 120), (240, 120), (-60, 60)])
def test_a_range_must_go_up(low_s: int, high_s: int) -> None:
    with pytest.raises(ValueError, match="needs 0 <= low < high"):
        say_wait_range(low_s, high_s, "ru")


def test_a_bound_too_long_to_say() -> None:
    with pytest.raises(ValueError, match="too long to say"):
        say_wait_range(3600, 1000 * 3600, "ru")


@given(
    expected_s=st.floats(min_value=0, max_value=500 * 3600, allow_nan=False),
    language=st.sampled_from(LANGUAGES),
)
def test_any_estimated_range_reads_cleanly(expected_s: float, language: Language) -> None:
    said = wait_range(expected_s)
    fragments = say_wait_range(said.low_s, said.high_s, language)
    assert set(fragments) <= FRAGMENT_TEXTS[language].keys()
    text = fragment_text(fragments, language)
    assert text == text.strip()
    assert "  " not in text
