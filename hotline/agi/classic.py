"""The IVR machine over classic AGI (pyst2), for `AGI(hotline_ivr.py,<hotline id>)`.

Synchronous: Asterisk forks the script and speaks AGI on its stdin/stdout, one command at a
time. Actions become the same AGI commands as in the FastAGI driver
(hotline.controller.agi_handlers `_perform`):

- `Play` -> `STREAM FILE hotline/<lang>/<prompt> "0123456789*#" 0`: a key -> `DigitsEntered`,
  else `PlayFinished` (also for a missing file, `200 result=-1 endpos=0`).
- `CollectDigits` -> `GET DATA hotline/<lang>/<prompt> <timeout ms> <max digits>`: digits ->
  `DigitsEntered`, none (`200 result= (timeout)`) -> `NoInput`.
- `Lookup` -> the `lookup` callable -> `LookupDone(result)` ("error" if it raises).
- A terminal action (`Enqueue`, `Callback`, `Finish`, `Hangup`) ends the loop and is returned.

Hangups. Classic AGI gets no `HANGUP` line: the command that was waiting answers
`200 result=-1`, then Asterisk sends SIGHUP, and from then on channel commands answer
`511 Command Not Permitted on a dead channel...`. pyst2 turns these into: AGIAppError
(result -1; the same as a missing sound file), AGISIGHUPHangup (the next command after the
signal), AGIUnknownError(511), AGISIGPIPEHangup (Asterisk went away) and a ValueError on
EOF (it parses an empty line). After a -1 the driver asks `CHANNEL STATUS`, which res_agi
refuses on a dead channel, to tell a hangup from a missing file. Every hangup becomes
`CallerHungUp` for the machine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from asterisk.agi import AGIAppError, AGIHangup, AGIUnknownError

from hotline.agi.sounds import BARGE_IN_DIGITS, prompt_file
from hotline.ivr.actions import (
    TERMINAL_ACTIONS,
    Action,
    Callback,
    CollectDigits,
    Enqueue,
    Finish,
    Hangup,
    Lookup,
    Play,
)
from hotline.ivr.events import (
    CallerHungUp,
    DigitsEntered,
    Event,
    LookupDone,
    NoInput,
    PlayFinished,
)

log = logging.getLogger(__name__)
DEAD_CODE = 511


class PystAgi(Protocol):
    """The part of pyst2's `asterisk.agi.AGI` the driver uses."""

    def execute(self, command: str, *args: Any) -> dict[str, tuple[str, str]]: ...

    def send_command(self, command: str, *args: Any) -> None: ...

    def get_result(self) -> dict[str, tuple[str, str]]: ...


class Machine(Protocol):
    def handle(self, event: Event) -> Action: ...


class ChannelGoneError(Exception):
    """The channel hung up (or Asterisk went away) during or before a command."""


def quote(value: str) -> str:
    """An AGI argument in double quotes (res_agi's parse_args takes `\\` literally next)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def stream_file_args(action: Play) -> tuple[str, ...]:
    return (prompt_file(action.prompt, action.language), quote(BARGE_IN_DIGITS), "0")


def get_data_args(action: CollectDigits) -> tuple[str, ...]:
    return (
        prompt_file(action.prompt, action.language),
        str(int(action.timeout_s * 1000)),
        str(int(action.max_digits)),
    )


def is_hangup_error(error: BaseException) -> bool:
    """Whether a pyst2 error means the channel (or Asterisk) is gone."""
    if isinstance(error, AGIHangup):
        return True
    if isinstance(error, AGIUnknownError):
        return bool(error.args) and error.args[0] == DEAD_CODE
    # pyst2 parses an empty line (EOF: Asterisk closed our stdin) with int('') -> ValueError;
    # a closed pipe on write is OSError (EPIPE is mapped to AGISIGPIPEHangup already).
    return isinstance(error, (ValueError, EOFError, OSError))


@dataclass
class Reply:
    """What a command gave: its `result` value and extra data, or the error it raised."""

    result: str = ""
    data: str = ""
    error: BaseException | None = None


def capture(agi: PystAgi, command: str, *args: str, allowed_dead: bool = False) -> Reply:
    """Run one command through pyst2; its reply or its error (never raises an Exception).

    `allowed_dead`: a command res_agi runs on a dead channel (SET VARIABLE): sent even after
    the SIGHUP, which pyst2's `execute` would refuse with AGISIGHUPHangup."""
    try:
        if allowed_dead:
            agi.send_command(command, *args)
            response = agi.get_result()
        else:
            response = agi.execute(command, *args)
    except Exception as error:
        return Reply(error=error)
    result, data = response.get("result", ("", ""))
    return Reply(result=result, data=data)


