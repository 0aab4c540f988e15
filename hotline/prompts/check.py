"""`hotline prompts check`: every prompt a shipped menu plays exists, in every language it offers.

For each hotline: its language prompt, invalid-choice prompt, greeting, emergency announcement,
each node's prompts (its question, invalid-entry, look-up result, call-back confirmation
and goodbye prompts) and its closed prompt (the opening hours; declared for 24/7 hotlines too,
so that a change of `hours` or a holiday needs no new sound) must be in the manifest and
rendered as `prompts/<lang>/<id>.wav` (8 kHz, 16-bit, mono) for every language the hotline
offers; so must the speech fragments in those languages, the prompts of the waiting caller's
announcement (`HOLD_PROMPTS`), and every `hotline/<lang>/<id>` sound the Asterisk dialplan plays
itself (`dialplan_sounds`: the safety net's message).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from hotline.config import HotlineConfig
from hotline.config.schema import Loc
from hotline.ivr.hold_announcement import HOLD_PROMPTS
from hotline.prompts.manifest import FRAGMENTS_ORIGIN, Manifest
from hotline.prompts.render import wav_format

# Playback(hotline/kk/fallback-connecting) and the like; `&` joins several files.
_PLAYBACK_RE = re.compile(r"\b(?:Playback|Background)\(([^,)]*)", re.IGNORECASE)
_SOUND_RE = re.compile(r"^hotline/([a-z]{2})/([a-z0-9][a-z0-9_-]*)$")


def dialplan_sounds(extensions_conf: Path) -> list[tuple[int, str, str]]:
    """(line, language, prompt id) of each `hotline/<lang>/<id>` sound a dialplan plays."""
    found: list[tuple[int, str, str]] = []
    lines = extensions_conf.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        code = line.split(";", 1)[0]
        for match in _PLAYBACK_RE.finditer(code):
            for name in match.group(1).split("&"):
                sound = _SOUND_RE.match(name.strip())
                if sound:
                    found.append((number, sound.group(1), sound.group(2)))
    return found


# Prompts the controller plays outside the menus. To callers, in their language: a queue's
# call-back offer and its confirmation, the message of a full queue.
CONTROLLER_PROMPTS: tuple[str, ...] = (
    "overflow-callback-offer",
    "callback-confirmed",
    "overflow-no-operators",
)
# To operators, in Kazakh and Russian at once (as hotline/kk/<id>): feature codes
# (hotline.controller.operator_codes) and the remote operator's "press 1"
# (hotline.controller.confirm).
OPERATOR_PROMPTS: tuple[str, ...] = (
    "operator-enter-pin",
    "operator-pin-wrong",
    "operator-logged-in",
    "operator-logged-out",
    "operator-paused",
    "operator-ready",
    "operator-refused",
    "operator-press-1",
    "operator-caller-language-kk",
    "operator-caller-language-ru",
    "operator-caller-language-en",
)


def menu_prompt_ids(config: HotlineConfig) -> list[str]:
    """The prompt ids a hotline's menu plays, in the order a caller meets them."""
    menu = config.menu
    ids = [menu.language_prompt]
    if menu.greeting is not None:
        ids.append(menu.greeting)
    if menu.emergency is not None:
        ids.append(menu.emergency.announcement)
    ids += [prompt for node in menu.nodes.values() for _, prompt in node.prompts()]
    ids.append(menu.invalid_prompt)
    ids.append(config.closed_prompt)
    ids += [rule.prompt for q in config.queues for rule in q.overflow if rule.prompt]
    if config.closing.prompt is not None:
        ids.append(config.closing.prompt)
    return list(dict.fromkeys(ids))


