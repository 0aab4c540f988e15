"""A small valid hotline file for the loader tests, and helpers to break it line by line."""

from __future__ import annotations

from pathlib import Path

VALID_YAML = """\
# a minimal hotline for tests
id: t1
number: "999"
name: Test hotline
languages: [kk, ru]
hours: "24/7"
menu:
  nodes:
    main:
      prompt: menu-test
      options:
        "1": {queue_topic: general}
      after_tries: {queue_topic: general}
queues:
  - {id: general-kk, topic: general, language: kk}
  - {id: general-ru, topic: general, language: ru}
operators:
  - id: op1
    name: One
    dial: PJSIP/op1
    topics: [general]
    languages: [kk, ru]
shifts:
  - name: day
    days: [mon, tue]
    start: "08:00"
    end: "20:00"
    members:
      - op1
"""


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the only line containing `needle`."""
    hits = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) == 1, f"{needle!r} found on lines {hits}"
    return hits[0]


def replaced(old: str, new: str, text: str = VALID_YAML) -> str:
    assert text.count(old) == 1, f"{old!r} is not unique in the sample"
    return text.replace(old, new)


def write(tmp_path: Path, text: str, name: str = "t1.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# The prompts manifest for VALID_YAML: every prompt its menu plays, in kk and ru.
SAMPLE_MANIFEST = """\
languages: [kk, ru]
prompts:
  choose-language:
    kk: "Қазақ тілі үшін бірді басыңыз."
    ru: "Для русского языка нажмите два."
  invalid-choice:
    kk: "Қате таңдау."
    ru: "Неверный выбор."
  menu-test:
    kk: "Бірді басыңыз."
    ru: "Нажмите один."
  greeting-test:
    kk: "Сәлеметсіз бе!"
    ru: "Здравствуйте!"
"""
