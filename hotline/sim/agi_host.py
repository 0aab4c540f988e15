"""What a FastAGI session needs from the PBX: a narrow interface, so the AGI code does
not depend on SimPBX itself (and SimPBX implements it)."""

from __future__ import annotations

import random
from typing import Protocol

from hotline.clock import Clock
from hotline.sim.channel import Party, SimChannel
from hotline.sim.events import Headers
from hotline.sim.sounds import SoundLibrary


class AgiHost(Protocol):
    @property
    def clock(self) -> Clock: ...

    @property
    def sounds(self) -> SoundLibrary: ...

    @property
    def rng(self) -> random.Random: ...

    def emit(self, event: Headers) -> None: ...

    def set_channel_var(self, channel: SimChannel, name: str, value: str) -> None: ...

    def channel_var(self, channel: SimChannel, name: str) -> str | None: ...

    def expand(self, channel: SimChannel, text: str) -> str: ...

    def answer(self, channel: SimChannel) -> None: ...

    def start_moh(self, channel: SimChannel, moh_class: str) -> None: ...

    def stop_moh(self, channel: SimChannel) -> None: ...

    def input_started(self, channel: SimChannel, prompt_end_at: float, prompt: str = "") -> None:
        """An application started reading DTMF; the caller answers after its prompt (the
        sound file `prompt`, "" if none)."""
        ...

    def hang_up(self, channel: SimChannel, cause: int, by: Party) -> None: ...
