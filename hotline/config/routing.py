"""How a hotline's ACD hands calls to operators: the `routing:` section of a hotline file.

Every field has a default, so a file without `routing:` gets today's behaviour plus a short
wrap-up. The values reach the ACD as arguments of its scripts (see `hotline.queue.acd`): the
ACD itself stores no configuration, so a reload applies to the next call at once.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from hotline.config.types import DAY_S, HOUR_S, MAX_ATTEMPTS, Id, StrictModel, unique

RoutingStrategy = Literal["longest_idle", "fewest_calls", "round_robin", "random"]
#: Skill levels of `operators[].levels`: level L is offered a call after (L-1) x tier_delay_s.
LEVEL_MIN, LEVEL_MAX = 1, 3


class PauseReasonConfig(StrictModel):
    # How long the pause should last (for supervisors' screens); null: no limit.
    limit_s: int | None = Field(default=None, gt=0, le=DAY_S)


def _default_pause_reasons() -> dict[str, PauseReasonConfig]:
    return {
        "break": PauseReasonConfig(limit_s=900),
        "lunch": PauseReasonConfig(limit_s=3600),
        "training": PauseReasonConfig(limit_s=None),
    }


class RoutingConfig(StrictModel):
    """Operator choice, skill tiers, wrap-up, auto-pause and the allowed pause reasons."""

    # Among eligible available operators: longest idle, fewest calls taken (ties: longest
    # idle), round robin per queue, or a pseudo-random pick.
    strategy: RoutingStrategy = "longest_idle"
    # A level-L operator is offered a call once it has waited (L - 1) x tier_delay_s.
    tier_delay_s: int = Field(default=30, ge=0, le=HOUR_S)
    # Misses in a row (ring-no-answer) after which an operator is paused; 0: never.
    auto_pause_after: int = Field(default=3, ge=0, le=MAX_ATTEMPTS)
    # After a call, the operator is not offered another for this long (or until ready).
    wrap_up_s: int = Field(default=10, ge=0, le=HOUR_S)
    # The operator must give a disposition (one of `dispositions`) to end a wrap-up early.
    disposition_required: bool = False
    dispositions: list[Id] = Field(default_factory=list)
    pause_reasons: dict[Id, PauseReasonConfig] = Field(default_factory=_default_pause_reasons)

    @field_validator("dispositions")
    @classmethod
    def _unique_dispositions(cls, values: list[str]) -> list[str]:
        return unique(values, "disposition")

    @field_validator("pause_reasons")
    @classmethod
    def _no_reserved_reason(
        cls, values: dict[str, PauseReasonConfig]
    ) -> dict[str, PauseReasonConfig]:
        # The ACD's own reason for an auto-pause (hotline.queue.NO_ANSWER_PAUSE).
        if "no-answer" in values:
            raise ValueError("'no-answer' is reserved for the automatic pause after misses")
        # The controller's own reason for a phone that lost its registration
        # (hotline.controller.devices.UNREGISTERED_PAUSE).
        if "unregistered" in values:
            raise ValueError("'unregistered' is reserved for a phone that is not registered")
        return values

    @model_validator(mode="after")
    def _dispositions_when_required(self) -> RoutingConfig:
        if self.disposition_required and not self.dispositions:
            raise ValueError("disposition_required needs a non-empty list of dispositions")
        return self
