"""Load a hotline's YAML file into a `HotlineConfig`, with file and line in every error.

PyYAML is asked for the node tree first (`compose`), which knows the line of every mapping
key and sequence item; a field path -> line map built from it turns a pydantic error's `loc`
into `FILE:LINE: field.path: message`.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from hotline.config.errors import ConfigError, ConfigIssue, HotlineNotFoundError
from hotline.config.schema import DEFER_CROSS_CHECKS, HotlineConfig, Loc, cross_check

if TYPE_CHECKING:
    from hotline.prompts.manifest import Manifest

CONFIG_DIR_ENV = "HOTLINE_CONFIG_DIR"
PROMPTS_DIR_ENV = "HOTLINE_PROMPTS_DIR"
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's base-60 numbers.

    Plain YAML 1.1 reads `start: 20:00` as the integer 1200 (and `08:00` as a string);
    here times stay strings and only plain decimal numbers become numbers.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# (types-PyYAML leaves these methods untyped.)
_Loader.add_implicit_resolver(  # type: ignore[no-untyped-call]
    _INT_TAG, re.compile(r"^[-+]?(0|[1-9][0-9]*)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(  # type: ignore[no-untyped-call]
    _FLOAT_TAG,
    re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)

LineMap = dict[Loc, int]


def load_hotline(path: str | os.PathLike[str]) -> HotlineConfig:
    """Read, parse and validate one hotline file; raise `ConfigError` naming file and line."""
    return _load(str(path))[0]


def _load(file: str) -> tuple[HotlineConfig, LineMap]:
    text = _read(file)
    data, lines = _parse(file, text)
    try:
        config = HotlineConfig.model_validate(data, context={DEFER_CROSS_CHECKS: True})
    except ValidationError as exc:
        raise ConfigError(
            _sorted([_issue_from_pydantic(file, lines, error) for error in exc.errors()])
        ) from None
    problems = cross_check(config)
    if problems:
        raise ConfigError(_sorted([_issue(file, lines, loc, message) for loc, message in problems]))
    return config, lines


def _read(file: str) -> str:
    try:
        return Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigIssue(file, None, "", "file not found")]) from None
    except IsADirectoryError:
        raise ConfigError([ConfigIssue(file, None, "", "is a directory, not a file")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigIssue(file, None, "", f"not UTF-8 text: {exc.reason}")]) from None
    except OSError as exc:
        raise ConfigError([ConfigIssue(file, None, "", f"cannot read: {exc.strerror}")]) from None


def _parse(file: str, text: str) -> tuple[object, LineMap]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError([ConfigIssue(file, 1, "", "the file is empty")])
        data = loader.construct_document(node)  # type: ignore[no-untyped-call]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = "; ".join(part for part in (exc.context, exc.problem) if part)
        raise ConfigError([ConfigIssue(file, line, "", f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigIssue(file, 1, "", f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]
    lines: LineMap = {}
    duplicates: list[ConfigIssue] = []
    _map_lines(node, (), lines, duplicates, file)
    if duplicates:
        # PyYAML keeps the last of two equal keys without a word; a silent override of a
        # setting is worse than an error.
        raise ConfigError(duplicates)
    if not isinstance(data, dict):
        raise ConfigError(
            [ConfigIssue(file, 1, "", "expected a mapping of hotline settings (id, number, ...)")]
        )
    return data, lines


def _map_lines(
    node: yaml.Node, path: Loc, lines: LineMap, duplicates: list[ConfigIssue], file: str
) -> None:
    # A mapping value's path was already given its key's line; keep that (setdefault).
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                duplicates.append(
                    ConfigIssue(file, key_node.start_mark.line + 1, _dotted(child), "duplicate key")
                )
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _map_lines(value_node, child, lines, duplicates, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _map_lines(item, (*path, index), lines, duplicates, file)


def _locate(lines: LineMap, loc: Loc, *, name_missing: bool = True) -> tuple[int, Loc]:
    """The line of `loc` in the file, and `loc` as the file spells it.

    Parts of a pydantic `loc` that are not in the file are skipped: a missing field (the
    last part: its parent's line, the field still named unless `name_missing` is false) or
    a union member's tag (dropped from the name too).
    """
    found: Loc = ()
    for index, part in enumerate(loc):
        if (*found, part) in lines:
            found = (*found, part)
        elif index == len(loc) - 1 and name_missing:
            return lines.get(found, 1), (*found, part)
    return lines.get(found, 1), found


def _dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc)


def _issue(
    file: str, lines: LineMap, loc: Loc, message: str, *, name_missing: bool = True
) -> ConfigIssue:
    line, spelled = _locate(lines, loc, name_missing=name_missing)
    return ConfigIssue(file, line, _dotted(spelled), message)


def _issue_from_pydantic(file: str, lines: LineMap, error: ErrorDetails) -> ConfigIssue:
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        message = "unknown field (check its spelling and indentation)"
    elif kind == "missing":
        message = "required field is missing"
    else:
        message = error["msg"].removeprefix("Value error, ")
    # Only a missing field is named though not in the file; any other error's last part
    # not in the file is a union member's tag (a collect node's own check ends in
    # 'collect'), not a field.
    return _issue(file, lines, loc, message, name_missing=kind == "missing")


def _sorted(issues: list[ConfigIssue]) -> list[ConfigIssue]:
    return sorted(issues, key=lambda issue: issue.line or 0)


# --- finding files ---------------------------------------------------------------------------


def config_dir() -> Path:
    """`$HOTLINE_CONFIG_DIR`, else the repository's `config/` directory."""
    configured = os.environ.get(CONFIG_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "config"


def prompts_manifest_path() -> Path:
    """`$HOTLINE_PROMPTS_DIR/manifest.yaml`, else the repository's `prompts/manifest.yaml`."""
    configured = os.environ.get(PROMPTS_DIR_ENV)
    if configured:
        return Path(configured) / "manifest.yaml"
    return Path(__file__).resolve().parents[2] / "prompts" / "manifest.yaml"


def available_hotlines() -> list[str]:
    """The ids of the hotline files in `<config dir>/hotlines/`."""
    return sorted(path.stem for path in (config_dir() / "hotlines").glob("*.yaml"))


def find_hotline(id_or_path: str) -> Path:
    """An existing file path as given, else `<config dir>/hotlines/<id>.yaml`."""
    given = Path(id_or_path)
    if given.is_file():
        return given
    # Only a plain id is joined to the directory: "../x" must not reach outside it.
    if _ID_RE.match(id_or_path):
        candidate = config_dir() / "hotlines" / f"{id_or_path}.yaml"
        if candidate.is_file():
            return candidate
    known = ", ".join(available_hotlines()) or "none"
    raise HotlineNotFoundError(
        [
            ConfigIssue(
                id_or_path,
                None,
                "",
                f"no such file, and no hotline with this id in {config_dir() / 'hotlines'} "
                f"(known ids: {known})",
            )
        ]
    )


def check_config_main(
    paths: list[str], prompts_manifest: str | os.PathLike[str] | None = None
) -> int:
    """`hotline check-config FILE...`: validate each file; 0 if all are valid, else 1.

    Besides the file itself, every prompt its menu plays must have a text in the prompts
    manifest (`prompts_manifest`, default `prompts_manifest_path()`) in each language the
    hotline offers. `load_hotline` does not need the manifest; only this check reads it.
    """
    # Imported here: hotline.prompts imports hotline.config.
    from hotline.prompts.errors import ManifestError
    from hotline.prompts.manifest import load_manifest

    if not paths:
        print("usage: hotline check-config FILE|ID...", file=sys.stderr)
        return 2
    manifest_file = prompts_manifest_path() if prompts_manifest is None else Path(prompts_manifest)
    try:
        manifest = load_manifest(manifest_file)
    except ManifestError as exc:
        print(f"{exc} (the prompts manifest; see --prompts-manifest)", file=sys.stderr)
        return 1
    failed = False
    for given in paths:
        try:
            path = find_hotline(given)
            config = load_checked(path, manifest)
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            failed = True
            continue
        print(
            f"OK {path} (hotline {config.id}: {len(config.queues)} queues, "
            f"{len(config.operators)} operators, {len(config.shifts)} shifts)"
        )
    return 1 if failed else 0


def load_checked(path: str | os.PathLike[str], manifest: Manifest) -> HotlineConfig:
    """`load_hotline` plus the check that every prompt the menu plays has a text in
    `manifest` in each of the hotline's languages: what check-config and a reload accept."""
    from hotline.prompts.check import missing_prompt_texts

    config, lines = _load(str(path))
    problems = missing_prompt_texts(config, manifest)
    if problems:
        raise ConfigError(
            _sorted([_issue(str(path), lines, loc, message) for loc, message in problems])
        )
    return config
