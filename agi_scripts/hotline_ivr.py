#!/usr/bin/env python3
"""The hotline menu as a classic AGI script: `AGI(hotline_ivr.py,<hotline id>)`.

Asterisk forks this file for every call, so it must reach its first AGI command fast. It
imports only pyst2 and PyYAML first, reads three fields of the hotline's raw YAML and sends
the language choice (`GET DATA hotline/<first language>/<language_prompt> <timeout> 1`).
While that command waits for the caller, a thread loads everything else: the validated
configuration, the opening hours (`hotline.shifts.is_open`) and the emergency mode (Redis).
Then the IVR machine takes over (hotline.agi.classic). The self-service look-ups (SQL) are
built only when the caller starts typing a number (`LazyLookup`).

At the end the script leaves channel variables for the dialplan, which hands the call to
the controller's FastAGI script `ivr-result` (queueing, call-back, the call record):
HOTLINE_IVR_RESULT (enqueue | callback | self_served | closed | abandoned | failed),
HOTLINE_QUEUE, HOTLINE_TOPIC, HOTLINE_PRIORITY (enqueue and callback), HOTLINE_LANG,
HOTLINE_IVR_NODE, HOTLINE_IVR_PATH, HOTLINE_ARRIVED (epoch seconds, "%.3f") and
HOTLINE_LOOKUP_RESULT (the last look-up's result, empty without one).
Any error: HOTLINE_IVR_RESULT=failed and exit status 0, so the dialplan sends the caller to
the fallback group instead of dropping them.

Environment: HOTLINE_CONFIG_DIR (default: the repository's config/), HOTLINE_REDIS_URL
(default redis://127.0.0.1:6379/0), HOTLINE_DATABASE_URL (look-ups answer "error" without
it), HOTLINE_IIN_KEY / HOTLINE_IIN_KEY_FILE.
"""

import time

# HOTLINE_TIME_OFFSET_S: seconds added to this machine's clock. Only the simulator sets it
# (its clock runs at another time of day); on a real Asterisk host it is unset.
TIME_OFFSET_S = float(__import__("os").environ.get("HOTLINE_TIME_OFFSET_S") or 0)
ARRIVED = time.time() + TIME_OFFSET_S

import importlib  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import traceback  # noqa: E402
from typing import Any  # noqa: E402

from asterisk.agi import AGI  # noqa: E402

from hotline.agi.env import AgiEnvRefused, read_classic_env  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_LANGUAGE_TIMEOUT_S = 5.0  # hotline.config.menu.MenuConfig.language_timeout_s
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # hotline.config.loader._ID_RE


def log(message: str) -> None:
    sys.stderr.write(f"hotline_ivr.py[{os.getpid()}]: {message}\n")
    sys.stderr.flush()


class _Quiet:
    """pyst2 writes every line it reads and sends to stderr (Asterisk's console)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


class CheckedAgi(AGI):
    """pyst2's AGI with our strict env block instead of its own reader, which keeps the
    last of repeated keys and stops at a caller's blank line (`hotline.agi.env`)."""

    def _get_agi_env(self) -> None:
        self.env = dict(read_classic_env(self.stdin.fileno()).raw)


def hotline_file(hotline_id: str) -> str | None:
    """As hotline.config.find_hotline: an existing path as given, else
    `<HOTLINE_CONFIG_DIR or config/>/hotlines/<id>.yaml`."""
    if os.path.isfile(hotline_id):
        return hotline_id
    if not _ID_RE.match(hotline_id):
        return None
    config_dir = os.environ.get("HOTLINE_CONFIG_DIR") or os.path.join(REPO_ROOT, "config")
    path = os.path.join(config_dir, "hotlines", f"{hotline_id}.yaml")
    return path if os.path.isfile(path) else None


