"""Feature codes on an operator's phone: the FastAGI `operator` script of [hotline-operators].

`AGI(agi://.../operator,<action>)`, action one of login, logout, pause, ready. The operator
is recognised by the phone that calls: the channel's endpoint (`PJSIP/op400-01-0000002a`
is endpoint `PJSIP/op400-01`, an operator's `dial`), or for a remote operator whose `dial`
goes through the trunk, by the caller number. An operator who works for several hotlines
from one phone changes state in each. The PIN is asked every time (a desk phone is shared
between shifts); three wrong PINs and nothing changes. Prompts are said in Kazakh and
Russian: the operator has no language choice on this path.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hotline.agi.session import AgiSession
from hotline.agi.sounds import prompt_file
from hotline.clock import Clock
from hotline.config import HotlineConfig, OperatorConfig
from hotline.errors import HotlineError
from hotline.operators import OperatorControl, OperatorError
from hotline.queue import Acd

log = logging.getLogger(__name__)

ACTIONS = ("login", "logout", "pause", "ready")
PIN_TRIES = 3
PIN_TIMEOUT_MS = 10_000
PIN_MAX_DIGITS = 8
# Bilingual prompts live under the Kazakh directory (see prompts/manifest.yaml).
_PROMPT_LANGUAGE = "kk"
_DONE_PROMPT = {
    "login": "operator-logged-in",
    "logout": "operator-logged-out",
    "pause": "operator-paused",
    "ready": "operator-ready",
}


@dataclass(frozen=True)
class PhoneOperator:
    hotline: HotlineConfig
    operator: OperatorConfig


def operators_on_phone(
    hotlines: Mapping[str, HotlineConfig], channel: str, caller: str
) -> list[PhoneOperator]:
    """The operators whose `dial` is the calling endpoint, or (through a trunk) the caller's
    number, in every hotline."""
    endpoint = channel.rsplit("-", 1)[0]
    number = caller.lstrip("+")
    found = []
    for hotline in hotlines.values():
        for operator in hotline.operators:
            dial = operator.dial
            through_trunk = "@" in dial
            remote_number = dial.split("/", 1)[-1].split("@", 1)[0].lstrip("+")
            if dial == endpoint or (through_trunk and number and remote_number == number):
                found.append(PhoneOperator(hotline, operator))
    return found


class OperatorCodes:
    """The `operator` FastAGI script."""

    def __init__(
        self,
        hotlines: Mapping[str, HotlineConfig],
        acds: Mapping[str, Acd],
        clock: Clock,
        on_change: Callable[[], None],
    ) -> None:
        self._hotlines = hotlines
        self._acds = acds
        self._clock = clock
        self._on_change = on_change

    async def __call__(self, session: AgiSession) -> None:
        env = session.env
        action = env.args[0] if env.args else ""
        mine = operators_on_phone(self._hotlines, env.channel, env.callerid)
        if action not in ACTIONS or not mine:
            log.warning(
                "feature code %r from %s (%s): no such action or no operator on this phone",
                action,
                env.channel,
                env.callerid,
            )
            await self._say(session, "operator-refused")
            return
        allowed = await self._pin_holders(session, mine)
        if not allowed:
            log.warning(
                "feature code %s from %s: wrong PIN %d times", action, env.channel, PIN_TRIES
            )
            await self._say(session, "operator-refused")
            return
        refused = False
        for found in allowed:
            control = OperatorControl(found.hotline, self._acds[found.hotline.id], self._clock)
            try:
                state = await self._act(control, found, action)
            except HotlineError as exc:
                log.warning(
                    "operator %s (%s): %s refused: %s",
                    found.operator.id,
                    found.hotline.id,
                    action,
                    exc,
                )
                refused = True
                continue
            log.info(
                "operator %s (%s): %s by phone -> %s",
                found.operator.id,
                found.hotline.id,
                action,
                state,
            )
        self._on_change()
        await self._say(session, "operator-refused" if refused else _DONE_PROMPT[action])

    async def _pin_holders(
        self, session: AgiSession, mine: list[PhoneOperator]
    ) -> list[PhoneOperator]:
        """The operators of this phone whose PIN the caller typed (up to PIN_TRIES tries)."""
        with_pin = [found for found in mine if found.operator.pin is not None]
        if not with_pin:
            return []
        for attempt in range(PIN_TRIES):
            prompt = "operator-enter-pin" if attempt == 0 else "operator-pin-wrong"
            got = await session.get_data(
                prompt_file(prompt, _PROMPT_LANGUAGE), PIN_TIMEOUT_MS, PIN_MAX_DIGITS
            )
            typed = got.digits.encode()
            holders = [
                found
                for found in with_pin
                if hmac.compare_digest(typed, (found.operator.pin or "").encode())
            ]
            if holders:
                return holders
        return []

    @staticmethod
    async def _act(control: OperatorControl, found: PhoneOperator, action: str) -> str:
        op_id = found.operator.id
        if action == "login":
            return await control.login(op_id)
        if action == "logout":
            return await control.logout(op_id)
        if action == "pause":
            reasons = list(found.hotline.routing.pause_reasons)
            if not reasons:
                raise OperatorError(f"hotline {found.hotline.id} has no pause reasons")
            return await control.pause(op_id, reasons[0])
        return await control.ready(op_id)

    @staticmethod
    async def _say(session: AgiSession, prompt: str) -> None:
        if not session.dead:
            await session.stream_file(prompt_file(prompt, _PROMPT_LANGUAGE))
