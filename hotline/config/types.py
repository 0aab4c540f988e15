"""The field types every part of the hotline configuration shares: ids, prompt ids, times,
and the strict base model (frozen, unknown fields are errors)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

# --- field types ---------------------------------------------------------------------------

# Ids end up in Redis keys, AMI variables and file names: keep them to a safe alphabet.
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Prompt ids become Asterisk file names `hotline/<lang>/<prompt>`: no slashes, no dots.
_PROMPT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# An Asterisk dial string TECH/resource. No comma, '&', space or '$': the value is passed to
# Dial() through a channel variable, where those would add options, channels or expressions.
_DIAL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*/[A-Za-z0-9_.+@:/-]+$")
HHMM_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

Language = Literal["kk", "ru", "en"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
# Upper bounds of the numeric settings (README, "Bounds of the numeric settings"). A value
# past one is a typo (an extra digit, milliseconds in a `_s` field), never a plan; each is
# far above any real use, and keeps the ACD's and Asterisk's arithmetic in range.
MINUTE_S, HOUR_S, DAY_S = 60, 3600, 86_400
#: Callers waiting in one queue, calls expected per hour, attempts or misses at most.
MAX_WAITING_CALLERS = 100_000
MAX_CALLS_PER_HOUR = 100_000
MAX_ATTEMPTS = 20
MAX_WEIGHT = 1_000_000


def number_to_str(value: object) -> object:
    # YAML reads `number: 109` or `id: 1414` as integers; they are names, not quantities.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def check_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(f"{value!r} is not a valid id (letters, digits, '_', '.', '-')")
    return value


def check_prompt(value: str) -> str:
    if not _PROMPT_RE.match(value):
        raise ValueError(f"{value!r} is not a valid prompt id (a-z, 0-9, '_', '-')")
    return value


def check_dial(value: str) -> str:
    if not _DIAL_RE.match(value):
        raise ValueError(
            f"{value!r} is not an Asterisk dial string like 'PJSIP/op101' or "
            "'PJSIP/+77011234567@trunk'"
        )
    return value


def dial_trunk(dial: str) -> str | None:
    """The PJSIP endpoint a dial string goes out through when it names a user there
    (`PJSIP/<user>@<endpoint>` or `PJSIP/<endpoint>/<sip uri>`), else None: another
    technology, or a plain endpoint (`PJSIP/op400-01`).

    >>> dial_trunk("PJSIP/+77051110004@trunk"), dial_trunk("PJSIP/trunk/sip:+7705@isp")
    ('trunk', 'trunk')
    >>> dial_trunk("PJSIP/op400-01"), dial_trunk("Local/op01@operators")
    (None, None)
    """
    tech, _, resource = dial.partition("/")
    if tech.upper() != "PJSIP":
        return None
    head, slash, _ = resource.partition("/")
    if slash:
        return head.rpartition("@")[2] or None
    user, at, endpoint = head.rpartition("@")
    return endpoint if at and user and endpoint else None


def check_start_time(value: str) -> str:
    if not HHMM_RE.match(value):
        raise ValueError(f"{value!r} is not a time HH:MM (00:00 to 23:59)")
    return value


def check_end_time(value: str) -> str:
    # "24:00" reads better than "00:00" for a shift that ends at midnight.
    if value != "24:00" and not HHMM_RE.match(value):
        raise ValueError(f"{value!r} is not a time HH:MM (00:00 to 24:00)")
    return value


Id = Annotated[str, BeforeValidator(number_to_str), AfterValidator(check_id)]
PromptId = Annotated[str, AfterValidator(check_prompt)]
StartTime = Annotated[str, AfterValidator(check_start_time)]
EndTime = Annotated[str, AfterValidator(check_end_time)]


def minute_of_day(hhmm: str) -> int:
    """'08:30' -> 510; '24:00' -> 1440."""
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def unique(values: list[Any], what: str) -> list[Any]:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} is listed twice")
        seen.add(value)
    return values


class StrictModel(BaseModel):
    """Frozen, and a field it does not know is an error (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
