"""Pauses that have run past their reason's limit (`routing.pause_reasons[].limit_s`): the
supervisor is told (a gauge for alerting, a log line once per pause). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hotline.config.routing import PauseReasonConfig


@dataclass(frozen=True)
class LongPause:
    operator_id: str
    reason: str
    paused_at: float
    over_s: float


def long_pauses(
    pauses: Mapping[str, tuple[str, float]],
    reasons: Mapping[str, PauseReasonConfig],
    now: float,
) -> list[LongPause]:
    """The pauses (operator -> (reason, since), as `Acd.pauses` gives them) longer than
    their reason allows; reasons without a limit, or not configured (the ACD's own
    `no-answer` and `unregistered`), never run over."""
    found = []
    for op_id, (reason, since) in sorted(pauses.items()):
        config = reasons.get(reason)
        if config is None or config.limit_s is None:
            continue
        over = now - since - config.limit_s
        if over > 0:
            found.append(LongPause(op_id, reason, since, over))
    return found
