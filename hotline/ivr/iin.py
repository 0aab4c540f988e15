"""The IIN (ЖСН / ИИН): validate, mask, and hash Kazakhstan's 12-digit personal number.

An IIN is `YYMMDD` (birth date), one digit for century and sex (1/2: 1800s, 3/4: 1900s,
5/6: 2000s; odd = male), four serial digits and a check digit. It is personal data: a log or a
screen gets `mask_iin`, storage gets `IinHasher.hash`, and nothing gets the number in clear.

Sample numbers (made with the algorithm below, not real people):

- ``900101300334``: 1990-01-01, decided by the first pass (weights 1..11 give 4).
- ``040215501807``: 2004-02-15, the first pass gives 10, the second gives 7.
- ``04021550187``: no check digit exists; the first and the second pass both give 10, so
  every IIN starting with these 11 digits is invalid.
- ``180602100015``: 1818-06-02, the 1800s.

A known weakness of the check digit (the algorithm's, not this module's): the 11th digit has
weight 11, 0 mod 11, in the first pass, so while the first pass decides, a change to the 11th
digit is not detected (``900101300007`` and ``900101300017`` are both valid). A single change that
moves the first pass to or from 10 can also land on the same check digit (``900101300097`` and
``100101300097``). Any other single-digit change is detected.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from hotline.errors import HotlineError

IIN_LENGTH: Final = 12
KEY_ENV: Final = "HOTLINE_IIN_KEY"
KEY_FILE_ENV: Final = "HOTLINE_IIN_KEY_FILE"
MIN_KEY_BYTES: Final = 32

_DIGITS: Final = frozenset("0123456789")
_FIRST_WEIGHTS: Final = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_SECOND_WEIGHTS: Final = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_CENTURY_BY_DIGIT: Final = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}
_MASK_KEEP_HEAD: Final = 4
_MASK_KEEP_TAIL: Final = 2

IinReason = Literal["length", "not_digits", "century", "date", "check_digit"]


class IinKeyError(HotlineError):
    """The IIN hashing key is missing, malformed or too short. The message names the variable."""


@dataclass(frozen=True)
class IinCheck:
    """The verdict on one IIN. `reason` is a stable code, safe to log (it holds no digits).

    >>> validate_iin("900101300334")
    IinCheck(valid=True, reason=None)
    >>> validate_iin("900101300335")
    IinCheck(valid=False, reason='check_digit')
    """

    valid: bool
    reason: IinReason | None


_VALID: Final = IinCheck(valid=True, reason=None)


def normalise_iin(text: str) -> str:
    """Drop all whitespace, so `"900101 300334"` and `"900101300334"` are the same number.

    >>> normalise_iin(" 900101 300334\\n")
    '900101300334'
    """
    return "".join(text.split())


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() also accepts '٣' and '³'; an IIN is ASCII only.
    return bool(text) and set(text) <= _DIGITS


def check_digit(first11: str) -> int | None:
    """The check digit for the first 11 digits of an IIN, or None when no digit is valid.

    >>> check_digit("90010130033")  # first pass: weights 1..11
    4
    >>> check_digit("04021550180")  # first pass gives 10, second pass gives 7
    7
    >>> check_digit("04021550187") is None  # both passes give 10
    True
    """
    if len(first11) != IIN_LENGTH - 1 or not _is_ascii_digits(first11):
        raise ValueError("check_digit needs exactly 11 ASCII digits")
    digits = [int(c) for c in first11]
    for weights in (_FIRST_WEIGHTS, _SECOND_WEIGHTS):
        remainder = sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
        if remainder != 10:
            return remainder
    return None


def _birth_date(iin: str) -> datetime.date | Literal["century", "date"]:
    century = _CENTURY_BY_DIGIT.get(iin[6])
    if century is None:
        return "century"
    try:
        return datetime.date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        return "date"


def validate_iin(text: str) -> IinCheck:
    """Check length, digits, century digit, birth date and check digit, in that order.

    Whitespace is dropped first (`normalise_iin`). The birth date is not compared with today:
    this module has no clock.

    >>> validate_iin("040215501807")  # second pass
    IinCheck(valid=True, reason=None)
    >>> validate_iin("90010130033")
    IinCheck(valid=False, reason='length')
    >>> validate_iin("90010130033X")
    IinCheck(valid=False, reason='not_digits')
    >>> validate_iin("900101900334")
    IinCheck(valid=False, reason='century')
    >>> validate_iin("900230300334")
    IinCheck(valid=False, reason='date')
    >>> validate_iin("040215501870")  # both passes give 10: no last digit helps
    IinCheck(valid=False, reason='check_digit')
    """
    iin = normalise_iin(text)
    if len(iin) != IIN_LENGTH:
        return IinCheck(valid=False, reason="length")
    if not _is_ascii_digits(iin):
        return IinCheck(valid=False, reason="not_digits")
    born = _birth_date(iin)
    if isinstance(born, str):
        return IinCheck(valid=False, reason=born)
    if check_digit(iin[:-1]) != int(iin[-1]):
        return IinCheck(valid=False, reason="check_digit")
    return _VALID


def mask_iin(text: str) -> str:
    """`9001******34`: the first 4 and the last 2 characters kept. Never fails.

    Anything that is not 12 characters after `normalise_iin` becomes 12 `*`, so a mistyped
    number is hidden entirely and its length is not shown either.

    >>> mask_iin("900101300334")
    '9001******34'
    >>> mask_iin("9001013003")
    '************'
    """
    iin = normalise_iin(text)
    if len(iin) != IIN_LENGTH:
        return "*" * IIN_LENGTH
    hidden = IIN_LENGTH - _MASK_KEEP_HEAD - _MASK_KEEP_TAIL
    return iin[:_MASK_KEEP_HEAD] + "*" * hidden + iin[-_MASK_KEEP_TAIL:]


class IinHasher:
    """HMAC-SHA256 (hex) of the normalised IIN: the only form in which an IIN is stored.

    The hash does not depend on the check digit being right (a recipients list may hold a
    mistyped number, and it must still be stored hashed), but it needs 12 ASCII digits.

    >>> hasher = IinHasher(bytes(range(32)))
    >>> hasher
    IinHasher(key=<hidden>)
    >>> hasher.hash("900101300334") == hasher.hash(" 900101 300334 ")
    True
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"an IIN key needs at least {MIN_KEY_BYTES} bytes")
        self._key = bytes(key)

    def __repr__(self) -> str:
        return "IinHasher(key=<hidden>)"

    def hash(self, iin: str) -> str:
        normal = normalise_iin(iin)
        if len(normal) != IIN_LENGTH or not _is_ascii_digits(normal):
            raise ValueError("only a 12-digit IIN can be hashed")
        return hmac.new(self._key, normal.encode("ascii"), hashlib.sha256).hexdigest()


