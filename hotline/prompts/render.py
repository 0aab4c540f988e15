"""Render one prompt: espeak-ng per segment at its voice's native rate, then sox to 8 kHz.

    espeak-ng -v <voice> -b 1 -w seg<N>.wav -f seg<N>.txt     (one per segment, UTF-8 text)
    sox -R seg0.wav [seg1.wav ...] -r 8000 -b 16 -c 1 -e signed-integer out.wav [trim]

sox joins the segments and converts them to what Asterisk plays (16-bit signed, mono, 8 kHz);
`-R` makes its dither repeatable, so the same text gives the same bytes. Speech fragments
(`PromptText.trim_silence`) lose the silence around them: `[trim]` is `SOX_TRIM`. Both tools run as
argument lists, never through a shell.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hotline.config import Language
from hotline.prompts.errors import RenderError, ToolMissingError
from hotline.prompts.manifest import PromptText

VOICES: Final[Mapping[Language, str]] = {"kk": "kk", "ru": "ru", "en": "en-us"}
SAMPLE_RATE_HZ: Final = 8000
SAMPLE_WIDTH_BYTES: Final = 2
CHANNELS: Final = 1
# No -s: each voice speaks at its native rate. -b 1: the text file is UTF-8.
ESPEAK_OPTIONS: Final = ("-b", "1")
SOX_OUTPUT: Final = ("-r", str(SAMPLE_RATE_HZ), "-b", "16", "-c", "1", "-e", "signed-integer")
# Tool -> the Debian package that installs it.
PACKAGES: Final[Mapping[str, str]] = {"espeak-ng": "espeak-ng", "sox": "sox"}
TOOL_TIMEOUT_S: Final = 60.0
# For fragments: cut the silence espeak-ng leaves around a word (~0.3 s), keep a 50 ms gap.
SOX_TRIM: Final = (
    *("silence", "1", "0.01", "0.1%", "reverse", "silence", "1", "0.01", "0.1%", "reverse"),
    *("pad", "0", "0.05"),
)


@dataclass(frozen=True)
class WavFormat:
    rate_hz: int
    sample_width_bytes: int
    channels: int
    frames: int

    @property
    def playable(self) -> bool:
        """8 kHz, 16-bit, mono and not empty: what the prompts must be."""
        return (
            self.rate_hz == SAMPLE_RATE_HZ
            and self.sample_width_bytes == SAMPLE_WIDTH_BYTES
            and self.channels == CHANNELS
            and self.frames > 0
        )


def wav_format(path: Path) -> WavFormat | None:
    """The WAV file's format, or None if it is not a PCM WAV file Python can read."""
    try:
        with wave.open(str(path), "rb") as wav:
            return WavFormat(
                wav.getframerate(), wav.getsampwidth(), wav.getnchannels(), wav.getnframes()
            )
    except (wave.Error, EOFError, OSError):
        return None


class Renderer:
    """Turns a `PromptText` into a WAV file; the tool names can be changed (tests)."""

    def __init__(self, espeak: str = "espeak-ng", sox: str = "sox") -> None:
        self._espeak = espeak
        self._sox = sox

    def settings_digest(self, prompt: PromptText) -> str:
        """sha256 of everything the rendered audio depends on: texts, voices and options."""
        settings = {
            "segments": [[VOICES[s.language], s.text] for s in prompt.segments],
            "espeak": list(ESPEAK_OPTIONS),
            "sox": ["-R", *SOX_OUTPUT],
            "effects": list(self._effects(prompt)),
        }
        encoded = json.dumps(settings, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(encoded).hexdigest()

    @staticmethod
    def _effects(prompt: PromptText) -> tuple[str, ...]:
        return SOX_TRIM if prompt.trim_silence else ()

    def require_tools(self) -> None:
        """Raise `ToolMissingError` for the first of espeak-ng and sox not on PATH."""
        for tool, default in ((self._espeak, "espeak-ng"), (self._sox, "sox")):
            if shutil.which(tool) is None:
                raise ToolMissingError(tool, PACKAGES[default])

    def render(self, prompt: PromptText, out: Path) -> None:
        """Write `out` (replaced atomically: a failed render leaves the old file)."""
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="hotline-prompt-") as tmp:
            work = Path(tmp)
            segments: list[str] = []
            for index, segment in enumerate(prompt.segments):
                text_file = work / f"seg{index}.txt"
                text_file.write_text(segment.text, encoding="utf-8")
                wav = work / f"seg{index}.wav"
                voice = VOICES[segment.language]
                self._run(
                    "espeak-ng",
                    [
                        self._espeak,
                        "-v",
                        voice,
                        *ESPEAK_OPTIONS,
                        "-w",
                        str(wav),
                        "-f",
                        str(text_file),
                    ],
                    prompt,
                )
                segments.append(str(wav))
            converted = work / "out.wav"
            self._run(
                "sox",
                [self._sox, "-R", *segments, *SOX_OUTPUT, str(converted), *self._effects(prompt)],
                prompt,
            )
            fd, partial = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
            os.close(fd)
            try:
                shutil.copyfile(converted, partial)
                os.replace(partial, out)
            finally:
                Path(partial).unlink(missing_ok=True)  # gone after a successful replace

    def _run(self, tool: str, argv: Sequence[str], prompt: PromptText) -> None:
        try:
            done = subprocess.run(
                list(argv), capture_output=True, timeout=TOOL_TIMEOUT_S, check=False
            )
        except FileNotFoundError:
            raise ToolMissingError(argv[0], PACKAGES[tool]) from None
        except subprocess.TimeoutExpired:
            raise RenderError(
                f"{prompt.file_name} ({prompt.origin}): {tool} took over {TOOL_TIMEOUT_S:g} s"
            ) from None
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", "replace").strip()
            raise RenderError(
                f"{prompt.file_name} ({prompt.origin}): {tool} exited with {done.returncode}: "
                f"{stderr or 'no message'}"
            )
