"""The simulator's prompt durations come from the rendered WAV files, as Asterisk's would."""

from __future__ import annotations

import wave
from pathlib import Path

from hotline.sim import WavSounds

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


def test_durations_are_read_from_the_wav_headers() -> None:
    sounds = WavSounds(PROMPTS)
    with wave.open(str(PROMPTS / "ru" / "menu-400-100.wav"), "rb") as audio:
        expected = audio.getnframes() / audio.getframerate()
    assert expected > 1.0
    assert sounds.duration_s("hotline/ru/menu-400-100") == expected


def test_names_outside_the_prompts_are_missing() -> None:
    sounds = WavSounds(PROMPTS)
    assert sounds.duration_s("hotline/ru/no-such-prompt") is None
    assert sounds.duration_s("silence/1") is None
    assert sounds.duration_s("hotline/../README") is None
