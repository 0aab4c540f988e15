"""Configuration errors: the operator's file is at fault, so every message names file and line."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.errors import HotlineError


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in one place: `FILE:LINE: field.path: message`.

    `line` is None when there is no line to point at (a missing file); `field` is empty when
    the problem is not about a field (a YAML syntax error).
    """

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if not self.field:
            return f"{where}: {self.message}"
        return f"{where}: {self.field}: {self.message}"


class ConfigError(HotlineError):
    """A hotline configuration cannot be used. `str()` gives one issue per line, in file order."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        if not issues:
            raise ValueError("ConfigError needs at least one issue")
        self.issues = tuple(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))

    @property
    def first(self) -> ConfigIssue:
        return self.issues[0]


class HotlineNotFoundError(ConfigError):
    """`find_hotline` got neither an existing path nor a known hotline id."""