def _decode_key(hex_text: str, source: str) -> bytes:
    try:
        key = bytes.fromhex(hex_text.strip())
    except ValueError:
        # `from None`: the ValueError's own message may quote part of the key.
        raise IinKeyError(f"{source}: not a hex string") from None
    if len(key) < MIN_KEY_BYTES:
        raise IinKeyError(
            f"{source}: the key is {len(key)} bytes, at least {MIN_KEY_BYTES} are needed"
            f" ({2 * MIN_KEY_BYTES} hex digits)"
        )
    return key


def load_iin_key(env: Mapping[str, str]) -> bytes:
    """The IIN hashing key from `HOTLINE_IIN_KEY` (hex) or `HOTLINE_IIN_KEY_FILE` (a file of hex).

    Exactly one of the two must be set; an empty value counts as unset. Errors name the variable
    (and the file), never the key.
    """
    inline = env.get(KEY_ENV, "")
    path = env.get(KEY_FILE_ENV, "")
    if inline and path:
        raise IinKeyError(f"set {KEY_ENV} or {KEY_FILE_ENV}, not both")
    if inline:
        return _decode_key(inline, KEY_ENV)
    if path:
        source = f"{KEY_FILE_ENV} ({path})"
        try:
            hex_text = Path(path).read_text(encoding="ascii")
        except OSError as exc:
            raise IinKeyError(f"{source}: cannot read: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise IinKeyError(f"{source}: not a hex string") from None
        return _decode_key(hex_text, source)
    raise IinKeyError(f"no IIN key: set {KEY_ENV} (hex) or {KEY_FILE_ENV} (a file holding hex)")
