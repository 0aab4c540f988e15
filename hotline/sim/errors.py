"""Errors of the simulated PBX, by who is at fault."""

from __future__ import annotations

from hotline.errors import HotlineError


class SimError(HotlineError):
    """Anything hotline.sim raises on purpose."""


class DialplanError(SimError):
    """extensions.conf could not be parsed; `str()` is `FILE:LINE: message`."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


class NoSuchChannel(SimError):  # noqa: N818 (the name the AMI server was promised)
    """An AMI-side call named a channel that does not exist (any more)."""

    def __init__(self, channel: str) -> None:
        super().__init__(f"no such channel: {channel}")
        self.channel = channel
