"""The menu part of a hotline's configuration: its nodes, one model per kind.

A caller goes: language choice -> greeting -> `start` node -> ... -> a queue, a call-back
request or a goodbye. Nodes name each other by id (`goto`); checks that need the whole file
(a missing node, an unreachable one, a loop without input) are in `hotline.config.menu_checks`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from hotline.config.types import MAX_WEIGHT, Id, PromptId, StrictModel, number_to_str

# Any key a choice can offer; '*' is kept for "repeat the prompt".
OPTION_KEYS = "0123456789#"
REPEAT_KEY = "*"
MAX_COLLECT_DIGITS = 20

Loc = tuple[str | int, ...]


class Target(StrictModel):
    """Where the caller goes: exactly one of `goto` (a node id) or `queue_topic` (the queue of
    that topic in the caller's language: an operator)."""

    goto: Id | None = None
    queue_topic: Id | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Target:
        if (self.goto is None) == (self.queue_topic is None):
            raise ValueError("give exactly one of 'goto' (a node) or 'queue_topic' (a queue)")
        return self


class MenuOption(Target):
    """What a digit of a choice node does."""

    # The relative share of callers who pick this option (400-100: social payments 86,
    # checkpoints 6.8). Routing ignores it; the simulator's default load draws from it.
    weight: float = Field(default=1.0, ge=0, le=MAX_WEIGHT)


class _Asking(StrictModel):
    """A node that plays a prompt and reads keys: tries, timeout and what follows the last try.

    A wrong entry plays an "invalid" prompt and counts as a try, as does silence; '*' repeats
    the prompt. After the last try the caller goes to `after_tries`, by default to an operator
    (`menu.operator_topic`): never a silent drop.
    """

    prompt: PromptId
    tries: int = Field(default=3, ge=1, le=9)
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    after_tries: Target | None = None


class ChoiceNode(_Asking):
    """Play `prompt`, read one key, follow `options[key]`."""

    kind: Literal["choice"] = "choice"
    options: dict[str, MenuOption] = Field(min_length=1)

    @field_validator("options", mode="before")
    @classmethod
    def _digits_as_strings(cls, value: object) -> object:
        # `1: {...}` unquoted in YAML gives an integer key.
        if isinstance(value, dict):
            return {number_to_str(key): option for key, option in value.items()}
        return value

    @field_validator("options")
    @classmethod
    def _digit_keys(cls, value: dict[str, MenuOption]) -> dict[str, MenuOption]:
        for key in value:
            if len(key) != 1 or key not in OPTION_KEYS:
                raise ValueError(f"option key {key!r} must be one digit 0-9 or '#' ('*' repeats)")
        if not any(option.weight > 0 for option in value.values()):
            # The simulator draws callers' choices by weight: all zero draws nothing.
            raise ValueError("at least one option needs a weight above 0")
        return value

    def prompts(self) -> Iterator[tuple[Loc, str]]:
        yield ("prompt",), self.prompt

    def targets(self) -> Iterator[tuple[Loc, Target]]:
        for digit, option in self.options.items():
            yield ("options", digit), option
        if self.after_tries is not None:
            yield ("after_tries",), self.after_tries


class AnnouncementNode(StrictModel):
    """Play `prompt` (a key cuts it short), then go on to `next`."""

    kind: Literal["announcement"]
    prompt: PromptId
    next: Target

    def prompts(self) -> Iterator[tuple[Loc, str]]:
        yield ("prompt",), self.prompt

    def targets(self) -> Iterator[tuple[Loc, Target]]:
        yield ("next",), self.next


class CollectNode(_Asking):
    """Read a number of `min_digits` to `max_digits` keys (ended by '#', or by the last digit
    when `min_digits == max_digits`), check it with `validator`, keep it as `store` for a later
    look-up node, then go on to `next`. A number the validator refuses plays
    `invalid_prompt` (default: the menu's) and counts as a try."""

    kind: Literal["collect"]
    min_digits: int = Field(default=1, ge=1, le=MAX_COLLECT_DIGITS)
    max_digits: int = Field(default=MAX_COLLECT_DIGITS, ge=1, le=MAX_COLLECT_DIGITS)
    # "iin": 12 digits with a valid birth date and check digit (hotline.ivr.iin).
    validator: Literal["digits", "iin"] = "digits"
    invalid_prompt: PromptId | None = None
    store: Id
    next: Target

    @model_validator(mode="after")
    def _lengths(self) -> CollectNode:
        if self.min_digits > self.max_digits:
            raise ValueError(f"min_digits {self.min_digits} is above max_digits {self.max_digits}")
        if self.validator == "iin" and not self.min_digits == self.max_digits == 12:
            raise ValueError("an IIN has 12 digits: set min_digits and max_digits to 12")
        return self

    def prompts(self) -> Iterator[tuple[Loc, str]]:
        yield ("prompt",), self.prompt
        if self.invalid_prompt is not None:
            yield ("invalid_prompt",), self.invalid_prompt

    def targets(self) -> Iterator[tuple[Loc, Target]]:
        yield ("next",), self.next
        if self.after_tries is not None:
            yield ("after_tries",), self.after_tries


# The result keys every look-up of a service must have a prompt for.
LOOKUP_RESULTS: dict[str, tuple[str, ...]] = {
    "recipients_list": ("found", "not_found", "error"),
    "request_status": ("not_found", "error"),
}


class LookupNode(StrictModel):
    """Self-service: look up what a collect node stored (`input`), play the prompt of the
    result, then go on to `next`.

    `recipients_list`: is the IIN on the list `list`? Results `found`, `not_found`, `error`.
    `request_status`: the status of the request number (e.g. `registered`, `in_progress`,
    `done`), `not_found` or `error`; a status without a prompt here plays `error`'s.
    """

    kind: Literal["lookup"]
    service: Literal["recipients_list", "request_status"]
    input: Id
    list: Id | None = None
    results: dict[str, PromptId]
    next: Target

    @model_validator(mode="after")
    def _complete(self) -> LookupNode:
        missing = [key for key in LOOKUP_RESULTS[self.service] if key not in self.results]
        if missing:
            raise ValueError(f"results need a prompt for {missing} ({self.service})")
        if (self.service == "recipients_list") != (self.list is not None):
            raise ValueError(
                "'list' (the recipients list's name) goes with service recipients_list only"
            )
        return self

    def prompts(self) -> Iterator[tuple[Loc, str]]:
        for key, prompt in self.results.items():
            yield ("results", key), prompt

    def targets(self) -> Iterator[tuple[Loc, Target]]:
        yield ("next",), self.next


class QueueNode(StrictModel):
    """Put the caller through to an operator: the queue of `topic` in the caller's language
    (else the default language's), with the queue's priority unless `priority` says."""

    kind: Literal["queue"]
    topic: Id
    priority: int | None = Field(default=None, ge=0, le=99)

    def prompts(self) -> Iterator[tuple[Loc, str]]:
        return iter(())

    def targets(self) -> Iterator[tuple[Loc, Target]]:
        yield ("topic",), Target(queue_topic=self.topic)


class CallbackNode(_Asking):
    """Offer a call-back: `prompt` says "press 1 to be called back, 2 to stay". 1 plays
    `confirm_prompt` and registers a call-back request for `topic` (the call ends, recorded
    as `callback`); 2 goes to `decline`."""

    kind: Literal["callback"]
    topic: Id
    confirm_prompt: PromptId
    decline: Target

    def prompts(self) -> Iterator[tuple[Loc, str]]:
        yield ("prompt",), self.prompt
        yield ("confirm_prompt",), self.confirm_prompt

    def targets(self) -> Iterator[tuple[Loc, Target]]:
        yield ("topic",), Target(queue_topic=self.topic)
        yield ("decline",), self.decline
        if self.after_tries is not None:
            yield ("after_tries",), self.after_tries


class HangupNode(StrictModel):
    """Say goodbye (`prompt`, optional) and end the call: the menu served the caller."""

    kind: Literal["hangup"]
    prompt: PromptId | None = None

    def prompts(self) -> Iterator[tuple[Loc, str]]:
        if self.prompt is not None:
            yield ("prompt",), self.prompt

    def targets(self) -> Iterator[tuple[Loc, Target]]:
        return iter(())


class GotoNode(StrictModel):
    """Continue at another node (e.g. share one goodbye among branches)."""

    kind: Literal["goto"]
    target: Id

    def prompts(self) -> Iterator[tuple[Loc, str]]:
        return iter(())

    def targets(self) -> Iterator[tuple[Loc, Target]]:
        yield ("target",), Target(goto=self.target)


def _kind_default(value: object) -> object:
    # `kind` may be left out for the most common node, the choice.
    if isinstance(value, dict) and "kind" not in value:
        return {"kind": "choice", **value}
    return value


MenuNode = Annotated[
    ChoiceNode
    | AnnouncementNode
    | CollectNode
    | LookupNode
    | QueueNode
    | CallbackNode
    | HangupNode
    | GotoNode,
    Field(discriminator="kind"),
]
AskingNode = ChoiceNode | CollectNode | CallbackNode


class EmergencyConfig(StrictModel):
    """Emergency mode (switched with `hotline mode HOTLINE emergency`, no restart): after the
    language choice the caller hears `announcement`, then the menu continues at `node`
    instead of `start` (the greeting is skipped)."""

    announcement: PromptId
    # A node name in `menu.nodes` (checked by `cross_check`).
    node: Id


class MenuConfig(StrictModel):
    """The caller's path: language choice, an optional greeting, then menu nodes from `start`."""

    greeting: PromptId | None = None
    # Played in the hotline's first language: it speaks every offered language itself.
    language_prompt: PromptId = "choose-language"
    language_tries: int = Field(default=3, ge=1, le=9)
    language_timeout_s: float = Field(default=5.0, gt=0, le=60)
    invalid_prompt: PromptId = "invalid-choice"
    # Played (in the chosen language) to a call outside the opening hours or on a holiday; it
    # says the hours. None: `closed-<hotline id>` (`HotlineConfig.closed_prompt`).
    closed_prompt: PromptId | None = None
    # Outside the opening hours, after `closed_prompt`: the self-service the caller may still
    # use (None: the call ends). A way to an operator from there ends the call as `closed`.
    closed_node: Id | None = None
    start: Id = "main"
    # The operator's topic: where a node's last try leads unless it says `after_tries`.
    operator_topic: Id | None = None
    # A key that asks for an operator at any choice or call-back node (None: no such key;
    # a node's own option for the same key wins).
    operator_digit: Annotated[str, Field(pattern=r"^[0-9#]$")] | None = None
    nodes: dict[Id, MenuNode] = Field(min_length=1)
    # None: the hotline has no emergency mode (switching to it is refused).
    emergency: EmergencyConfig | None = None

    @field_validator("operator_digit", mode="before")
    @classmethod
    def _digit_as_string(cls, value: object) -> object:
        return number_to_str(value)

    @field_validator("nodes", mode="before")
    @classmethod
    def _default_kind(cls, value: object) -> object:
        if isinstance(value, dict):
            return {name: _kind_default(node) for name, node in value.items()}
        return value
