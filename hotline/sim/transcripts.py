"""Loader for the reference transcripts in ../shared/asterisk-reference (ami/ and agi/).

Format (see that README): a header comment line, then records of
`### +<seconds>s <direction> <n> bytes\\n` followed by exactly n payload bytes. Some
directions contain spaces (`EOF(asterisk closed)`, `note:...`), so the size is taken
from the last two tokens of the marker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_MARKER = b"### +"


@dataclass(frozen=True)
class Record:
    """One transcript record: when (seconds from connect), which way, the exact bytes."""

    time_s: float
    direction: str
    payload: bytes


class TranscriptError(ValueError):
    """The transcript does not follow the documented format."""


def parse_transcript(data: bytes) -> tuple[str, list[Record]]:
    """Split a transcript into its header comment and records.

    >>> parse_transcript(b"# demo\\n### +0.001s agi->asterisk 7 bytes\\nANSWER\\n")
    ('demo', [Record(time_s=0.001, direction='agi->asterisk', payload=b'ANSWER\\n')])
    """
    end = data.find(b"\n")
    if not data.startswith(b"# ") or end < 0:
        raise TranscriptError("the first line must be a '# ' comment")
    header = data[2:end].decode()
    records: list[Record] = []
    pos = end + 1
    while pos < len(data):
        if not data.startswith(_MARKER, pos):
            raise TranscriptError(f"expected a '### +' marker at byte {pos}")
        eol = data.find(b"\n", pos)
        if eol < 0:
            raise TranscriptError(f"unterminated marker at byte {pos}")
        marker = data[pos + len(_MARKER) : eol].decode()
        tokens = marker.split(" ")
        if len(tokens) < 4 or tokens[-1] != "bytes" or not tokens[0].endswith("s"):
            raise TranscriptError(f"bad marker {marker!r}")
        size = int(tokens[-2])
        direction = " ".join(tokens[1:-2])
        payload = data[eol + 1 : eol + 1 + size]
        if len(payload) != size:
            raise TranscriptError(f"record at byte {pos} is cut short")
        records.append(Record(float(tokens[0][:-1]), direction, payload))
        pos = eol + 1 + size
    return header, records


def load_transcript(path: Path) -> tuple[str, list[Record]]:
    """Read and parse one transcript file."""
    return parse_transcript(path.read_bytes())
