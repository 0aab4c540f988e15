"""A remote operator takes a call only by pressing 1: the FastAGI `confirm` script.

An operator whose `dial` goes through one of the hotline's `remote_trunks` (a mobile
phone), or who is marked `remote`, may have a voicemail that answers: Asterisk then sees
an answer and the caller would be connected to a mailbox. So the dispatcher sets
HOTLINE_CONFIRM=1 for such an operator, and [hotline-connect] dials with
`U(hotline-confirm^...)`: once the operator's phone answers, their channel runs this
script while the caller still hears ringing
(`AGI(.../confirm,<hotline>,<call id>,<caller's channel>)`). The operator hears the
caller's language and "press 1 to take the call" (in Kazakh and Russian), twice at most.

- A 1: the dispatcher records the call as answered; the script sets
  SHARED(HOTLINE_TAKEN)=1 on the caller's channel (the caller's dialplan connects only
  then) and HOTLINE_CONFIRM_RESULT=taken on the operator's (the routine returns and
  Dial bridges the two).
- Anything else (no key, another key, the operator hung up, a failure here): nothing is
  set, the routine says GOSUB_RESULT=CONTINUE, Asterisk hangs up the operator's channel
  and the caller goes back to hold; the dispatcher counts a ring-no-answer (a miss, the
  caller keeps their place) on the DialEnd that ends this Dial, as for an unanswered ring.

If the script never reports (the controller unreachable), the dispatcher still treats the
DialEnd that follows as a ring-no-answer, whatever its status (see `Dispatcher`).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Protocol

from hotline.agi.errors import AgiError
from hotline.agi.session import AgiSession
from hotline.agi.sounds import BARGE_IN_DIGITS, prompt_file
from hotline.config import HotlineConfig, OperatorConfig
from hotline.controller.tracker import CallTracker

log = logging.getLogger(__name__)

TAKE_KEY = "1"
CONFIRM_TRIES = 2
CONFIRM_TIMEOUT_MS = 5_000
# Bilingual prompts live under the Kazakh directory (see prompts/manifest.yaml).
PROMPT_LANGUAGE = "kk"
PRESS_1_PROMPT = "operator-press-1"
CALLER_LANGUAGE_PROMPT = "operator-caller-language-{language}"
# Set on the caller's channel for a taken call; [hotline-connect] reads it after the Dial.
TAKEN_VARIABLE = "HOTLINE_TAKEN"
RESULT_VARIABLE = "HOTLINE_CONFIRM_RESULT"
TAKEN = "taken"


def confirm_required(hotline: HotlineConfig, operator: OperatorConfig) -> bool:
    """Whether the operator must press 1 to take a call: marked `remote`, or reached through
    one of the hotline's `remote_trunks` (`PJSIP/+77051110004@trunk`). An `@` alone says
    nothing (`PJSIP/op01@pbx2`, `Local/op01@operators` are desk phones)."""
    return hotline.operator_is_remote(operator)


class ConfirmDesk(Protocol):
    """What the script tells the dispatcher (`hotline.controller.dispatcher.Dispatcher`)."""

    def awaiting_confirmation(self, call_id: str) -> str | None:
        """The operator whose confirmation the call waits for, or None."""
        ...

    async def operator_took(self, call_id: str, operator_id: str) -> bool:
        """The operator pressed 1: record the call as answered. False: the call is no
        longer theirs to take (the caller hung up meanwhile): do not connect."""
        ...

    async def operator_declined(self, call_id: str, operator_id: str) -> None:
        """The operator did not take the call: a ring-no-answer once the Dial ends."""
        ...


class OperatorConfirm:
    """The FastAGI `confirm` handler."""

    def __init__(self, tracker: CallTracker, desk: ConfirmDesk) -> None:
        self._tracker = tracker
        self._desk = desk

    async def __call__(self, session: AgiSession) -> None:
        args = session.env.args
        call_id = args[1] if len(args) > 1 else ""
        call = self._tracker.by_call_id(call_id)
        operator_id = self._desk.awaiting_confirmation(call_id)
        if call is None or operator_id is None or (args and args[0] != call.hotline_id):
            # Not a call offered for confirmation here (e.g. a controller restarted while
            # the phone rang): not taken. The DialEnd that follows frees the operator.
            log.warning("confirm for call %r that awaits no confirmation: not taken", call_id)
            return
        caller_channel = args[2] if len(args) > 2 and args[2] else call.channel
        taken = False
        try:
            key = await self._ask(session, call.language)
            if key == TAKE_KEY and await self._take(session, call_id, operator_id, caller_channel):
                taken = True
                await session.set_variable(RESULT_VARIABLE, TAKEN)
        finally:
            if not taken:
                await self._decline(call_id, operator_id)

    async def _ask(self, session: AgiSession, language: str | None) -> str | None:
        """The caller's language (if known), then "press 1", twice at most; the key."""
        if language is not None:
            prompt = CALLER_LANGUAGE_PROMPT.format(language=language)
            played = await session.stream_file(
                prompt_file(prompt, PROMPT_LANGUAGE), BARGE_IN_DIGITS
            )
            if played.digit:
                return played.digit
        for _ in range(CONFIRM_TRIES):
            got = await session.get_data(
                prompt_file(PRESS_1_PROMPT, PROMPT_LANGUAGE), CONFIRM_TIMEOUT_MS, 1
            )
            if got.digits:
                return got.digits
        return None

    async def _take(
        self, session: AgiSession, call_id: str, operator_id: str, caller_channel: str
    ) -> bool:
        """Mark the caller's channel first, then record the answer: whatever fails after
        the mark, the caller and the record agree (a call the operator dropped at once)."""
        mark = f"SHARED({TAKEN_VARIABLE},{caller_channel})"
        await session.set_variable(mark, "1")
        took = False
        try:
            took = await self._desk.operator_took(call_id, operator_id)
        finally:
            if not took:
                # SET VARIABLE works on a dead channel too: only a lost connection stops it
                with contextlib.suppress(AgiError):
                    await session.set_variable(mark, "")
        if took:
            log.info("call %s: operator %s took the call", call_id, operator_id)
        else:
            log.info("call %s: operator %s pressed 1, but the call is gone", call_id, operator_id)
        return took

    async def _decline(self, call_id: str, operator_id: str) -> None:
        try:
            await self._desk.operator_declined(call_id, operator_id)
        except Exception:
            # The DialEnd that follows does the ring-no-answer if this could not.
            log.exception("call %s: recording that %s did not take it failed", call_id, operator_id)


async def confirm_callback(session: AgiSession) -> None:
    """FastAGI `callback-confirm`, on a remote operator's channel rung for a call-back
    ([hotline-callback]): "press 1 to take the call" (twice at most); a 1 sets
    HOTLINE_TAKEN=1 and the dialplan dials the caller. Anything else: the dialplan hangs up
    the operator's channel, which the call-back dialer counts as the operator's miss."""
    for _ in range(CONFIRM_TRIES):
        got = await session.get_data(
            prompt_file(PRESS_1_PROMPT, PROMPT_LANGUAGE), CONFIRM_TIMEOUT_MS, 1
        )
        if got.digits == "1":
            await session.set_variable(TAKEN_VARIABLE, "1")
            return
    log.info("call-back %s: not taken on %s", session.env.args[1:2], session.env.channel)
