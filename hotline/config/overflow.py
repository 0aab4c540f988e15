"""What happens to a waiting caller when a queue is overloaded: `queues[].overflow`.

Rules are checked in order when the caller enters the queue and at every hold announcement;
the first whose condition holds is applied (see `hotline.queue.overflow`). Each rule has one
condition and one action:

- conditions: `after_wait_s` (the caller has waited longer), `callers_per_operator` (waiting
  callers per logged-in operator of the queue above this ratio), `nobody_on_shift` (no
  operator of the queue logged in at all);
- actions: `widen` (the caller moves to `queue`, a wider group, keeping their place by
  original arrival), `bilingual` (the same move to the topic's cross-language queue, which
  only operators marked `bilingual` serve: a caller of one language reaches an operator of
  another only if that operator said they can), `callback` (offer a call-back: press 1
  and we call you back, keeping your place), `message` (say `prompt` in the caller's
  language, then `then`: `fallback`, the duty group, or `hangup`). None of them drops a
  caller silently.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from hotline.config.types import DAY_S, MAX_WAITING_CALLERS, Id, PromptId, StrictModel

OverflowAction = Literal["widen", "bilingual", "callback", "message"]

#: The queue of a topic's cross-language overflow (`action: bilingual`): served by the
#: operators of that topic marked `bilingual`, whatever their languages.
BILINGUAL_QUEUE_PREFIX = "bilingual:"


def bilingual_queue(topic: str) -> str:
    return BILINGUAL_QUEUE_PREFIX + topic


class OverflowRule(StrictModel):
    after_wait_s: int | None = Field(default=None, gt=0, le=DAY_S)
    callers_per_operator: float | None = Field(default=None, gt=0, le=MAX_WAITING_CALLERS)
    nobody_on_shift: bool = False
    action: OverflowAction
    # widen: the queue the caller moves to.
    queue: Id | None = None
    # message: what the caller hears; then where they go.
    prompt: PromptId | None = None
    then: Literal["fallback", "hangup"] = "fallback"

    @model_validator(mode="after")
    def _one_condition_and_what_the_action_needs(self) -> OverflowRule:
        conditions = [
            self.after_wait_s is not None,
            self.callers_per_operator is not None,
            self.nobody_on_shift,
        ]
        if sum(conditions) != 1:
            raise ValueError(
                "an overflow rule needs exactly one of after_wait_s, callers_per_operator, "
                "nobody_on_shift: true"
            )
        if self.action == "widen" and self.queue is None:
            raise ValueError("action widen needs `queue`: the wider queue")
        if self.action != "widen" and self.queue is not None:
            raise ValueError("`queue` is only for action widen")
        if self.action == "message" and self.prompt is None:
            raise ValueError("action message needs `prompt`")
        if self.action != "message" and self.prompt is not None:
            raise ValueError("`prompt` is only for action message")
        return self


class ClosingConfig(StrictModel):
    """What callers still waiting hear when the hotline closes (`hours`, holidays): `serve`
    them until the queue is empty (the default), offer a `callback` (press 1; the others wait
    on and are served), or say `prompt` and then go to `then`. Applied at the caller's first
    hold visit after closing time, once."""

    action: Literal["serve", "callback", "message"] = "serve"
    prompt: PromptId | None = None
    then: Literal["fallback", "hangup"] = "hangup"

    @model_validator(mode="after")
    def _prompt_for_a_message(self) -> ClosingConfig:
        if (self.action == "message") != (self.prompt is not None):
            raise ValueError("`prompt` is needed for action message, and only for it")
        return self
