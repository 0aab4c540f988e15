"""The hotline configuration model: one `HotlineConfig` per hotline, loaded from YAML.

Every model is frozen and forbids unknown fields, so a typo in a file is an error rather than
a silently ignored setting. Checks that need the whole file (a shift member must be an
operator, a menu topic must have a queue, ...) live in `cross_check`, which returns each
problem with its field path so the loader can point at the YAML line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

# --- field types ---------------------------------------------------------------------------

# Ids end up in Redis keys, AMI variables and file names: keep them to a safe alphabet.
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Prompt ids become Asterisk file names `hotline/<lang>/<prompt>`: no slashes, no dots.
_PROMPT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# An Asterisk dial string TECH/resource. No comma, '&', space or '$': the value is passed to
# Dial() through a channel variable, where those would add options, channels or expressions.
_DIAL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*/[A-Za-z0-9_.+@:/-]+$")
_HHMM_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

Language = Literal["kk", "ru", "en"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60


def _number_to_str(value: object) -> object:
    # YAML reads `number: 109` or `id: 1414` as integers; they are names, not quantities.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _check_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(f"{value!r} is not a valid id (letters, digits, '_', '.', '-')")
    return value


def _check_prompt(value: str) -> str:
    if not _PROMPT_RE.match(value):
        raise ValueError(f"{value!r} is not a valid prompt id (a-z, 0-9, '_', '-')")
    return value


def _check_dial(value: str) -> str:
    if not _DIAL_RE.match(value):
        raise ValueError(
            f"{value!r} is not an Asterisk dial string like 'PJSIP/op101' or "
            "'PJSIP/+77011234567@trunk'"
        )
    return value


def _check_start_time(value: str) -> str:
    if not _HHMM_RE.match(value):
        raise ValueError(f"{value!r} is not a time HH:MM (00:00 to 23:59)")
    return value


def _check_end_time(value: str) -> str:
    # "24:00" reads better than "00:00" for a shift that ends at midnight.
    if value != "24:00" and not _HHMM_RE.match(value):
        raise ValueError(f"{value!r} is not a time HH:MM (00:00 to 24:00)")
    return value


Id = Annotated[str, BeforeValidator(_number_to_str), AfterValidator(_check_id)]
PromptId = Annotated[str, AfterValidator(_check_prompt)]
StartTime = Annotated[str, AfterValidator(_check_start_time)]
EndTime = Annotated[str, AfterValidator(_check_end_time)]


def minute_of_day(hhmm: str) -> int:
    """'08:30' -> 510; '24:00' -> 1440."""
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _unique(values: list[Any], what: str) -> list[Any]:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} is listed twice")
        seen.add(value)
    return values


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- parts ---------------------------------------------------------------------------------


QUEUE_PRIORITY_MAX = 99


class QueueConfig(_Model):
    """A queue of callers for one topic in one language; operators are matched on both."""

    id: Id
    topic: Id
    language: Language
    # Higher is served first when one operator could take callers from several queues.
    # The ACD's range (hotline.queue.PRIORITY_MAX): out of it, every enqueue would fail.
    priority: int = Field(default=0, ge=0, le=QUEUE_PRIORITY_MAX)


class OperatorConfig(_Model):
    id: Id
    name: str = Field(min_length=1)
    # How Asterisk reaches the operator: a SIP endpoint or a mobile number through the trunk.
    dial: Annotated[str, AfterValidator(_check_dial)]
    topics: list[Id] = Field(min_length=1)
    languages: list[Language] = Field(min_length=1)

    @field_validator("topics", "languages")
    @classmethod
    def _no_duplicates(cls, values: list[str], info: ValidationInfo) -> list[str]:
        return _unique(values, str(info.field_name)[:-1])


class ShiftConfig(_Model):
    """Operators on duty from `start` to `end` (local time) on each of `days`.

    `end` at or before `start` means the shift crosses midnight; it counts for the day it
    started (a "sun 20:00-08:00" shift covers Monday 03:00).
    """

    name: Id
    days: list[Weekday] = Field(min_length=1)
    start: StartTime
    end: EndTime
    members: list[Id]

    @field_validator("days", "members")
    @classmethod
    def _no_duplicates(cls, values: list[str], info: ValidationInfo) -> list[str]:
        return _unique(values, "day" if info.field_name == "days" else "member")

    @property
    def start_minute(self) -> int:
        return minute_of_day(self.start)

    @property
    def end_minute(self) -> int:
        """Minutes after the start day's midnight; above 1440 for a shift crossing midnight."""
        end = minute_of_day(self.end)
        return end if end > self.start_minute else end + MINUTES_PER_DAY


