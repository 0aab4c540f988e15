"""build_prompts into tmp_path with a tiny manifest: renders once, re-renders only what changed,
never overwrites a studio recording; the WAV format; the missing-tool error."""

from __future__ import annotations

import json
import os
import shutil
import wave
from pathlib import Path

import pytest

from hotline.prompts import (
    STATE_FILE,
    PromptsError,
    Renderer,
    ToolMissingError,
    build_prompts,
    load_manifest,
)
from tests.prompts.conftest import TINY_MANIFEST, write_manifest

pytestmark = pytest.mark.usefixtures("tools")

ALL = ("kk/greet.wav", "ru/greet.wav", "kk/choose.wav", "ru/choose.wav")


def _studio_recording(path: Path) -> bytes:
    """Write half a second of silence, as a studio would deliver it (8 kHz mono)."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x00\x00" * 4000)
    return path.read_bytes()


def test_first_build_renders_second_renders_nothing(tmp_path: Path) -> None:
    manifest = load_manifest(write_manifest(tmp_path), fragments={})
    out = tmp_path / "prompts"

    first = build_prompts(out, manifest)
    assert sorted(first.rendered) == sorted(ALL)
    assert first.unchanged == first.kept_studio == first.unknown == ()
    state = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))["files"]
    assert sorted(state) == sorted(ALL)
    assert set(state["kk/greet.wav"]) == {"source_sha256", "wav_sha256"}
    before = {name: (out / name).read_bytes() for name in ALL}

    second = build_prompts(out, manifest)
    assert second.rendered == ()
    assert sorted(second.unchanged) == sorted(ALL)
    assert {name: (out / name).read_bytes() for name in ALL} == before


def test_a_changed_text_renders_only_that_file(tmp_path: Path) -> None:
    out = tmp_path / "prompts"
    build_prompts(out, load_manifest(write_manifest(tmp_path), fragments={}))
    changed = TINY_MANIFEST.replace("Здравствуйте!", "Добрый день!")
    report = build_prompts(out, load_manifest(write_manifest(tmp_path, changed), fragments={}))
    assert report.rendered == ("ru/greet.wav",)
    assert sorted(report.unchanged) == sorted(set(ALL) - {"ru/greet.wav"})


def test_a_studio_recording_is_kept_and_reported(tmp_path: Path) -> None:
    out = tmp_path / "prompts"
    build_prompts(out, load_manifest(write_manifest(tmp_path), fragments={}))
    studio = _studio_recording(out / "kk" / "greet.wav")

    report = build_prompts(out, load_manifest(write_manifest(tmp_path), fragments={}))
    assert report.kept_studio == ("kk/greet.wav",)
    assert report.rendered == ()
    assert (out / "kk" / "greet.wav").read_bytes() == studio

    # Even when its text changes: kept, and flagged as possibly saying the old text.
    changed = TINY_MANIFEST.replace("Сәлеметсіз бе!", "Қош келдіңіз!")
    manifest = load_manifest(write_manifest(tmp_path, changed), fragments={})
    report = build_prompts(out, manifest)
    assert report.kept_studio == report.studio_text_changed == ("kk/greet.wav",)
    assert (out / "kk" / "greet.wav").read_bytes() == studio

    forced = build_prompts(out, manifest, force=True)
    assert sorted(forced.rendered) == sorted(ALL)
    assert (out / "kk" / "greet.wav").read_bytes() != studio


def test_a_file_we_never_rendered_counts_as_studio(tmp_path: Path) -> None:
    out = tmp_path / "prompts"
    (out / "ru").mkdir(parents=True)
    studio = _studio_recording(out / "ru" / "choose.wav")
    report = build_prompts(out, load_manifest(write_manifest(tmp_path), fragments={}))
    assert report.kept_studio == ("ru/choose.wav",)
    assert (out / "ru" / "choose.wav").read_bytes() == studio


def test_rendered_wavs_are_8khz_16bit_mono(tmp_path: Path) -> None:
    out = tmp_path / "prompts"
    build_prompts(out, load_manifest(write_manifest(tmp_path), fragments={}))
    for name in ALL:
        with wave.open(str(out / name), "rb") as wav:
            assert wav.getframerate() == 8000, name
            assert wav.getsampwidth() == 2, name
            assert wav.getnchannels() == 1, name
            assert wav.getnframes() > 0, name
    # Two segments, two voices: longer than either sentence alone would be.
    with wave.open(str(out / "kk" / "choose.wav"), "rb") as wav:
        assert wav.getnframes() > 8000 * 2


def test_only_some_languages(tmp_path: Path) -> None:
    out = tmp_path / "prompts"
    manifest = load_manifest(write_manifest(tmp_path), fragments={})
    report = build_prompts(out, manifest, languages=["ru"])
    assert sorted(report.rendered) == ["ru/choose.wav", "ru/greet.wav"]
    assert not (out / "kk").exists()
    with pytest.raises(PromptsError, match="language 'en' is not in"):
        build_prompts(out, manifest, languages=["en"])


def test_wavs_not_in_the_manifest_are_reported_not_deleted(tmp_path: Path) -> None:
    out = tmp_path / "prompts"
    (out / "kk").mkdir(parents=True)
    _studio_recording(out / "kk" / "old-prompt.wav")
    report = build_prompts(out, load_manifest(write_manifest(tmp_path), fragments={}))
    assert report.unknown == ("kk/old-prompt.wav",)
    assert (out / "kk" / "old-prompt.wav").exists()


def test_an_up_to_date_build_needs_no_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "prompts"
    manifest = load_manifest(write_manifest(tmp_path), fragments={})
    build_prompts(out, manifest)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert build_prompts(out, manifest).rendered == ()


def test_missing_espeak_names_the_debian_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    manifest = load_manifest(write_manifest(tmp_path), fragments={})
    with pytest.raises(ToolMissingError) as caught:
        build_prompts(tmp_path / "prompts", manifest)
    assert str(caught.value) == (
        "espeak-ng not found on PATH: rendering prompts needs it; install the Debian package "
        "espeak-ng (apt-get install -y espeak-ng)"
    )
    assert not (tmp_path / "prompts" / STATE_FILE).exists()


def test_missing_sox_names_the_debian_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    espeak = shutil.which("espeak-ng")
    assert espeak is not None
    os.symlink(espeak, bin_dir / "espeak-ng")
    monkeypatch.setenv("PATH", str(bin_dir))
    manifest = load_manifest(write_manifest(tmp_path), fragments={})
    with pytest.raises(ToolMissingError, match=r"^sox not found on PATH.*Debian package sox"):
        build_prompts(tmp_path / "prompts", manifest)


def test_a_renamed_tool_is_reported_by_name(tmp_path: Path) -> None:
    manifest = load_manifest(write_manifest(tmp_path), fragments={})
    renderer = Renderer(espeak="espeak-ng-not-installed")
    with pytest.raises(ToolMissingError, match=r"espeak-ng-not-installed not found.*espeak-ng"):
        build_prompts(tmp_path / "prompts", manifest, renderer=renderer)


def test_a_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "prompts"
    out.mkdir()
    (out / STATE_FILE).write_text("{not json", encoding="utf-8")
    manifest = load_manifest(write_manifest(tmp_path), fragments={})
    with pytest.raises(PromptsError, match=r"\.rendered\.json: not a prompts build state"):
        build_prompts(out, manifest)


def test_fragments_lose_the_silence_around_them(tmp_path: Path) -> None:
    text = "languages: [kk]\nprompts:\n  word:\n    kk: бес\n"
    manifest = load_manifest(write_manifest(tmp_path, text), fragments={"kk": {"num-5": "бес"}})
    out = tmp_path / "prompts"
    build_prompts(out, manifest)
    frames = {}
    for name in ("word", "num-5"):
        with wave.open(str(out / "kk" / f"{name}.wav"), "rb") as wav:
            frames[name] = wav.getnframes()
    # espeak-ng leaves ~0.3 s of silence around a word; a fragment keeps a 50 ms gap only.
    assert 0 < frames["num-5"] < frames["word"] - 8000 * 0.2
