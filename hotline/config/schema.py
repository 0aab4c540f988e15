"""The hotline configuration model: one `HotlineConfig` per hotline, loaded from YAML.

Every model is frozen and forbids unknown fields, so a typo in a file is an error rather than
a silently ignored setting. Checks that need the whole file (a shift member must be an
operator, a menu topic must have a queue, ...) live in `cross_check`, which returns each
problem with its field path so the loader can point at the YAML line.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hotline.config.callbacks import CallbacksConfig
from hotline.config.menu import ChoiceNode, MenuConfig
from hotline.config.menu_checks import check_menu
from hotline.config.overflow import ClosingConfig, OverflowRule
from hotline.config.routing import LEVEL_MAX, LEVEL_MIN, RoutingConfig
from hotline.config.types import (
    HHMM_RE,
    HOUR_S,
    MAX_CALLS_PER_HOUR,
    MAX_WAITING_CALLERS,
    MINUTE_S,
    MINUTES_PER_DAY,
    EndTime,
    Id,
    Language,
    StartTime,
    StrictModel,
    Weekday,
    check_dial,
    dial_trunk,
    minute_of_day,
    number_to_str,
    unique,
)

# --- parts ---------------------------------------------------------------------------------


QUEUE_PRIORITY_MAX = 99
#: A queue's average handling time when its file gives none (`QueueConfig.aht_s`), seconds.
DEFAULT_AHT_S = 180
#: `QueueConfig.reoffer_same_operator_after_s`: its default and its bound, seconds.
DEFAULT_REOFFER_AFTER_S = 60
MAX_REOFFER_AFTER_S = 3600


class QueueConfig(StrictModel):
    """A queue of callers for one topic in one language; operators are matched on both."""

    id: Id
    topic: Id
    language: Language
    # Higher is served first when one operator could take callers from several queues.
    # The ACD's range (hotline.queue.PRIORITY_MAX): out of it, every enqueue would fail.
    priority: int = Field(default=0, ge=0, le=QUEUE_PRIORITY_MAX)
    # Average handling time of a call in this queue, seconds: the expected wait told to
    # waiting callers is about (callers ahead + 1) x aht_s / operators on shift.
    aht_s: int = Field(default=DEFAULT_AHT_S, gt=0, le=4 * HOUR_S)
    # Waiting callers at most; a caller arriving at a full queue is refused by the ACD
    # (hotline.queue.QueueFullError). None: no limit.
    max_waiting: int | None = Field(default=None, ge=0, le=MAX_WAITING_CALLERS)
    # Checked in order on entry and at every hold announcement (hotline.config.overflow).
    overflow: list[OverflowRule] = Field(default_factory=list)
    # After an operator let a caller of this queue ring out or did not take the call (a
    # remote operator who did not press 1), that operator is not offered that caller again
    # for this long, seconds: the caller waits on hold (music, announcements) meanwhile, and
    # any other free operator may take the call at once. 0: at once.
    reoffer_same_operator_after_s: int = Field(
        default=DEFAULT_REOFFER_AFTER_S, ge=0, le=MAX_REOFFER_AFTER_S
    )


class OperatorConfig(StrictModel):
    id: Id
    name: str = Field(min_length=1)
    # How Asterisk reaches the operator: a SIP endpoint or a mobile number through the trunk.
    dial: Annotated[str, AfterValidator(check_dial)]
    topics: list[Id] = Field(min_length=1)
    languages: list[Language] = Field(min_length=1)
    # Skill level per topic (1 first offered; see routing.tier_delay_s); absent topics: 1.
    levels: dict[Id, Annotated[int, Field(ge=LEVEL_MIN, le=LEVEL_MAX)]] = Field(
        default_factory=dict
    )
    # Speaks both languages well (for later routing rules; not used yet).
    bilingual: bool = False
    # Works from outside the centre (a mobile whose voicemail may answer): the operator must
    # press 1 to take each call (hotline.controller.confirm). An operator whose `dial` goes
    # through one of the hotline's `remote_trunks` is remote without it.
    remote: bool = False
    # The PIN the operator types after a feature code on their phone (*11 log in, *12 log
    # out, *13 pause, *14 ready); null: feature codes are refused for this operator.
    pin: Annotated[str, BeforeValidator(number_to_str), Field(pattern=r"^[0-9]{4,8}$")] | None = (
        Field(default=None, repr=False)
    )

    @field_validator("topics", "languages")
    @classmethod
    def _no_duplicates(cls, values: list[str], info: ValidationInfo) -> list[str]:
        return unique(values, str(info.field_name)[:-1])

    @model_validator(mode="after")
    def _levels_for_own_topics(self) -> OperatorConfig:
        # A level for a topic the operator does not take is most likely a typo.
        stray = sorted(set(self.levels) - set(self.topics))
        if stray:
            raise ValueError(f"levels for topics the operator does not take: {stray}")
        return self


class ShiftConfig(StrictModel):
    """Operators on duty from `start` to `end` (local time) on each of `days`.

    `end` at or before `start` means the shift crosses midnight; it counts for the day it
    started (a "sun 20:00-08:00" shift covers Monday 03:00).
    """

    name: Id
    days: list[Weekday] = Field(min_length=1)
    start: StartTime
    end: EndTime
    members: list[Id]
    # Calls expected per hour while this shift is on: the Erlang C count of operators it
    # needs (`hotline.staffing`) is reported beside the planned and logged-in counts.
    forecast_calls_per_hour: float | None = Field(default=None, ge=0, le=MAX_CALLS_PER_HOUR)

    @field_validator("days", "members")
    @classmethod
    def _no_duplicates(cls, values: list[str], info: ValidationInfo) -> list[str]:
        return unique(values, "day" if info.field_name == "days" else "member")

    @property
    def start_minute(self) -> int:
        return minute_of_day(self.start)

    @property
    def end_minute(self) -> int:
        """Minutes after the start day's midnight; above 1440 for a shift crossing midnight."""
        end = minute_of_day(self.end)
        return end if end > self.start_minute else end + MINUTES_PER_DAY