def first_question(hotline_id: str) -> tuple[str, str, float] | None:
    """(language, prompt, timeout_s) of the language choice, from the raw YAML; None when
    the hotline has one language (or the file cannot be read: the full load will say why)."""
    path = hotline_file(hotline_id)
    if path is None:
        return None
    try:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with open(path, encoding="utf-8") as file:
            data = yaml.load(file, Loader=loader)
        languages = data["languages"]
        menu = data["menu"]
        if not isinstance(languages, list) or len(languages) < 2:
            return None
        timeout_s = float(menu.get("language_timeout_s", DEFAULT_LANGUAGE_TIMEOUT_S))
        return str(languages[0]), str(menu["language_prompt"]), timeout_s
    except Exception as exc:
        log(f"cannot read {path} for the first question: {exc!r}")
        return None


class Loaded:
    """What the loader thread prepares while the caller chooses a language."""

    def __init__(self) -> None:
        self.config: Any = None
        self.open_now = True
        self.emergency = False
        self.lookup: Any = None
        self.error: BaseException | None = None


def read_emergency(hotline_id: str) -> bool:
    """The hotline's mode in Redis (hotline.queue.mode); any error: normal."""
    try:
        import redis

        from hotline.queue.keys import AcdKeys
        from hotline.queue.mode import EMERGENCY

        url = os.environ.get("HOTLINE_REDIS_URL") or DEFAULT_REDIS_URL
        client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            value = client.get(AcdKeys(hotline_id).mode)
        finally:
            client.close()
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return bool(value == EMERGENCY)
    except Exception as exc:
        log(f"cannot read the mode of hotline {hotline_id} ({exc!r}): normal menu")
        return False


def build_lookup(hotline_id: str) -> Any:
    """`lookup(action) -> result` through hotline.selfservice; "error" when unavailable."""

    def unavailable(action: Any) -> str:
        return "error"

    url = os.environ.get("HOTLINE_DATABASE_URL")
    if not url:
        return unavailable
    try:
        from hotline.ivr.iin import IinHasher, IinKeyError, load_iin_key
        from hotline.lists.db import make_engine
        from hotline.selfservice import SelfService

        try:
            hasher: Any = IinHasher(load_iin_key(os.environ))
        except IinKeyError:
            hasher = None
        # The controller's engine options (connect timeout, no bound values in errors).
        service = SelfService(make_engine(url), hasher)
    except Exception as exc:
        log(f"self-service unavailable ({exc!r}): look-ups answer 'error'")
        return unavailable

    def lookup(action: Any) -> str:
        return str(service.lookup(action, hotline_id))

    return lookup


class LazyLookup:
    """The self-service look-ups, built only for a call that needs them.

    Building them imports SQLAlchemy and the self-service code: about half a second of CPU,
    twice what the rest of the script costs, for the few calls that look something up. So
    it starts in a thread when the caller begins to type a number (`prefetch`, while they
    press its keys) and the look-up waits for it."""

    def __init__(self, hotline_id: str) -> None:
        self._hotline_id = hotline_id
        self._built: list[Any] = []
        self._thread: threading.Thread | None = None

    def prefetch(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._build, daemon=True)
            self._thread.start()

    def _build(self) -> None:
        self._built.append(build_lookup(self._hotline_id))

    def __call__(self, action: Any) -> str:
        self.prefetch()
        assert self._thread is not None
        self._thread.join()
        return str(self._built[0](action))


def load(hotline_id: str, loaded: Loaded) -> None:
    try:
        if REPO_ROOT not in sys.path and os.path.isdir(os.path.join(REPO_ROOT, "hotline")):
            sys.path.append(REPO_ROOT)
        from hotline.config import find_hotline, load_hotline
        from hotline.shifts import is_open

        config = load_hotline(find_hotline(hotline_id))
        loaded.open_now = is_open(config, time.time() + TIME_OFFSET_S)
        if config.menu.emergency is not None:
            loaded.emergency = read_emergency(config.id)
        loaded.lookup = LazyLookup(config.id)
        # imported here, off the caller's time
        importlib.import_module("hotline.agi.classic")
        importlib.import_module("hotline.ivr.machine")

        loaded.config = config
    except BaseException as exc:
        loaded.error = exc


