"""What a waiting caller hears at the start of the wait and at each hold visit. Pure.

Their place in the queue (`say_position`), then either the expected wait as a range
("The expected waiting time is from two to four minutes", see `say_wait_range`) or, when no
operator serving the queue is on shift, that nobody is on duty now: no number is better than
a made-up one.
"""

from __future__ import annotations

from typing import Final

from hotline.ivr.speech import Language, say_position, say_wait_range

#: "The expected waiting time is", before the range.
WAIT_INTRO: Final = "wait-intro"
#: "No operator is on duty right now; please stay on the line, or call back later."
NO_OPERATOR: Final = "wait-no-operator"
#: The manifest prompts an announcement may play (besides the speech fragments).
HOLD_PROMPTS: Final = (WAIT_INTRO, NO_OPERATOR)


def hold_announcement(
    position: int, wait_s: tuple[int, int] | None, language: Language
) -> list[str]:
    """The prompt ids to play: `position` is 1-based; `wait_s` is the range (low, high) in
    seconds, None when no operator is on shift.

    >>> hold_announcement(2, (120, 240), "en")
    ['position-before', 'num-2', 'position-after', 'wait-intro', 'range-from', 'num-2', \
'range-to', 'num-4', 'minutes']
    >>> hold_announcement(1, None, "ru")
    ['position-next', 'wait-no-operator']
    """
    said = say_position(position, language)
    if wait_s is None:
        return [*said, NO_OPERATOR]
    return [*said, WAIT_INTRO, *say_wait_range(wait_s[0], wait_s[1], language)]
