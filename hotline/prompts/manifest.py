"""Load and validate `prompts/manifest.yaml`: prompt id -> language -> what it says.

A text is a string, said in the file's own language, or a list of segments `{<lang>: text}`,
each said in its own language (the language choice speaks every language it offers). The
YAML node tree is walked directly, so that every error names the file, the line and the field.
The speech fragments (`FRAGMENT_TEXTS`) join the manifest's prompts here: one list to render.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, get_args

import yaml

from hotline.config import Language
from hotline.ivr.speech_texts import FRAGMENT_TEXTS
from hotline.prompts.errors import ManifestError

FRAGMENTS_ORIGIN: Final = "hotline.ivr.speech_texts.FRAGMENT_TEXTS"
LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)
# The same alphabet as the config's prompt ids: they become Asterisk file names.
_PROMPT_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_STR_TAG: Final = "tag:yaml.org,2002:str"
_TOP_FIELDS: Final = ("languages", "prompts")


@dataclass(frozen=True)
class Segment:
    """Part of a prompt said in one language (one espeak-ng voice)."""

    language: Language
    text: str


@dataclass(frozen=True)
class PromptText:
    """What `<language>/<prompt_id>.wav` says, and where that was written (`FILE:LINE`)."""

    prompt_id: str
    language: Language
    segments: tuple[Segment, ...]
    origin: str
    # Speech fragments are played one after another: no leading or trailing silence.
    trim_silence: bool = False

    @property
    def file_name(self) -> str:
        """The file's path under the prompts directory: `kk/menu-109.wav`."""
        return f"{self.language}/{self.prompt_id}.wav"

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments)


@dataclass(frozen=True)
class Manifest:
    """Every prompt to render: the manifest's own, then the speech fragments."""

    file: str
    languages: tuple[Language, ...]
    prompts: Mapping[str, Mapping[Language, PromptText]]

    def entries(self, languages: tuple[Language, ...] | None = None) -> list[PromptText]:
        """The prompts in `languages` (default: all), in manifest order."""
        wanted = self.languages if languages is None else languages
        return [
            text
            for by_language in self.prompts.values()
            for language, text in by_language.items()
            if language in wanted
        ]

    def get(self, prompt_id: str, language: str) -> PromptText | None:
        for found_language, text in self.prompts.get(prompt_id, {}).items():
            if found_language == language:
                return text
        return None


def default_prompts_dir() -> Path:
    """The repository's `prompts/` directory (installed as `<astdatadir>/sounds/hotline`)."""
    return Path(__file__).resolve().parents[2] / "prompts"


def default_manifest_path() -> Path:
    return default_prompts_dir() / "manifest.yaml"


def load_manifest(
    path: str | Path,
    *,
    fragments: Mapping[str, Mapping[str, str]] = FRAGMENT_TEXTS,
) -> Manifest:
    """Read `path` and add `fragments` (language -> id -> text); raise `ManifestError`."""
    file = str(path)
    try:
        text = Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(file, None, "", "file not found") from None
    except UnicodeDecodeError as exc:
        raise ManifestError(file, None, "", f"not UTF-8 text: {exc.reason}") from None
    except OSError as exc:
        raise ManifestError(file, None, "", f"cannot read: {exc.strerror}") from None
    return _Reader(file).manifest(_compose(file, text), fragments)


