"""How call-backs are placed: the `callbacks:` section of a hotline file.

A caller who asked to be called back waits in the ACD at their original place; when an
operator is free the controller rings the operator first, then the caller's number through
`dial` (see `hotline.controller.callback_dialer`). Every field has a default.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from hotline.config.types import DAY_S, MAX_ATTEMPTS, StrictModel, check_dial

#: What a caller's number may look like (the caller id of the call that asked).
NUMBER_RE = re.compile(r"^\+?[0-9]{3,20}$")
_SAMPLE_NUMBER = "+77010000000"


class CallbacksConfig(StrictModel):
    # The caller's number as an Asterisk dial string: "{number}" is replaced by the number
    # the call came from, e.g. "PJSIP/{number}@trunk" -> "PJSIP/+77011234567@trunk".
    dial: str = "PJSIP/{number}@trunk"
    # After the caller did not answer (busy, no answer, unreachable), the next attempt comes
    # no sooner than this.
    retry_after_s: int = Field(default=300, ge=0, le=DAY_S)
    # Attempts the caller does not answer before the request ends as `callback_failed`.
    max_attempts: int = Field(default=3, ge=1, le=MAX_ATTEMPTS)

    @field_validator("dial")
    @classmethod
    def _dial_template(cls, value: str) -> str:
        if value.count("{number}") != 1:
            raise ValueError(f"{value!r} must contain '{{number}}' exactly once")
        check_dial(value.replace("{number}", _SAMPLE_NUMBER))
        return value

    def dial_string(self, number: str) -> str:
        """The dial string for `number`; ValueError for a number that is not one."""
        if not NUMBER_RE.match(number):
            raise ValueError(f"not a phone number: {number!r}")
        return self.dial.replace("{number}", number)
