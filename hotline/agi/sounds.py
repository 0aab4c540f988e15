"""How both IVR drivers (FastAGI and classic AGI) name prompts and let callers cut them short."""

from __future__ import annotations

# Any key may interrupt a prompt: a caller who knows the menu should not have to listen.
BARGE_IN_DIGITS = "0123456789*#"


def prompt_file(prompt: str, language: str) -> str:
    """The Asterisk sound name of a prompt: prompts/ is installed as sounds/hotline."""
    return f"hotline/{language}/{prompt}"
