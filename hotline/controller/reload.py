"""Reloading the hotline files of a running controller (SIGHUP to `hotline serve`).

A reload re-reads and re-validates every file the controller was started with, exactly as
`hotline check-config` does. A file that fails is logged with its errors and that hotline
keeps the configuration it had; the others take their new one. Only new calls see a new
configuration: a call in the menu keeps the machine (and so the configuration) it started
with, and calls waiting or talking are not touched. Adding or removing a hotline, or
changing a file's `id`, needs a restart (its Redis keys, AMI routing and metrics are set up
at start).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hotline.config import ConfigError, HotlineConfig, load_checked
from hotline.prompts.errors import ManifestError
from hotline.prompts.manifest import load_manifest

log = logging.getLogger(__name__)


@dataclass
class ReloadReport:
    """What a reload did, by hotline id: new configuration taken, unchanged, or kept
    because the file failed (with the error text)."""

    reloaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def read_hotline_files(
    sources: Mapping[str, Path], manifest_path: Path
) -> tuple[dict[str, HotlineConfig], dict[str, str]]:
    """Every file of `sources` (hotline id -> file) that validates, and the errors of the
    others by hotline id. Never raises for a bad file: a reload must not stop the server."""
    try:
        manifest = load_manifest(manifest_path)
    except ManifestError as exc:
        return {}, {hotline_id: f"prompts manifest: {exc}" for hotline_id in sources}
    configs: dict[str, HotlineConfig] = {}
    errors: dict[str, str] = {}
    for hotline_id, path in sources.items():
        try:
            config = load_checked(path, manifest)
        except ConfigError as exc:
            errors[hotline_id] = str(exc)
            continue
        if config.id != hotline_id:
            errors[hotline_id] = (
                f"{path}: id: changed from {hotline_id!r} to {config.id!r}; "
                "renaming a hotline needs a restart"
            )
            continue
        configs[hotline_id] = config
    return configs, errors


def log_report(report: ReloadReport) -> None:
    for hotline_id, error in sorted(report.failed.items()):
        log.error("reload: hotline %s keeps its configuration:\n%s", hotline_id, error)
    if report.reloaded:
        log.info("reload: new configuration for new calls of %s", ", ".join(report.reloaded))
    if report.unchanged:
        log.info("reload: unchanged: %s", ", ".join(report.unchanged))