def menu_prompt_fields(config: HotlineConfig) -> list[tuple[Loc, str]]:
    """Each prompt field of a hotline's menu with its field path, as `menu_prompt_ids` lists
    them; the closed prompt only when the hotline may close."""
    menu = config.menu
    fields: list[tuple[Loc, str]] = [(("menu", "language_prompt"), menu.language_prompt)]
    if menu.greeting is not None:
        fields.append((("menu", "greeting"), menu.greeting))
    if menu.emergency is not None:
        fields.append((("menu", "emergency", "announcement"), menu.emergency.announcement))
    fields += [
        (("menu", "nodes", name, *loc), prompt)
        for name, node in menu.nodes.items()
        for loc, prompt in node.prompts()
    ]
    fields.append((("menu", "invalid_prompt"), menu.invalid_prompt))
    if config.may_close:
        fields.append((("menu", "closed_prompt"), config.closed_prompt))
    fields += [
        (("queues", index, "overflow", rule_index, "prompt"), rule.prompt)
        for index, queue in enumerate(config.queues)
        for rule_index, rule in enumerate(queue.overflow)
        if rule.prompt is not None
    ]
    if config.closing.prompt is not None:
        fields.append((("closing", "prompt"), config.closing.prompt))
    return fields


def missing_prompt_texts(config: HotlineConfig, manifest: Manifest) -> list[tuple[Loc, str]]:
    """For `hotline check-config`: each menu prompt field whose prompt has no text in the
    manifest for some language the hotline offers (no WAV check: `hotline prompts check`)."""
    problems: list[tuple[Loc, str]] = []
    for loc, prompt_id in menu_prompt_fields(config):
        if prompt_id not in manifest.prompts:
            problems.append((loc, f"prompt {prompt_id!r} is not in {manifest.file}"))
            continue
        for language in config.languages:
            if manifest.get(prompt_id, language) is None:
                problems.append(
                    (loc, f"prompt {prompt_id!r} has no {language!r} text in {manifest.file}")
                )
    return problems


def check_prompts(
    prompts_dir: Path,
    manifest: Manifest,
    hotlines: Iterable[HotlineConfig],
    dialplan: Path | None = None,
) -> list[str]:
    """One line per problem (empty: all good). `dialplan`: an extensions.conf whose own
    sounds must be there too."""
    problems: list[str] = []
    fragment_ids = [
        entry.prompt_id for entry in manifest.entries() if entry.origin == FRAGMENTS_ORIGIN
    ]
    for config in hotlines:
        prompt_ids = [*menu_prompt_ids(config), *HOLD_PROMPTS]
        for language in config.languages:
            for prompt_id in [*prompt_ids, *fragment_ids]:
                if prompt_id in fragment_ids and manifest.get(prompt_id, language) is None:
                    continue  # a fragment this language does not use (no ordinals in ru)
                problem = _problem(prompts_dir, manifest, prompt_id, language)
                if problem:
                    problems.append(f"hotline {config.id} ({language}): {prompt_id}: {problem}")
    for config in hotlines:
        for language in config.languages:
            for prompt_id in CONTROLLER_PROMPTS:
                problem = _problem(prompts_dir, manifest, prompt_id, language)
                if problem:
                    problems.append(f"hotline {config.id} ({language}): {prompt_id}: {problem}")
    for prompt_id in OPERATOR_PROMPTS:
        problem = _problem(prompts_dir, manifest, prompt_id, "kk")
        if problem:
            problems.append(f"operators (kk): {prompt_id}: {problem}")
    if dialplan is not None:
        for line, sound_language, prompt_id in dialplan_sounds(dialplan):
            problem = _problem(prompts_dir, manifest, prompt_id, sound_language)
            if problem:
                problems.append(
                    f"{dialplan}:{line}: hotline/{sound_language}/{prompt_id}: {problem}"
                )
    return list(dict.fromkeys(problems))


def _problem(prompts_dir: Path, manifest: Manifest, prompt_id: str, language: str) -> str | None:
    wav = prompts_dir / language / f"{prompt_id}.wav"
    missing_text = manifest.get(prompt_id, language) is None
    if missing_text and not wav.exists():
        return f"not in {manifest.file} and no {wav}"
    if missing_text:
        return f"not in {manifest.file} (run with a text for {language})"
    if not wav.exists():
        return f"no {wav} (run `hotline prompts build`)"
    found = wav_format(wav)
    if found is None:
        return f"{wav} is not a PCM WAV file"
    if not found.playable:
        return (
            f"{wav} is {found.rate_hz} Hz, {found.sample_width_bytes * 8}-bit, "
            f"{found.channels} channel(s), {found.frames} frames; needs 8000 Hz 16-bit mono"
        )
    return None
