"""Numbers, waiting times and queue positions as sequences of recorded prompt fragments.

Asterisk's own number speaker has no Kazakh, so the IVR builds these prompts from fragments played
one after another from `prompts/<language>/<id>.wav`. Every function here is pure and returns
fragment ids; `FRAGMENT_TEXTS` (in `speech_texts`) says what each fragment id says, per language.

Choices, per language:

- Kazakh (`kk`): compounds are spoken in order from a small set of fragments: units, tens, `num-100`
  (жүз) and `num-1000` (мың) preceded by their multiplier, so 342 is
  `[num-3, num-100, num-40, num-2]` (үш жүз қырық екі); a multiplier of one is left out, so 100 is
  жүз, 1000 is мың and 1990 is мың тоғыз жүз тоқсан. Nouns stay singular after a numeral (бес
  минут).
  A position is an ordinal: only the last fragment takes the suffix (`num-20`, `ord-5`: жиырма
  бесінші) in "Сіз кезекте жиырма бесінші орындасыз".
- Russian (`ru`): own fragments for 10-19 and for the hundreds (сто, двести, ... девятьсот); 1 and 2
  agree in gender (`num-1-f` одна, `num-1-n` одно, `num-2-f` две); thousands are feminine and take
  тысяча/тысячи/тысяч (`thousand-1/2/5`); 1000 is тысяча, 21000 двадцать одна тысяча. Nouns take the
  form for their count (`ru_plural_form`). A position is said as the people ahead, which needs no
  ordinal agreement: position 6 is "перед вами пять человек", position 1 "ваш звонок следующий в
  очереди".
- English (`en`): "three hundred forty two" as `[num-3, num-100, num-40, num-2]` (`num-100` says
  "hundred", `num-1000` "thousand"); "You are number N in the queue".

Waiting times round up to whole minutes; under a minute is "less than a minute"; from 60 minutes on,
hours and the remaining minutes (3600 s is one hour, 3660 s one hour one minute).

A range of waiting times (`say_wait_range`, bounds from `hotline.queue.estimate.wait_range`) says
each bound with its own noun, dropping the first noun where both bounds take the same one:

- Kazakh: a numeral does not change; the nouns take the ablative and the dative with дейін, and
  both stay: екі минуттан төрт минутқа дейін, қырық минуттан екі сағатқа дейін.
- Russian: от and до take the genitive, numerals included (`gen-*` fragments: двух, четырёх,
  сорока, одной/одного); the noun after a genitive numeral is genitive plural (минут, часов) or,
  after a number ending in 1 but not 11, genitive singular (минуты, часа, the same words as
  the `-2` forms): от двух до четырёх минут, от сорока минут до двух часов, до двадцати одной
  минуты.
- English: from two to four minutes, from forty minutes to two hours.
"""

from __future__ import annotations

import math
from typing import Final, Literal, get_args

from hotline.ivr.speech_texts import FRAGMENT_TEXTS

__all__ = [
    "FRAGMENT_TEXTS",
    "MAX_NUMBER",
    "Gender",
    "Language",
    "fragment_text",
    "ru_plural_form",
    "say_duration",
    "say_number",
    "say_position",
    "say_wait_range",
]

Language = Literal["kk", "ru", "en"]
Gender = Literal["m", "f", "n"]
Noun = Literal["minute", "hour"]

MAX_NUMBER: Final = 999_999
#: The largest count a bound of a waiting range can have (Russian genitives exist to 999).
MAX_RANGE_COUNT: Final = 999
_LANGUAGES: Final = frozenset(get_args(Language))
_GENDERS: Final = frozenset(get_args(Gender))
# Russian grammatical gender of the nouns counted here: одна минута, один час.
_RU_NOUN_GENDER: Final[dict[Noun, Gender]] = {"minute": "f", "hour": "m"}


def ru_plural_form(n: int) -> Literal[1, 2, 5]:
    """The Russian noun form a count takes, named by its model count: 1 минута, 2 минуты, 5 минут.

    >>> [ru_plural_form(n) for n in (1, 2, 5, 11, 14, 21, 22, 25, 101, 111)]
    [1, 2, 5, 5, 5, 1, 2, 5, 1, 5]
    """
    if 11 <= n % 100 <= 14:
        return 5
    if n % 10 == 1:
        return 1
    if 2 <= n % 10 <= 4:
        return 2
    return 5


