"""extensions.conf: the parser, variable substitution and `$[...]` expressions.

Only the subset that config/asterisk/extensions.conf uses: contexts, `exten => X,P,App(args)`,
`same => n(label),App(args)`, `[globals]` (`[general]` is read and ignored), `;` comments.
The applications themselves run in hotline.sim.apps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hotline.sim.errors import DialplanError

_APP = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\s*(?:\((.*)\))?$")
_PRIORITY = re.compile(r"^(\d+|n)(?:\(([A-Za-z0-9_-]+)\))?$")


@dataclass(frozen=True)
class Step:
    """One priority of an extension."""

    priority: int
    label: str | None
    app: str
    args: str
    line: int


@dataclass
class Dialplan:
    globals: dict[str, str] = field(default_factory=dict)
    contexts: dict[str, dict[str, list[Step]]] = field(default_factory=dict)

    def step(self, context: str, exten: str, priority: int) -> Step | None:
        for step in self.contexts.get(context, {}).get(exten, []):
            if step.priority == priority:
                return step
        return None

    def has_exten(self, context: str, exten: str) -> bool:
        return exten in self.contexts.get(context, {})

    def resolve_priority(self, context: str, exten: str, priority: str) -> int | None:
        """A priority number or label of `exten` in `context`, or None if there is none."""
        if priority.isdigit():
            return int(priority)
        for step in self.contexts.get(context, {}).get(exten, []):
            if step.label == priority:
                return step.priority
        return None


def _strip_comment(line: str) -> str:
    out: list[str] = []
    escaped = False
    for char in line:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char == ";":
            break
        else:
            out.append(char)
    return "".join(out).strip()


class _Parser:
    def __init__(self, path: str) -> None:
        self.path = path
        self.plan = Dialplan()
        self.section: str | None = None
        self.last: tuple[str, int] | None = None  # extension and priority of the last line

    def fail(self, lineno: int, message: str) -> DialplanError:
        return DialplanError(self.path, lineno, message)

    def line(self, lineno: int, raw: str) -> None:
        text = _strip_comment(raw)
        if not text:
            return
        if text.startswith("#"):
            raise self.fail(lineno, f"unsupported directive {text.split()[0]}")
        if text.startswith("["):
            if not text.endswith("]") or len(text) < 3:
                raise self.fail(lineno, f"bad section header {text!r}")
            self.section = text[1:-1].strip()
            self.last = None
            if self.section not in ("general", "globals"):
                if self.section in self.plan.contexts:
                    raise self.fail(lineno, f"context [{self.section}] defined twice")
                self.plan.contexts[self.section] = {}
            return
        if self.section is None:
            raise self.fail(lineno, "line outside of any [section]")
        key, sep, value = text.partition("=")
        if not sep:
            raise self.fail(lineno, f"expected 'key = value' or 'exten =>', got {text!r}")
        key, value = key.strip(), value.lstrip(">").strip()
        if self.section == "general":
            return
        if self.section == "globals":
            self.plan.globals[key] = value
            return
        if key == "exten":
            self.extension_line(lineno, value)
        elif key == "same":
            if self.last is None:
                raise self.fail(lineno, "'same =>' without an 'exten =>' before it")
            self.add(lineno, self.last[0], value)
        else:
            raise self.fail(lineno, f"unknown directive {key!r} in [{self.section}]")

    def extension_line(self, lineno: int, value: str) -> None:
        exten, sep, rest = value.partition(",")
        if not sep or not exten.strip():
            raise self.fail(lineno, f"expected 'exten => EXT,PRIORITY,App(args)', got {value!r}")
        self.last = None
        self.add(lineno, exten.strip(), rest)

    def add(self, lineno: int, exten: str, rest: str) -> None:
        priority_text, sep, app_text = rest.partition(",")
        match = _PRIORITY.match(priority_text.strip())
        if not sep or match is None:
            raise self.fail(lineno, f"bad priority in {rest!r}")
        number, label = match.group(1), match.group(2)
        assert self.section is not None
        steps = self.plan.contexts[self.section].setdefault(exten, [])
        if number == "n":
            if self.last is None or self.last[0] != exten:
                raise self.fail(lineno, f"priority 'n' of {exten} has no priority before it")
            priority = self.last[1] + 1
        else:
            priority = int(number)
        if any(step.priority == priority for step in steps):
            raise self.fail(lineno, f"duplicate priority {priority} of {exten}")
        if label is not None and any(step.label == label for step in steps):
            raise self.fail(lineno, f"duplicate label {label!r} in {exten}")
        app = _APP.match(app_text.strip())
        if app is None:
            raise self.fail(lineno, f"bad application call {app_text.strip()!r}")
        steps.append(Step(priority, label, app.group(1), app.group(2) or "", lineno))
        self.last = (exten, priority)


def parse_dialplan(text: str, path: str = "extensions.conf") -> Dialplan:
    """Parse extensions.conf text; errors are DialplanError naming `path` and the line."""
    parser = _Parser(path)
    for lineno, raw in enumerate(text.splitlines(), start=1):
        parser.line(lineno, raw)
    return parser.plan


def load_dialplan(path: Path) -> Dialplan:
    return parse_dialplan(path.read_text(encoding="utf-8"), str(path))


# --- substitution -------------------------------------------------------------------

Lookup = Callable[[str], "str | None"]


def _closing(text: str, start: int, opening: str, closing: str) -> int:
    """Index of the bracket closing the one at `start`, or -1."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == opening:
            depth += 1
        elif text[index] == closing:
            depth -= 1
            if depth == 0:
                return index
    return -1


