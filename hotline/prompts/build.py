"""Render the manifest into `prompts/<lang>/<id>.wav`, once, and never over a studio recording.

`prompts/.rendered.json` records, for each file we rendered, the sha256 of what it was rendered
from (texts, voices, options: `Renderer.settings_digest`) and the sha256 of the WAV produced.
For each prompt:

- no file yet, or `force`: render it;
- a file whose bytes are not the ones we rendered (or that we never rendered): a studio
  recording: keep it and report it (`kept_studio`), never overwrite it unless `force`;
- our own file, rendered from the same text: leave it (`unchanged`);
- our own file, rendered from another text: render it again.

WAV files in `prompts/<lang>/` that the manifest does not name are reported, never deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from hotline.config import Language
from hotline.prompts.errors import PromptsError
from hotline.prompts.manifest import Manifest, PromptText
from hotline.prompts.render import Renderer

STATE_FILE: Final = ".rendered.json"


@dataclass(frozen=True)
class StateEntry:
    source_sha256: str
    wav_sha256: str


@dataclass(frozen=True)
class BuildReport:
    """What a build did, each file named as `kk/menu-109.wav`."""

    rendered: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    # Studio recordings kept in place of a rendered file.
    kept_studio: tuple[str, ...] = ()
    # The subset of kept_studio whose manifest text changed since we last rendered it: the
    # recording may no longer say what the manifest says.
    studio_text_changed: tuple[str, ...] = ()
    # WAV files the manifest does not name (left alone).
    unknown: tuple[str, ...] = ()

    def summary(self) -> str:
        return (
            f"{len(self.rendered)} rendered, {len(self.unchanged)} unchanged, "
            f"{len(self.kept_studio)} studio recordings kept, {len(self.unknown)} not in manifest"
        )


@dataclass
class _Tally:
    rendered: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_studio: list[str] = field(default_factory=list)
    studio_text_changed: list[str] = field(default_factory=list)


def build_prompts(
    prompts_dir: Path,
    manifest: Manifest,
    languages: Iterable[str] | None = None,
    force: bool = False,
    renderer: Renderer | None = None,
) -> BuildReport:
    """Render what is missing or outdated in `prompts_dir`; see the module docstring."""
    renderer = renderer or Renderer()
    wanted = _languages(manifest, languages)
    state_path = prompts_dir / STATE_FILE
    state = _read_state(state_path)
    tally = _Tally()
    entries = manifest.entries(wanted)
    todo = [
        entry for entry in entries if _classify(prompts_dir, entry, state, renderer, force, tally)
    ]
    if todo:
        renderer.require_tools()
    try:
        for entry in todo:
            out = prompts_dir / entry.file_name
            renderer.render(entry, out)
            state[entry.file_name] = StateEntry(renderer.settings_digest(entry), _sha256(out))
            tally.rendered.append(entry.file_name)
    finally:
        if todo:
            _write_state(state_path, state)
    named = {entry.file_name for entry in entries}
    unknown = sorted(
        f"{language}/{path.name}"
        for language in wanted
        for path in (prompts_dir / language).glob("*.wav")
        if f"{language}/{path.name}" not in named
    )
    return BuildReport(
        rendered=tuple(tally.rendered),
        unchanged=tuple(tally.unchanged),
        kept_studio=tuple(tally.kept_studio),
        studio_text_changed=tuple(tally.studio_text_changed),
        unknown=tuple(unknown),
    )


def _classify(
    prompts_dir: Path,
    entry: PromptText,
    state: dict[str, StateEntry],
    renderer: Renderer,
    force: bool,
    tally: _Tally,
) -> bool:
    """True if `entry` must be rendered; otherwise record why not in `tally`."""
    path = prompts_dir / entry.file_name
    if force or not path.exists():
        return True
    recorded = state.get(entry.file_name)
    source = renderer.settings_digest(entry)
    if recorded is None or _sha256(path) != recorded.wav_sha256:
        tally.kept_studio.append(entry.file_name)
        if recorded is not None and recorded.source_sha256 != source:
            tally.studio_text_changed.append(entry.file_name)
        return False
    if recorded.source_sha256 == source:
        tally.unchanged.append(entry.file_name)
        return False
    return True


def _languages(manifest: Manifest, languages: Iterable[str] | None) -> tuple[Language, ...]:
    if languages is None:
        return manifest.languages
    wanted = list(languages)
    unknown = [language for language in wanted if language not in manifest.languages]
    if unknown:
        raise PromptsError(
            f"language {unknown[0]!r} is not in {manifest.file} (languages: "
            f"{', '.join(manifest.languages)})"
        )
    return tuple(language for language in manifest.languages if language in wanted)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_state(path: Path) -> dict[str, StateEntry]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            name: StateEntry(str(entry["source_sha256"]), str(entry["wav_sha256"]))
            for name, entry in data["files"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PromptsError(
            f"{path}: not a prompts build state ({exc.__class__.__name__}: {exc}); "
            "delete it to treat every existing WAV as a studio recording, or build with --force"
        ) from None


def _write_state(path: Path, state: dict[str, StateEntry]) -> None:
    data = {
        "comment": "Written by `hotline prompts build`: what each WAV was rendered from.",
        "files": {
            name: {"source_sha256": entry.source_sha256, "wav_sha256": entry.wav_sha256}
            for name, entry in sorted(state.items())
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, ensure_ascii=False)
            handle.write("\n")
        os.replace(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)