def say_number(n: int, language: Language, gender: Gender = "m") -> list[str]:
    """The fragments saying the cardinal `n` (0..999 999); `gender` matters in Russian only.

    >>> say_number(342, "kk")
    ['num-3', 'num-100', 'num-40', 'num-2']
    >>> say_number(2002, "ru", "f")
    ['num-2-f', 'thousand-2', 'num-2-f']
    >>> say_number(21000, "ru")
    ['num-20', 'num-1-f', 'thousand-1']
    """
    _check_language(language)
    if gender not in _GENDERS:
        raise ValueError(f"gender must be one of m, f, n, not {gender!r}")
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"can only say whole numbers 0..{MAX_NUMBER}, not {n!r}")
    if n == 0:
        return ["num-0"]
    thousands, rest = divmod(n, 1000)
    parts: list[str] = []
    if language == "ru":
        if thousands:
            if thousands != 1:
                parts += _ru_below_1000(thousands, "f")
            parts.append(f"thousand-{ru_plural_form(thousands)}")
        if rest:
            parts += _ru_below_1000(rest, gender)
        return parts
    below_1000 = _kk_below_1000 if language == "kk" else _en_below_1000
    if thousands:
        if thousands != 1 or language == "en":
            parts += below_1000(thousands)
        parts.append("num-1000")
    if rest:
        parts += below_1000(rest)
    return parts


def say_duration(seconds: float, language: Language) -> list[str]:
    """The fragments saying an expected wait of `seconds`, rounded up to whole minutes.

    >>> say_duration(61, "ru")
    ['num-2-f', 'minute-2']
    >>> say_duration(3660, "en")
    ['num-1', 'hour', 'num-1', 'minute']
    """
    _check_language(language)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a waiting time must be a finite number of seconds >= 0, not {seconds!r}")
    if seconds < 60:
        return ["less-than-minute"]
    hours, minutes = divmod(math.ceil(seconds / 60), 60)
    parts: list[str] = []
    if hours:
        parts += _say_count(hours, "hour", language)
    if minutes:
        parts += _say_count(minutes, "minute", language)
    return parts


def say_position(n: int, language: Language) -> list[str]:
    """The fragments telling a caller they are number `n` (1-based) in the queue.

    >>> say_position(25, "kk")
    ['position-before', 'num-20', 'ord-5', 'position-after']
    >>> say_position(3, "ru")
    ['position-before', 'num-2', 'person-2']
    >>> say_position(1, "ru")
    ['position-next']
    """
    _check_language(language)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_NUMBER:
        raise ValueError(f"a queue position must be a whole number 1..{MAX_NUMBER}, not {n!r}")
    if language == "ru":
        ahead = n - 1
        if ahead == 0:
            return ["position-next"]
        return ["position-before", *say_number(ahead, "ru"), f"person-{ru_plural_form(ahead)}"]
    number = say_number(n, language)
    if language == "kk":
        number[-1] = number[-1].replace("num-", "ord-", 1)
    return ["position-before", *number, "position-after"]


def say_wait_range(low_s: int, high_s: int, language: Language) -> list[str]:
    """The fragments saying "from `low_s` to `high_s`" (a range from `wait_range`).

    Each bound is whole minutes below an hour and whole hours from an hour on (other values are
    rounded to the nearest of those); `high_s` at most 60 with `low_s` 0 is "less than a minute".

    >>> fragment_text(say_wait_range(120, 240, "ru"), "ru")
    'от двух до четырёх минут'
    >>> fragment_text(say_wait_range(120, 240, "kk"), "kk")
    'екі минуттан төрт минутқа дейін'
    >>> fragment_text(say_wait_range(2400, 7200, "en"), "en")
    'from forty minutes to two hours'
    """
    _check_language(language)
    if not 0 <= low_s < high_s:
        raise ValueError(f"a waiting range needs 0 <= low < high, not {low_s!r}..{high_s!r}")
    if low_s == 0 and high_s <= 60:
        return ["less-than-minute"]
    low, high = _range_bound(max(low_s, 60)), _range_bound(high_s)
    same_noun = low[1] == high[1]
    if language == "kk":
        return [
            *say_number(low[0], "kk"),
            f"{low[1]}-from",
            *say_number(high[0], "kk"),
            f"{high[1]}-until",
        ]
    if language == "ru":
        first = _ru_genitive_count(*low)
        return [
            "range-from",
            *(first[:-1] if same_noun else first),
            "range-to",
            *_ru_genitive_count(*high),
        ]
    first = _say_count(low[0], low[1], "en")
    return [
        "range-from",
        *(first[:-1] if same_noun else first),
        "range-to",
        *_say_count(high[0], high[1], "en"),
    ]


