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
]

Language = Literal["kk", "ru", "en"]
Gender = Literal["m", "f", "n"]
Noun = Literal["minute", "hour"]

MAX_NUMBER: Final = 999_999
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