class ClassicDriver:
    """Runs IVR actions as AGI commands over one pyst2 AGI session."""

    def __init__(self, agi: PystAgi, lookup: Callable[[Lookup], str]) -> None:
        self.agi = agi
        self.lookup = lookup
        self.dead = False

    # -- one action ------------------------------------------------------------------------

    def send(self, action: Action) -> Reply:
        """The AGI command of a `Play` or `CollectDigits`, and its raw reply."""
        if self.dead:
            return Reply(error=ChannelGoneError("the channel is gone"))
        if isinstance(action, Play):
            return capture(self.agi, "STREAM FILE", *stream_file_args(action))
        if isinstance(action, CollectDigits):
            return capture(self.agi, "GET DATA", *get_data_args(action))
        raise TypeError(f"not an AGI action: {action!r}")

    def event(self, action: Action, reply: Reply) -> Event:
        """The machine's event for `action` given its reply (see the module docstring)."""
        error = reply.error
        if error is not None:
            if isinstance(error, ChannelGoneError) or is_hangup_error(error):
                self.dead = True
                return CallerHungUp()
            if isinstance(error, AGIAppError) and not isinstance(error, AGIHangup):
                # result=-1: the channel hung up during the command, or (STREAM FILE) the
                # file is missing. The FastAGI driver reads a missing file as played.
                if self.channel_is_dead():
                    self.dead = True
                    return CallerHungUp()
                if isinstance(action, Play):
                    log.warning("cannot play %r", stream_file_args(action)[0])
                    return PlayFinished()
            raise error
        if isinstance(action, Play):
            digit = _digit(reply.result)
            return DigitsEntered(digit) if digit else PlayFinished()
        # GET DATA: `200 result=12`, `200 result=5 (timeout)`; pyst2 leaves `result= (timeout)`
        # (no digits) as "".
        return DigitsEntered(reply.result) if reply.result else NoInput()

    def perform(self, action: Action) -> Event:
        """Run a non-terminal action; the event it produced."""
        if isinstance(action, Lookup):
            try:
                return LookupDone(self.lookup(action))
            except Exception:
                log.exception("look-up %s failed", action.service)
                return LookupDone("error")
        return self.event(action, self.send(action))

    def channel_is_dead(self) -> bool:
        """After a -1: CHANNEL STATUS answers 511 once res_agi has noticed the hangup
        (it does before it reads the next command), or pyst2 saw the SIGHUP already."""
        probe = capture(self.agi, "CHANNEL STATUS")
        if probe.error is not None:
            return is_hangup_error(probe.error) or isinstance(probe.error, AGIAppError)
        return False

    # -- the loop --------------------------------------------------------------------------

    def run(self, machine: Machine, action: Action) -> Action:
        """Perform actions, feeding their events to `machine`, until a terminal action,
        which is returned (not performed)."""
        while not isinstance(action, TERMINAL_ACTIONS):
            action = machine.handle(self.perform(action))
        return action

    def play_goodbye(self, action: Hangup) -> None:
        """The goodbye prompt of a `Hangup` (no barge-in); a hangup meanwhile is fine."""
        if action.prompt is None or self.dead:
            return
        reply = capture(self.agi, "STREAM FILE", prompt_file(action.prompt, action.language), '""')
        if reply.error is not None and is_hangup_error(reply.error):
            self.dead = True

    def set_variable(self, name: str, value: str) -> None:
        """SET VARIABLE (allowed on a dead channel). Raises if Asterisk is gone."""
        reply = capture(self.agi, "SET VARIABLE", quote(name), quote(value), allowed_dead=True)
        if reply.error is not None:
            raise reply.error


def result_of(action: Action) -> str:
    """HOTLINE_IVR_RESULT for a terminal action."""
    if isinstance(action, Enqueue):
        return "enqueue"
    if isinstance(action, Callback):
        return "callback"
    if isinstance(action, Finish):
        return action.outcome
    if isinstance(action, Hangup):
        return action.outcome
    raise TypeError(f"not a terminal action: {action!r}")


def result_variables(
    action: Action,
    language: str,
    node: str | None,
    path: tuple[str, ...],
    arrived: float,
    lookup_result: str | None = None,
) -> list[tuple[str, str]]:
    """The channel variables the script leaves for the dialplan (and the controller's
    `ivr-result` FastAGI script), in the order they are set."""
    variables = [("HOTLINE_IVR_RESULT", result_of(action))]
    if isinstance(action, (Enqueue, Callback)):
        variables += [
            ("HOTLINE_QUEUE", action.queue_id),
            ("HOTLINE_TOPIC", action.topic),
            ("HOTLINE_LANG", action.language),
            ("HOTLINE_PRIORITY", str(action.priority)),
        ]
    else:
        variables.append(("HOTLINE_LANG", language))
    variables += [
        ("HOTLINE_IVR_NODE", node or ""),
        ("HOTLINE_IVR_PATH", ",".join(path)),
        ("HOTLINE_ARRIVED", f"{arrived:.3f}"),
        ("HOTLINE_LOOKUP_RESULT", lookup_result or ""),
    ]
    return variables


def _digit(result: str) -> str | None:
    """STREAM FILE's `result=57` is the ASCII code of `9`; 0 means no key."""
    try:
        code = int(result)
    except ValueError:
        return None
    return chr(code) if code > 0 else None
