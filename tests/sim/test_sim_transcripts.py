"""The transcript loader on the reference captures themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.sim.transcripts import Record, TranscriptError, load_transcript, parse_transcript


def test_parses_a_small_sample_with_a_direction_containing_spaces() -> None:
    data = (
        b"# sample\n"
        b"### +0.000s agi->asterisk 7 bytes\nANSWER\n"
        b"### +0.001s note:agi-half-close(shutdown SHUT_WR) 0 bytes\n"
        b"### +0.002s EOF(asterisk closed) 0 bytes\n"
    )
    header, records = parse_transcript(data)
    assert header == "sample"
    assert records == [
        Record(0.0, "agi->asterisk", b"ANSWER\n"),
        Record(0.001, "note:agi-half-close(shutdown SHUT_WR)", b""),
        Record(0.002, "EOF(asterisk closed)", b""),
    ]


def test_payloads_keep_crlf_and_may_contain_marker_like_text() -> None:
    data = b"# x\n### +1.5s server->client 12 bytes\nA: b\r\n### \r\n"
    assert parse_transcript(data)[1] == [Record(1.5, "server->client", b"A: b\r\n### \r\n")]


@pytest.mark.parametrize(
    "data",
    [b"no header\n", b"# x\n### +0.1s a 10 bytes\nshort", b"# x\n### nonsense\n"],
)
def test_malformed_transcripts_are_refused(data: bytes) -> None:
    with pytest.raises(TranscriptError):
        parse_transcript(data)


def test_every_ami_transcript_joins_to_its_raw_server_bytes(reference_dir: Path) -> None:
    files = sorted((reference_dir / "ami").glob("*.txt"))
    assert len(files) >= 28
    for path in files:
        _, records = load_transcript(path)
        joined = b"".join(r.payload for r in records if r.direction == "server->client")
        raw = reference_dir / "ami" / "raw" / f"{path.stem}.server.raw"
        assert joined == raw.read_bytes(), path.name


def test_every_agi_transcript_starts_with_the_env_block(reference_dir: Path) -> None:
    files = sorted((reference_dir / "agi").glob("*.txt"))
    assert len(files) == 11
    for path in files:
        _, records = load_transcript(path)
        assert records[0].payload == b"agi_network: yes\n", path.name
        assert all(r.time_s >= 0 for r in records)