class MenuOption(_Model):
    """What a digit does. Only routing to a topic for now; more targets will come."""

    queue_topic: Id
    # The relative share of callers who pick this option (400-100: social payments 86,
    # checkpoints 6.8). Routing ignores it; the simulator's default load draws from it.
    weight: float = Field(default=1.0, ge=0)


class ChoiceNode(_Model):
    """Play `prompt`, read one digit, route by `options`.

    A wrong digit plays the invalid-choice prompt and counts as a try, as does silence;
    '*' repeats the prompt. When the tries are used up the caller goes to `default_topic`:
    to a person, never a silent drop.
    """

    # The discriminator for the node kinds still to come (announcement, self-service, ...).
    kind: Literal["choice"] = "choice"
    prompt: PromptId
    tries: int = Field(default=3, ge=1, le=9)
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    options: dict[str, MenuOption] = Field(min_length=1)
    default_topic: Id

    @field_validator("options", mode="before")
    @classmethod
    def _digits_as_strings(cls, value: object) -> object:
        # `1: {...}` unquoted in YAML gives an integer key.
        if isinstance(value, dict):
            return {_number_to_str(key): option for key, option in value.items()}
        return value

    @field_validator("options")
    @classmethod
    def _digit_keys(cls, value: dict[str, MenuOption]) -> dict[str, MenuOption]:
        for key in value:
            if len(key) != 1 or key not in "0123456789#":
                raise ValueError(f"option key {key!r} must be one digit 0-9 or '#' ('*' repeats)")
        return value

    @model_validator(mode="after")
    def _some_weight(self) -> ChoiceNode:
        if not any(option.weight > 0 for option in self.options.values()):
            raise ValueError("at least one option needs a weight above 0")
        return self

    def topics(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """Each topic this node can route to, with its field path inside the node."""
        for digit, option in self.options.items():
            yield ("options", digit, "queue_topic"), option.queue_topic
        yield ("default_topic",), self.default_topic


# One kind for now. When a second arrives this becomes
# `Annotated[ChoiceNode | AnnouncementNode | ..., Field(discriminator="kind")]`.
MenuNode = ChoiceNode


class EmergencyConfig(_Model):
    """Emergency mode (switched with `hotline mode HOTLINE emergency`, no restart): after the
    language choice the caller hears `announcement`, then the menu continues at `node`
    instead of `start` (the greeting is skipped)."""

    announcement: PromptId
    # A node name in `menu.nodes` (checked by `cross_check`).
    node: Id


class MenuConfig(_Model):
    """The caller's path: language choice, an optional greeting, then menu nodes from `start`."""

    greeting: PromptId | None = None
    # Played in the hotline's first language: it speaks every offered language itself.
    language_prompt: PromptId = "choose-language"
    language_tries: int = Field(default=3, ge=1, le=9)
    language_timeout_s: float = Field(default=5.0, gt=0, le=60)
    invalid_prompt: PromptId = "invalid-choice"
    # Played (in the chosen language) to a call outside the opening hours or on a holiday; it
    # says the hours, then the call ends. None: `closed-<hotline id>` (`closed_prompt`).
    closed_prompt: PromptId | None = None
    start: Id = "main"
    nodes: dict[str, MenuNode] = Field(min_length=1)
    # None: the hotline has no emergency mode (switching to it is refused).
    emergency: EmergencyConfig | None = None

    @model_validator(mode="after")
    def _start_exists(self) -> MenuConfig:
        if self.start not in self.nodes:
            raise ValueError(f"start node {self.start!r} is not among nodes {sorted(self.nodes)}")
        return self


# --- the hotline ---------------------------------------------------------------------------

# `model_validate(data, context={DEFER_CROSS_CHECKS: True})` skips `cross_check` so that the
# loader can run it itself and map each problem to its own YAML line.
DEFER_CROSS_CHECKS = "defer_cross_checks"

Loc = tuple[str | int, ...]


class HotlineConfig(_Model):
    id: Id
    # The dialled short number, the extension in [hotline-in].
    number: Annotated[str, BeforeValidator(_number_to_str), Field(pattern=r"^[0-9]+$")]
    name: str = Field(min_length=1)
    timezone: str = "Asia/Almaty"
    # The first language is the default: callers who do not choose hear it.
    languages: list[Language] = Field(min_length=1)
    hours: str = "24/7"
    service_level_s: int = Field(default=20, gt=0)
    ring_timeout_s: int = Field(default=20, gt=0)
    # The MusicOnHold period between two hold announcements.
    hold_announce_s: int = Field(default=30, gt=0)
    menu: MenuConfig
    queues: list[QueueConfig] = Field(min_length=1)
    operators: list[OperatorConfig] = Field(min_length=1)
    # Empty: every operator is on duty at all times.
    shifts: list[ShiftConfig] = []
    # Local dates on which the hotline is closed all day (the opening window that starts on
    # that date; a "24/7" hotline is closed from midnight to midnight). Shifts are unaffected.
    holidays: list[date] = []

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. 'Asia/Almaty')") from None
        return value

    @field_validator("languages")
    @classmethod
    def _unique_languages(cls, value: list[str]) -> list[str]:
        return _unique(value, "language")

    @field_validator("hours")
    @classmethod
    def _hours_format(cls, value: str) -> str:
        if value == "24/7":
            return value
        start, sep, end = value.partition("-")
        if not sep or not _HHMM_RE.match(start) or not (_HHMM_RE.match(end) or end == "24:00"):
            raise ValueError(f"{value!r}: hours are '24/7' or 'HH:MM-HH:MM', e.g. '09:00-21:00'")
        if minute_of_day(start) == minute_of_day(end) % MINUTES_PER_DAY:
            raise ValueError(f"{value!r}: opening and closing at the same time; use '24/7'")
        return value

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> HotlineConfig:
        if info.context and info.context.get(DEFER_CROSS_CHECKS):
            return self
        issues = cross_check(self)
        if issues:
            raise ValueError("; ".join(f"{_dotted(loc)}: {message}" for loc, message in issues))
        return self

    # --- helpers ---

    @property
    def default_language(self) -> Language:
        return self.languages[0]

    @property
    def closed_prompt(self) -> str:
        """The prompt a caller hears outside the opening hours: `menu.closed_prompt`, by
        default `closed-<id>`."""
        return self.menu.closed_prompt or f"closed-{self.id}"

    @property
    def may_close(self) -> bool:
        """False for a "24/7" hotline without holidays: `is_open` is then always true."""
        return self.opening_minutes is not None or bool(self.holidays)

    @property
    def opening_window(self) -> tuple[int, int]:
        """Like `opening_minutes`, with "24/7" as the whole day (0, 1440)."""
        return self.opening_minutes or (0, MINUTES_PER_DAY)

    @property
    def opening_minutes(self) -> tuple[int, int] | None:
        """(open, close) in minutes after midnight, close > open; None for 24/7."""
        if self.hours == "24/7":
            return None
        start, _, end = self.hours.partition("-")
        opens, closes = minute_of_day(start), minute_of_day(end)
        return opens, closes if closes > opens else closes + MINUTES_PER_DAY

    def menu_choice_weights(self) -> tuple[list[str], list[float]]:
        """The start node's digits and their weights, for drawing simulated callers' choices."""
        options = self.menu.nodes[self.menu.start].options
        return list(options), [option.weight for option in options.values()]

    def queue(self, queue_id: str) -> QueueConfig:
        for queue in self.queues:
            if queue.id == queue_id:
                return queue
        raise KeyError(f"hotline {self.id}: no queue {queue_id!r}")

    def operator(self, operator_id: str) -> OperatorConfig:
        for operator in self.operators:
            if operator.id == operator_id:
                return operator
        raise KeyError(f"hotline {self.id}: no operator {operator_id!r}")

    def queues_for(self, operator: OperatorConfig) -> list[QueueConfig]:
        """The queues whose topic and language the operator both takes."""
        return [
            queue
            for queue in self.queues
            if queue.topic in operator.topics and queue.language in operator.languages
        ]

    def queue_for_topic(self, topic: str, language: str) -> QueueConfig | None:
        """The queue for `topic` in `language`, else in the default language, else None.

        Callers who chose a language that has no queue for their topic still reach someone:
        the default-language queue (every menu topic has one, see `cross_check`).
        """
        for wanted in (language, self.default_language):
            for queue in self.queues:
                if queue.topic == topic and queue.language == wanted:
                    return queue
        return None


