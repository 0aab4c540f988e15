"""Prompt errors, by who is at fault: the manifest's author, the machine's setup, or a tool."""

from __future__ import annotations

from hotline.errors import HotlineError


class PromptsError(HotlineError):
    """Anything the prompts pipeline raises on purpose."""


class ManifestError(PromptsError):
    """The manifest cannot be used: `FILE:LINE: field: message`."""

    def __init__(self, file: str, line: int | None, field: str, message: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        where = file if line is None else f"{file}:{line}"
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


class ToolMissingError(PromptsError):
    """espeak-ng or sox is not installed: the message names the Debian package."""

    def __init__(self, tool: str, package: str) -> None:
        self.tool = tool
        self.package = package
        super().__init__(
            f"{tool} not found on PATH: rendering prompts needs it; install the Debian package "
            f"{package} (apt-get install -y {package})"
        )


class RenderError(PromptsError):
    """espeak-ng or sox ran but failed."""
