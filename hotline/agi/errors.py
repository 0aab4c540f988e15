"""Errors of the FastAGI side, by who is at fault."""

from __future__ import annotations

from hotline.errors import HotlineError


class AgiError(HotlineError):
    """Anything hotline.agi raises on purpose."""


class AgiHangup(AgiError):  # noqa: N818 - the name the contract gives it
    """The channel is gone (caller hung up, or a Redirect took it) or the peer went away.

    Channel commands cannot run any more; `get_variable`, `set_variable` and `verbose`
    still can, as Asterisk allows them on a dead channel.
    """


class AgiCommandError(AgiError):
    """Asterisk refused or failed a command: 510 (unknown), 520 (usage), or a -1 failure."""

    def __init__(self, command: str, code: int, message: str) -> None:
        super().__init__(f"{command!r}: {code} {message}")
        self.command = command
        self.code = code
        self.message = message


class AgiProtocolError(AgiError):
    """Asterisk sent something that is not AGI (a bad env block, an unparsable line)."""


class AgiArgumentError(AgiError, ValueError):
    """A command we were asked to send cannot be sent safely (it would be too long)."""
