"""FastAGI command parsing and the static parts of res_agi's replies (Asterisk 22.10.1).

Pure functions and tables; the session in hotline.sim.fastagi_client runs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEAD_CHANNEL = "511 Command Not Permitted on a dead channel or intercept routine"
DEAD_TEXT = DEAD_CHANNEL[4:]
UNKNOWN_COMMAND = "510 Invalid or unknown command"
USAGE_FIRST = "520-Invalid command syntax.  Proper usage follows:"
USAGE_LAST = "520 End of proper usage."


def parse_args(line: str) -> list[str]:
    """Split a command line as res_agi's parse_args does.

    Space and tab separate words; double quotes group (and vanish); a backslash takes
    the next character literally. Nothing else is special: a `\\r` stays in the word.

    >>> parse_args('SET VARIABLE QUOTED "a \\\\"quoted\\\\" value"')
    ['SET', 'VARIABLE', 'QUOTED', 'a "quoted" value']
    >>> parse_args('STREAM FILE x ""')
    ['STREAM', 'FILE', 'x', '']
    """
    words: list[str] = []
    current: list[str] = []
    started = quoted = escaped = False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = started = True
        elif char == '"':
            quoted = not quoted
            started = True
        elif char in " \t" and not quoted:
            if started:
                words.append("".join(current))
                current, started = [], False
        else:
            current.append(char)
            started = True
    if started:
        words.append("".join(current))
    return words


@dataclass(frozen=True)
class CommandSpec:
    """One AGI command: its words, argument counts (whole argv) and dead-channel rule."""

    words: tuple[str, ...]
    min_argc: int
    max_argc: int
    allowed_dead: bool
    usage: tuple[str, ...] = field(default=())


_USAGE = {
    "GET DATA": (
        "Stream the given <replaceable>file</replaceable>, and receive DTMF data.",
        "Returns the digits received from the channel at the other end.",
    ),
    "GET VARIABLE": (
        "Returns <literal>0</literal> if <replaceable>variablename</replaceable> is not set."
        " Returns <literal>1</literal> if <replaceable>variablename</replaceable> is set and"
        " returns the variable in parentheses.",
        "Example return code: 200 result=1 (testvariable)",
    ),
    "SET VARIABLE": ("Sets a variable to the current channel.",),
    "STREAM FILE": (
        "Send the given file, allowing playback to be interrupted by the given digits, if any.",
    ),
    "WAIT FOR DIGIT": (
        "Waits up to <replaceable>timeout</replaceable> milliseconds for channel to receive"
        " a DTMF digit.",
    ),
    "GET FULL VARIABLE": (
        "Evaluates the given <replaceable>expression</replaceable> against the channel"
        " specified by <replaceable>variablename</replaceable>, or the current channel if"
        " <replaceable>channelname</replaceable> is not set.",
    ),
    "EXEC": (
        "Executes <replaceable>application</replaceable> with given"
        " <replaceable>options</replaceable>.",
    ),
    "VERBOSE": (
        "Sends <replaceable>message</replaceable> to the console via verbose message system."
        " <replaceable>level</replaceable> is the verbose level (1-4).",
    ),
    "SET MUSIC": (
        "Enables/Disables the music on hold generator. If <replaceable>class</replaceable> is"
        " not specified, then the <literal>default</literal> music on hold class will be used."
        " This generator will be stopped automatically when playing a file.",
    ),
    "SAY DIGITS": (
        "Say a given digit string, returning early if any of the given DTMF digits"
        " are received on the channel.",
    ),
    "CHANNEL STATUS": (
        "Returns the status of the specified <replaceable>channelname</replaceable>."
        " If no channel name is given then returns the status of the current"
        " channel.",
    ),
}

_SPECS = [
    CommandSpec(("ANSWER",), 1, 99, allowed_dead=False),
    CommandSpec(("CHANNEL", "STATUS"), 2, 3, allowed_dead=False),
    CommandSpec(("STREAM", "FILE"), 4, 5, allowed_dead=False),
    CommandSpec(("GET", "DATA"), 3, 5, allowed_dead=False),
    CommandSpec(("WAIT", "FOR", "DIGIT"), 4, 4, allowed_dead=False),
    CommandSpec(("SET", "VARIABLE"), 4, 4, allowed_dead=True),
    CommandSpec(("GET", "VARIABLE"), 3, 3, allowed_dead=True),
    CommandSpec(("GET", "FULL", "VARIABLE"), 4, 5, allowed_dead=True),
    CommandSpec(("VERBOSE",), 2, 3, allowed_dead=True),
    CommandSpec(("EXEC",), 2, 99, allowed_dead=True),
    CommandSpec(("HANGUP",), 1, 2, allowed_dead=False),
    CommandSpec(("SET", "MUSIC"), 3, 4, allowed_dead=False),
    CommandSpec(("SAY", "DIGITS"), 4, 5, allowed_dead=False),
    CommandSpec(("NOOP",), 1, 99, allowed_dead=True),
]
COMMANDS = [
    CommandSpec(s.words, s.min_argc, s.max_argc, s.allowed_dead, _USAGE.get(" ".join(s.words), ()))
    for s in _SPECS
]


def find_command(argv: list[str]) -> CommandSpec | None:
    """The command whose words start argv (case-insensitive), longest match first."""
    upper = [word.upper() for word in argv]
    best: CommandSpec | None = None
    for spec in COMMANDS:
        n = len(spec.words)
        if tuple(upper[:n]) == spec.words and (best is None or n > len(best.words)):
            best = spec
    return best


def usage_lines(spec: CommandSpec) -> list[str]:
    """The 520 reply after its first line (res_agi sends the rest about 45 ms later)."""
    return [*spec.usage, USAGE_LAST]