def run(agi: AGI, hotline_id: str) -> None:
    question = first_question(hotline_id)
    loaded = Loaded()
    loader = threading.Thread(target=load, args=(hotline_id, loaded), daemon=True)
    first_reply: Any = None
    if question is not None:
        language, prompt, timeout_s = question
        first_file = f"hotline/{language}/{prompt}"
        try:
            agi.send_command("GET DATA", first_file, str(int(timeout_s * 1000)), "1")
        except Exception as exc:
            first_reply = exc
        loader.start()
        if first_reply is None:
            try:
                first_reply = agi.get_result()
            except Exception as exc:
                first_reply = exc
    else:
        loader.start()
    loader.join()
    if loaded.error is not None:
        raise loaded.error

    from hotline.agi.classic import ClassicDriver, Reply, result_variables
    from hotline.ivr.actions import CollectDigits, Finish, Hangup
    from hotline.ivr.events import CallerHungUp
    from hotline.ivr.machine import IvrMachine

    machine = IvrMachine(loaded.config, open_now=loaded.open_now, emergency=loaded.emergency)
    lookup: LazyLookup = loaded.lookup

    class Driver(ClassicDriver):
        def send(self, action: Any) -> Reply:
            if isinstance(action, CollectDigits) and action.max_digits > 1:
                lookup.prefetch()  # a number being typed: a look-up may follow
            return super().send(action)

    driver = Driver(agi, lookup)
    action = machine.start()
    if question is not None:
        language, prompt, timeout_s = question
        sent = CollectDigits(prompt=prompt, language=language, max_digits=1, timeout_s=timeout_s)
        if isinstance(first_reply, BaseException):
            reply = Reply(error=first_reply)
        else:
            result, data = first_reply.get("result", ("", ""))
            reply = Reply(result=result, data=data)
        if action == sent:
            action = machine.handle(driver.event(sent, reply))
        else:
            # The raw YAML and the machine disagree: the machine's first action runs now.
            log(f"the first question sent was {sent!r}, the machine starts with {action!r}")
            if driver.event(sent, reply) == CallerHungUp():
                action = machine.handle(CallerHungUp())
    terminal = driver.run(machine, action)
    if isinstance(terminal, Hangup):
        driver.play_goodbye(terminal)
    # Where the menu ended: the node (or the step before the nodes) for the call record.
    node = terminal.node if isinstance(terminal, Finish) else machine.where
    variables = result_variables(
        terminal, machine.language, node, machine.path, ARRIVED, machine.lookup_result
    )
    for name, value in variables:
        driver.set_variable(name, value)


def main(argv: list[str]) -> int:
    hotline_id = argv[1] if len(argv) > 1 else ""
    try:
        agi = CheckedAgi(stderr=_Quiet())
    except AgiEnvRefused as exc:
        # No command at all: forged replies may wait in stdin. HOTLINE_IVR_RESULT stays
        # empty, so the dialplan's ivr-result records the call as failed and sends the
        # caller to the fallback. The message names what was wrong, never a value.
        log(f"AGI environment refused: {exc}")
        return 0
    except Exception:
        log("cannot read the AGI environment:\n" + traceback.format_exc())
        return 0
    try:
        if not hotline_id:
            raise ValueError("usage: hotline_ivr.py HOTLINE_ID")
        run(agi, hotline_id)
    except BaseException:
        log(f"hotline {hotline_id!r}: the menu failed:\n" + traceback.format_exc())
        try:
            # not agi.execute(): after a SIGHUP it refuses to send, and SET VARIABLE is
            # allowed on a dead channel
            agi.send_command("SET VARIABLE", "HOTLINE_IVR_RESULT", "failed")
            agi.get_result()
        except Exception as exc:
            log(f"cannot set HOTLINE_IVR_RESULT=failed: {exc!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