def substitute(text: str, lookup: Lookup) -> str:
    """Expand `${NAME}` (via `lookup`, unset is empty) and `$[expression]`, innermost first.

    >>> substitute('$["${A}" = "x"]?yes', {"A": "x"}.get)
    '1?yes'
    """
    out: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith("${", index) or text.startswith("$[", index):
            opening = text[index + 1]
            closing = "}" if opening == "{" else "]"
            end = _closing(text, index + 1, opening, closing)
            if end < 0:
                out.append(text[index:])
                break
            inner = substitute(text[index + 2 : end], lookup)
            if opening == "{":
                out.append(lookup(inner) or "")
            else:
                out.append(evaluate(inner))
            index = end + 1
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))')
_COMPARISON = re.compile(r"(!=|<=|>=|=|<|>)")


def _tokens(expression: str) -> list[tuple[str, str]]:
    """(kind, text) with kind 'op' or 'value'; quotes are dropped as Asterisk's expr does.

    `+` and `-` are operators only as words of their own, so `400-100` stays one value.
    """
    tokens: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(expression):
        quoted, bare = match.groups()
        if quoted is not None:
            tokens.append(("value", quoted))
        elif bare in ("+", "-"):
            tokens.append(("op", bare))
        elif bare is not None:
            for part in _COMPARISON.split(bare):
                if part:
                    tokens.append(("op" if _COMPARISON.fullmatch(part) else "value", part))
    return tokens


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _format(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def evaluate(expression: str) -> str:
    """A `$[...]` expression: `a = b`, `a != b`, `<`, `>`, `<=`, `>=`, `+`, `-`.

    Comparisons are numeric when both sides are numbers, else string comparisons; the
    result is "1" or "0" as in Asterisk.

    >>> evaluate('"hold" = "hold"'), evaluate('"" != ""'), evaluate("2 + 1")
    ('1', '0', '3')
    """
    tokens = _tokens(expression)
    if not tokens:
        return ""
    # + and - bind tighter than comparisons; evaluate left to right within each level
    values: list[str] = []
    ops: list[str] = []
    current = tokens[0][1] if tokens[0][0] == "value" else ""
    position = 1 if tokens[0][0] == "value" else 0
    while position < len(tokens):
        kind, text = tokens[position]
        right = tokens[position + 1][1] if position + 1 < len(tokens) else ""
        position += 2
        if kind == "op" and text in "+-":
            left_n, right_n = _number(current), _number(right)
            if left_n is None or right_n is None:
                return ""
            current = _format(left_n + right_n if text == "+" else left_n - right_n)
        else:
            values.append(current)
            ops.append(text)
            current = right
    values.append(current)
    result = values[0]
    for op, right in zip(ops, values[1:], strict=True):
        result = "1" if _compare(result, op, right) else "0"
    return result


def _compare(left: str, op: str, right: str) -> bool:
    left_n, right_n = _number(left), _number(right)
    a: float | str = left
    b: float | str = right
    if left_n is not None and right_n is not None:
        a, b = left_n, right_n
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    if isinstance(a, float) and isinstance(b, float):
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    sa, sb = str(a), str(b)
    return {"<": sa < sb, ">": sa > sb, "<=": sa <= sb, ">=": sa >= sb}[op]


def split_condition(data: str) -> tuple[str, str, str]:
    """GotoIf data `cond?iftrue:iffalse` into its three parts (either branch may be empty)."""
    condition, _, branches = data.partition("?")
    if_true, _, if_false = branches.partition(":")
    return condition.strip(), if_true.strip(), if_false.strip()


def goto_target(target: str, context: str, exten: str) -> tuple[str, str, str]:
    """`prio`, `ext,prio` or `ctx,ext,prio` relative to where the channel is."""
    parts = [part.strip() for part in target.split(",")]
    if len(parts) == 1:
        return context, exten, parts[0]
    if len(parts) == 2:
        return context, parts[0], parts[1]
    return parts[0], parts[1], parts[2]