def fragment_text(fragments: list[str], language: Language) -> str:
    """What a fragment sequence says, as one line of text (for logs, tests and TTS checks).

    >>> fragment_text(["num-20", "num-5", "minute"], "kk")
    'жиырма бес минут'
    """
    texts = FRAGMENT_TEXTS[language]
    return " ".join(texts[fragment] for fragment in fragments)


def _say_count(n: int, noun: Noun, language: Language) -> list[str]:
    if language == "ru":
        return [*say_number(n, "ru", _RU_NOUN_GENDER[noun]), f"{noun}-{ru_plural_form(n)}"]
    if language == "kk":
        return [*say_number(n, "kk"), noun]
    return [*say_number(n, "en"), noun if n == 1 else f"{noun}s"]


def _range_bound(seconds: int) -> tuple[int, Noun]:
    """A bound of a waiting range as a count and its noun: minutes below an hour, else hours."""
    minutes = round(seconds / 60)
    bound: tuple[int, Noun] = (minutes, "minute")
    if minutes >= 60:
        bound = (round(seconds / 3600), "hour")
    if bound[0] > MAX_RANGE_COUNT:
        raise ValueError(f"a waiting range bound of {seconds!r} s is too long to say")
    return bound


def _ru_genitive_count(n: int, noun: Noun) -> list[str]:
    """от/до + n nouns: the numeral in the genitive, then the noun's genitive (see the doc)."""
    gender = _RU_NOUN_GENDER[noun]
    hundreds, rest = divmod(n, 100)
    parts = [f"gen-{hundreds * 100}"] if hundreds else []
    if 10 <= rest <= 19:
        parts.append(f"gen-{rest}")
    else:
        tens, units = divmod(rest, 10)
        if tens:
            parts.append(f"gen-{tens * 10}")
        if units == 1:
            parts.append("gen-1-f" if gender == "f" else "gen-1-m")
        elif units:
            parts.append(f"gen-{units}")
    singular = n % 10 == 1 and n % 100 != 11
    return [*parts, f"{noun}-{2 if singular else 5}"]


def _ru_below_1000(n: int, gender: Gender) -> list[str]:
    hundreds, rest = divmod(n, 100)
    parts = [f"num-{hundreds * 100}"] if hundreds else []
    if 10 <= rest <= 19:
        return [*parts, f"num-{rest}"]
    tens, units = divmod(rest, 10)
    if tens:
        parts.append(f"num-{tens * 10}")
    if units in (1, 2) and gender == "f":
        parts.append(f"num-{units}-f")
    elif units == 1 and gender == "n":
        parts.append("num-1-n")
    elif units:
        parts.append(f"num-{units}")
    return parts


def _kk_below_1000(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    parts: list[str] = []
    if hundreds:
        if hundreds != 1:
            parts.append(f"num-{hundreds}")
        parts.append("num-100")
    tens, units = divmod(rest, 10)
    if tens:
        parts.append(f"num-{tens * 10}")
    if units:
        parts.append(f"num-{units}")
    return parts


def _en_below_1000(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    parts = [f"num-{hundreds}", "num-100"] if hundreds else []
    if 1 <= rest <= 19:
        parts.append(f"num-{rest}")
    elif rest:
        tens, units = divmod(rest, 10)
        parts.append(f"num-{tens * 10}")
        if units:
            parts.append(f"num-{units}")
    return parts


def _check_language(language: str) -> None:
    if language not in _LANGUAGES:
        raise ValueError(f"language must be one of kk, ru, en, not {language!r}")