def _dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc)


def cross_check(config: HotlineConfig) -> list[tuple[Loc, str]]:
    """Problems that need the whole file, each with the field path it is about."""
    return [
        *_check_unique_ids(config),
        *_check_queues(config),
        *_check_operators(config),
        *_check_shifts(config),
        *_check_menu(config),
    ]


def _duplicates(items: list[str], section: str, field: str) -> Iterator[tuple[Loc, str]]:
    seen: set[str] = set()
    for index, value in enumerate(items):
        if value in seen:
            yield (section, index, field), f"duplicate {field} {value!r} in {section}"
        seen.add(value)


def _check_unique_ids(config: HotlineConfig) -> Iterator[tuple[Loc, str]]:
    yield from _duplicates([q.id for q in config.queues], "queues", "id")
    yield from _duplicates([o.id for o in config.operators], "operators", "id")
    yield from _duplicates([s.name for s in config.shifts], "shifts", "name")


def _check_queues(config: HotlineConfig) -> Iterator[tuple[Loc, str]]:
    seen: set[tuple[str, str]] = set()
    for index, queue in enumerate(config.queues):
        if queue.language not in config.languages:
            yield (
                ("queues", index, "language"),
                f"language {queue.language!r} is not among the hotline's languages "
                f"{config.languages}",
            )
        if (queue.topic, queue.language) in seen:
            yield (
                ("queues", index, "topic"),
                f"a second queue for topic {queue.topic!r} in {queue.language!r}",
            )
        seen.add((queue.topic, queue.language))
        # A queue nobody can answer would keep its callers waiting forever: refuse it.
        if not any(
            queue.topic in op.topics and queue.language in op.languages for op in config.operators
        ):
            yield (
                ("queues", index, "topic"),
                f"no operator takes topic {queue.topic!r} in {queue.language!r}: "
                "callers in this queue would never be answered",
            )