def _compose(file: str, text: str) -> yaml.Node:
    try:
        node: yaml.Node | None = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = "; ".join(part for part in (exc.context, exc.problem) if part)
        raise ManifestError(file, line, "", f"YAML syntax error: {what}") from None
    except yaml.YAMLError as exc:
        raise ManifestError(file, 1, "", f"YAML error: {exc}") from None
    if node is None:
        raise ManifestError(file, 1, "", "the file is empty")
    return node


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    """Walks the composed YAML tree of one file, failing at the first problem."""

    def __init__(self, file: str) -> None:
        self._file = file

    def _error(self, node: yaml.Node, field: str, message: str) -> ManifestError:
        return ManifestError(self._file, _line(node), field, message)

    def manifest(self, root: yaml.Node, fragments: Mapping[str, Mapping[str, str]]) -> Manifest:
        top = self._mapping(root, "", "expected a mapping with `languages` and `prompts`")
        for field in _TOP_FIELDS:
            if field not in top:
                raise self._error(root, field, "required field is missing")
        languages = self._languages(top["languages"][0], top["languages"][1])
        prompts_key, prompts_node = top["prompts"]
        entries = self._mapping(prompts_node, "prompts", "expected a mapping: prompt id -> texts")
        if not entries:
            raise self._error(prompts_key, "prompts", "no prompts")
        prompts: dict[str, dict[Language, PromptText]] = {}
        for prompt_id, (key_node, value_node) in entries.items():
            field = f"prompts.{prompt_id}"
            if not _PROMPT_RE.match(prompt_id):
                raise self._error(key_node, field, "not a valid prompt id (a-z, 0-9, '_', '-')")
            if any(prompt_id in by_id for by_id in fragments.values()):
                raise self._error(
                    key_node, field, f"is a speech fragment id: its text is in {FRAGMENTS_ORIGIN}"
                )
            prompts[prompt_id] = self._prompt(prompt_id, key_node, value_node, languages)
        for language in languages:
            for fragment_id, text in fragments.get(language, {}).items():
                segment = Segment(language, text)
                prompts.setdefault(fragment_id, {})[language] = PromptText(
                    fragment_id, language, (segment,), FRAGMENTS_ORIGIN, trim_silence=True
                )
        return Manifest(self._file, languages, prompts)

    def _mapping(
        self, node: yaml.Node, field: str, expected: str
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self._error(node, field, expected)
        result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            dotted = f"{field}.{key}" if field else key
            if key in result:
                raise self._error(key_node, dotted, "duplicate key")
            result[key] = (key_node, value_node)
        unknown = [key for key in result if not field and key not in _TOP_FIELDS]
        if unknown:
            raise self._error(result[unknown[0]][0], unknown[0], "unknown field")
        return result

    def _languages(self, key_node: yaml.Node, node: yaml.Node) -> tuple[Language, ...]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self._error(node, "languages", "expected a list such as [kk, ru, en]")
        languages: list[Language] = []
        for index, item in enumerate(node.value):
            language = self._language(item, f"languages.{index}")
            if language in languages:
                raise self._error(item, f"languages.{index}", f"{language!r} listed twice")
            languages.append(language)
        return tuple(languages)

    def _language(self, node: yaml.Node, field: str) -> Language:
        value = node.value if isinstance(node, yaml.ScalarNode) else None
        for language in LANGUAGES:
            if value == language:
                return language
        raise self._error(node, field, f"unknown language {value!r} (one of kk, ru, en)")

    def _prompt(
        self,
        prompt_id: str,
        key_node: yaml.Node,
        node: yaml.Node,
        languages: tuple[Language, ...],
    ) -> dict[Language, PromptText]:
        field = f"prompts.{prompt_id}"
        texts = self._mapping(node, field, "expected a mapping: language -> text")
        result: dict[Language, PromptText] = {}
        for name, (lang_node, text_node) in texts.items():
            language = self._language(lang_node, f"{field}.{name}")
            if language not in languages:
                raise self._error(
                    lang_node, f"{field}.{name}", f"not among the manifest's languages {languages}"
                )
            segments = self._segments(text_node, f"{field}.{name}", language)
            origin = f"{self._file}:{_line(text_node)}"
            result[language] = PromptText(prompt_id, language, segments, origin)
        missing = [language for language in languages if language not in result]
        if missing:
            raise self._error(key_node, field, f"no text in {', '.join(missing)}")
        return {language: result[language] for language in languages}

    def _segments(self, node: yaml.Node, field: str, language: Language) -> tuple[Segment, ...]:
        if isinstance(node, yaml.ScalarNode):
            return (Segment(language, self._text(node, field)),)
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self._error(node, field, "expected a text, or a list of {language: text}")
        segments: list[Segment] = []
        for index, item in enumerate(node.value):
            item_field = f"{field}.{index}"
            parts = self._mapping(item, item_field, "expected {language: text}")
            if len(parts) != 1:
                raise self._error(item, item_field, "expected exactly one {language: text}")
            ((name, (lang_node, text_node)),) = parts.items()
            segment_language = self._language(lang_node, f"{item_field}.{name}")
            segments.append(Segment(segment_language, self._text(text_node, item_field)))
        return tuple(segments)

    def _text(self, node: yaml.Node, field: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _STR_TAG:
            raise self._error(node, field, "expected a text (a string)")
        text = " ".join(str(node.value).split())
        if not text:
            raise self._error(node, field, "empty text")
        return text
