"""Where the simulator learns how long a prompt plays (Asterisk would read the file)."""

from __future__ import annotations

import wave
from pathlib import Path
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


class WavSounds:
    """Durations read from the WAV files under `root`, which Asterisk reaches as `prefix/...`.

    `prompts/` is installed as `<astdatadir>/sounds/hotline`, so `hotline/ru/menu-400-100`
    is `prompts/ru/menu-400-100.wav`. Any other name, or a file that is not there, is
    missing: Asterisk would answer `200 result=-1 endpos=0` for it.
    """

    def __init__(self, root: Path, prefix: str = "hotline") -> None:
        self._root = root
        self._prefix = prefix.rstrip("/") + "/"
        self._cache: dict[str, float | None] = {}

    def duration_s(self, name: str) -> float | None:
        if name not in self._cache:
            self._cache[name] = self._read(name)
        return self._cache[name]

    def _read(self, name: str) -> float | None:
        if not name.startswith(self._prefix) or ".." in name:
            return None
        path = self._root / f"{name[len(self._prefix) :]}.wav"
        if not path.is_file():
            return None
        with wave.open(str(path), "rb") as audio:
            return audio.getnframes() / audio.getframerate()