# --- the hotline ---------------------------------------------------------------------------

# `model_validate(data, context={DEFER_CROSS_CHECKS: True})` skips `cross_check` so that the
# loader can run it itself and map each problem to its own YAML line.
DEFER_CROSS_CHECKS = "defer_cross_checks"

Loc = tuple[str | int, ...]


class HotlineConfig(StrictModel):
    id: Id
    # The dialled short number, the extension in [hotline-in].
    number: Annotated[str, BeforeValidator(number_to_str), Field(pattern=r"^[0-9]+$")]
    name: str = Field(min_length=1)
    timezone: str = "Asia/Almaty"
    # The first language is the default: callers who do not choose hear it.
    languages: list[Language] = Field(min_length=1)
    hours: str = "24/7"
    service_level_s: int = Field(default=20, gt=0, le=HOUR_S)
    # The share of callers to answer within service_level_s (80/20 by default): the target
    # the Erlang C staffing figure is computed for.
    service_level_target: float = Field(default=0.8, gt=0, lt=1)
    # Dial's ring time of an operator's phone: past 5 minutes a phone is not answering.
    ring_timeout_s: int = Field(default=20, gt=0, le=5 * MINUTE_S)
    # The MusicOnHold period between two hold announcements.
    hold_announce_s: int = Field(default=30, gt=0, le=HOUR_S)
    # Callers still waiting at closing time (hotline.config.overflow.ClosingConfig).
    closing: ClosingConfig = Field(default_factory=ClosingConfig)
    menu: MenuConfig
    queues: list[QueueConfig] = Field(min_length=1)
    operators: list[OperatorConfig] = Field(min_length=1)
    # Empty: every operator is on duty at all times.
    shifts: list[ShiftConfig] = Field(default_factory=list)
    # Local dates on which the hotline is closed all day (the opening window that starts on
    # that date; a "24/7" hotline is closed from midnight to midnight). Shifts are unaffected.
    holidays: list[date] = Field(default_factory=list)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    # How call-backs are placed (the caller's number as a dial string, retries).
    callbacks: CallbacksConfig = Field(default_factory=CallbacksConfig)
    # PJSIP endpoints that reach phones outside the centre (the trunk to the mobile network):
    # an operator whose `dial` goes through one (`PJSIP/+77051110004@trunk`) is remote, as
    # with `remote: true`. Any other dial string, `@` or not (`PJSIP/op01@pbx2`,
    # `Local/op01@operators`), is a desk phone unless marked `remote`.
    remote_trunks: list[Id] = Field(default_factory=list)

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
        return unique(value, "language")

    @field_validator("remote_trunks")
    @classmethod
    def _unique_trunks(cls, value: list[str]) -> list[str]:
        return unique(value, "trunk")

    @field_validator("hours")
    @classmethod
    def _hours_format(cls, value: str) -> str:
        if value == "24/7":
            return value
        start, sep, end = value.partition("-")
        if not sep or not HHMM_RE.match(start) or not (HHMM_RE.match(end) or end == "24:00"):
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

    def menu_choice_weights(self, node: str | None = None) -> tuple[list[str], list[float]]:
        """A choice node's digits and their weights (default: the start node's), for drawing
        simulated callers' choices; empty for a node that is no choice."""
        menu_node = self.menu.nodes[node or self.menu.start]
        if not isinstance(menu_node, ChoiceNode):
            return [], []
        options = menu_node.options
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

    def operator_is_remote(self, operator: OperatorConfig) -> bool:
        """Whether the operator must press 1 to take a call: marked `remote`, or reached
        through one of `remote_trunks`."""
        return operator.remote or dial_trunk(operator.dial) in self.remote_trunks

    def has_operator(self, operator_id: str) -> bool:
        return any(operator.id == operator_id for operator in self.operators)

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
        *_check_overflow(config),
        *check_menu(config),
    ]


def _check_overflow(config: HotlineConfig) -> Iterator[tuple[Loc, str]]:
    queue_ids = [q.id for q in config.queues]
    for index, queue in enumerate(config.queues):
        for rule_index, rule in enumerate(queue.overflow):
            if rule.action == "bilingual" and not any(
                op.bilingual and queue.topic in op.topics for op in config.operators
            ):
                yield (
                    ("queues", index, "overflow", rule_index, "action"),
                    f"no operator taking topic {queue.topic!r} is marked bilingual",
                )
            if rule.queue is None:
                continue
            loc: Loc = ("queues", index, "overflow", rule_index, "queue")
            if rule.queue not in queue_ids:
                yield loc, f"no queue {rule.queue!r} (queues: {queue_ids})"
            elif rule.queue == queue.id:
                yield loc, "a queue cannot widen into itself"


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
