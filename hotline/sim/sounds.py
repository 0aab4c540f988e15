"""Where the simulator learns how long a prompt plays (Asterisk would read the file)."""

from __future__ import annotations

from typing import Protocol


class SoundLibrary(Protocol):
    """Durations of sound files by the name an AGI command or Playback() uses."""

    def duration_s(self, name: str) -> float | None:
        """Seconds of audio, or None when the file does not exist."""
        ...


class FixedSounds:
    """Every file lasts `duration_s`, except the names in `missing`, which do not exist."""

    def __init__(self, duration_s: float = 1.5, missing: set[str] | None = None) -> None:
        self._duration_s = duration_s
        self._missing = set(missing or ())

    def duration_s(self, name: str) -> float | None:
        return None if name in self._missing else self._duration_s