def _check_operators(config: HotlineConfig) -> Iterator[tuple[Loc, str]]:
    queue_topics = {queue.topic for queue in config.queues}
    for index, operator in enumerate(config.operators):
        for position, language in enumerate(operator.languages):
            if language not in config.languages:
                yield (
                    ("operators", index, "languages", position),
                    f"language {language!r} is not among the hotline's languages "
                    f"{config.languages}",
                )
        for position, topic in enumerate(operator.topics):
            # Most likely a typo: the operator would never get a call for it.
            if topic not in queue_topics:
                yield (
                    ("operators", index, "topics", position),
                    f"no queue has topic {topic!r} (topics: {sorted(queue_topics)})",
                )


def _check_shifts(config: HotlineConfig) -> Iterator[tuple[Loc, str]]:
    operator_ids = {operator.id for operator in config.operators}
    for index, shift in enumerate(config.shifts):
        for position, member in enumerate(shift.members):
            if member not in operator_ids:
                yield (("shifts", index, "members", position), f"unknown operator {member!r}")


def _check_menu(config: HotlineConfig) -> Iterator[tuple[Loc, str]]:
    default = config.default_language
    if config.may_close and config.menu.closed_prompt is None:
        # The default `closed-<id>` becomes a file name: an id with capitals or dots
        # cannot make one.
        try:
            _check_prompt(config.closed_prompt)
        except ValueError:
            yield (
                ("menu", "closed_prompt"),
                f"the default closed prompt {config.closed_prompt!r} is not a valid prompt id "
                "(a-z, 0-9, '_', '-'): set menu.closed_prompt",
            )
    emergency = config.menu.emergency
    if emergency is not None and emergency.node not in config.menu.nodes:
        yield (
            ("menu", "emergency", "node"),
            f"node {emergency.node!r} is not among nodes {sorted(config.menu.nodes)}",
        )
    for name, node in config.menu.nodes.items():
        for loc, topic in node.topics():
            # The IVR falls back to the default language's queue, so that one must exist.
            if config.queue_for_topic(topic, default) is None:
                yield (
                    ("menu", "nodes", name, *loc),
                    f"no queue for topic {topic!r} in the default language {default!r}",
                )
