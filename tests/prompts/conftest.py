"""Fixtures for the prompt tests: a tiny manifest, and espeak-ng + sox required (never skipped)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hotline.prompts import Manifest, load_manifest

TINY_MANIFEST = """\
# A tiny manifest for tests.
languages: [kk, ru]
prompts:
  greet:
    kk: "Сәлеметсіз бе!"
    ru: "Здравствуйте!"
  choose:
    kk: &choose
      - kk: "Қазақ тілі үшін бірді басыңыз."
      - ru: "Для русского языка нажмите два."
    ru: *choose
"""


@pytest.fixture
def tools() -> None:
    """Fail (not skip) when the renderers are missing: scripts/setup installs them."""
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not on PATH: the prompt tests render audio; install the "
            "Debian packages espeak-ng and sox (apt-get install -y espeak-ng sox, scripts/setup)",
            pytrace=False,
        )


def write_manifest(directory: Path, text: str = TINY_MANIFEST) -> Path:
    path = directory / "manifest.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tiny_manifest_path(tmp_path: Path) -> Path:
    return write_manifest(tmp_path)


@pytest.fixture
def tiny_manifest(tiny_manifest_path: Path) -> Manifest:
    return load_manifest(tiny_manifest_path, fragments={})
