"""hotline.agi.classic: the IVR machine's actions over pyst2, against Asterisk's real reply
bytes (../shared/asterisk-reference/README.md, "AGI replies") fed through io streams."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from asterisk.agi import AGI

from hotline.agi.classic import ClassicDriver, quote, result_of, result_variables
from hotline.ivr.actions import (
    Action,
    Callback,
    CollectDigits,
    Enqueue,
    Finish,
    Hangup,
    Lookup,
    Play,
)
from hotline.ivr.events import (
    CallerHungUp,
    DigitsEntered,
    Event,
    LookupDone,
    NoInput,
    PlayFinished,
)

ENV = (
    b"agi_request: hotline_ivr.py\nagi_channel: PJSIP/trunk-00000001\nagi_language: en\n"
    b"agi_type: PJSIP\nagi_uniqueid: 1795316039.1\nagi_version: 22.10.1\n"
    b"agi_callerid: 7701\nagi_calleridname: unknown\nagi_callingpres: 0\n"
    b"agi_callingani2: 0\nagi_callington: 0\nagi_callingtns: 0\nagi_dnid: 1414\n"
    b"agi_rdnis: unknown\nagi_context: hotline-ivr\nagi_extension: s\nagi_priority: 3\n"
    b"agi_enhanced: 0.0\nagi_accountcode: \nagi_threadid: 139912345678912\n"
    b"agi_arg_1: 1414\n\n"
)
DEAD = b"511 Command Not Permitted on a dead channel or intercept routine\n"
CHOOSE = CollectDigits("choose-language", "kk", max_digits=1, timeout_s=5)
GREETING = Play("greeting-1414", "ru")


class FakeAsterisk:
    """Asterisk's replies queued on the script's stdin; what the script wrote on stdout."""

    def __init__(self, *replies: bytes) -> None:
        self.stdin = io.StringIO((ENV + b"".join(replies)).decode())
        self.stdout = io.StringIO()
        self.agi = AGI(stdin=self.stdin, stdout=self.stdout, stderr=io.StringIO())

    @property
    def commands(self) -> list[str]:
        return self.stdout.getvalue().splitlines()


def driver_for(*replies: bytes, lookup: object = None) -> tuple[ClassicDriver, FakeAsterisk]:
    fake = FakeAsterisk(*replies)

    def no_lookup(action: Lookup) -> str:
        raise AssertionError("no look-up expected")

    return ClassicDriver(fake.agi, lookup or no_lookup), fake  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _restore_sighup() -> Iterator[None]:
    import signal

    previous = signal.getsignal(signal.SIGHUP)
    yield
    signal.signal(signal.SIGHUP, previous)


def test_the_env_block_is_read() -> None:
    fake = FakeAsterisk()
    assert fake.agi.env["agi_request"] == "hotline_ivr.py"
    assert fake.agi.env["agi_arg_1"] == "1414"
    assert fake.agi.env["agi_accountcode"] == ""


@pytest.mark.parametrize(
    ("reply", "event"),
    [
        (b"200 result=0 endpos=8000\n", PlayFinished()),
        (b"200 result=57 endpos=18080\n", DigitsEntered("9")),
        (b"200 result=42 endpos=800\n", DigitsEntered("*")),
        (b"200 result=35 endpos=800\n", DigitsEntered("#")),
    ],
)
def test_play_is_stream_file_with_every_key_as_escape_digit(reply: bytes, event: Event) -> None:
    driver, fake = driver_for(reply)
    assert driver.perform(GREETING) == event
    assert fake.commands == ['STREAM FILE hotline/ru/greeting-1414 "0123456789*#" 0']


@pytest.mark.parametrize(
    ("reply", "event"),
    [
        (b"200 result= (timeout)\n", NoInput()),  # note the space: pyst2 finds no result
        (b"200 result=5 (timeout)\n", DigitsEntered("5")),
        (b"200 result=123\n", DigitsEntered("123")),
        (b"200 result=42\n", DigitsEntered("42")),
    ],
)
def test_collect_digits_is_get_data(reply: bytes, event: Event) -> None:
    driver, fake = driver_for(reply)
    assert driver.perform(CHOOSE) == event
    assert fake.commands == ["GET DATA hotline/kk/choose-language 5000 1"]


def test_a_fractional_timeout_is_sent_in_whole_milliseconds() -> None:
    driver, fake = driver_for(b"200 result= (timeout)\n")
    driver.perform(CollectDigits("menu", "ru", max_digits=2, timeout_s=2.5))
    assert fake.commands == ["GET DATA hotline/ru/menu 2500 2"]


def test_hangup_during_get_data_is_told_apart_by_a_511() -> None:
    # res_agi: `200 result=-1`, then SIGHUP (not a HANGUP line); the channel is dead
    driver, fake = driver_for(b"200 result=-1\n", DEAD)
    assert driver.perform(CHOOSE) == CallerHungUp()
    assert fake.commands == ["GET DATA hotline/kk/choose-language 5000 1", "CHANNEL STATUS"]
    # nothing more is sent once the channel is known dead
    assert driver.perform(GREETING) == CallerHungUp()
    assert len(fake.commands) == 2


def test_hangup_during_stream_file() -> None:
    driver, _ = driver_for(b"200 result=-1 endpos=12000\n", DEAD)
    assert driver.perform(GREETING) == CallerHungUp()


def test_a_missing_sound_file_counts_as_played_as_in_the_fastagi_driver() -> None:
    driver, fake = driver_for(b"200 result=-1 endpos=0\n", b"200 result=6\n")
    assert driver.perform(GREETING) == PlayFinished()
    assert fake.commands[-1] == "CHANNEL STATUS"


def test_get_data_failing_on_a_live_channel_is_an_error() -> None:
    driver, _ = driver_for(b"200 result=-1\n", b"200 result=6\n")
    with pytest.raises(Exception, match="Error executing application"):
        driver.perform(CHOOSE)


def test_a_sighup_already_received_means_hung_up_without_sending() -> None:
    driver, fake = driver_for()
    fake.agi._got_sighup = True
    assert driver.perform(CHOOSE) == CallerHungUp()
    assert fake.commands == []


def test_a_sighup_after_the_minus_one() -> None:
    driver, fake = driver_for(b"200 result=-1\n")

    original = fake.agi.get_result

    def result_then_signal(*args: object) -> object:
        fake.agi._got_sighup = True  # the signal arrives while the script waits
        return original()

    fake.agi.get_result = result_then_signal
    assert driver.perform(CHOOSE) == CallerHungUp()
    assert fake.commands == ["GET DATA hotline/kk/choose-language 5000 1"]


def test_asterisk_closing_stdin_is_a_hangup() -> None:
    driver, _ = driver_for()  # EOF right after the env block
    assert driver.perform(CHOOSE) == CallerHungUp()


def test_a_511_reply_is_a_hangup() -> None:
    driver, _ = driver_for(DEAD)
    assert driver.perform(CHOOSE) == CallerHungUp()


def test_lookup_calls_the_given_function() -> None:
    seen: list[Lookup] = []

    def lookup(action: Lookup) -> str:
        seen.append(action)
        return "found"

    driver, fake = driver_for(lookup=lookup)
    action = Lookup("recipients_list", "900101300334", "benefits")
    assert driver.perform(action) == LookupDone("found")
    assert seen == [action]
    assert fake.commands == []


def test_a_failing_lookup_answers_error() -> None:
    def lookup(action: Lookup) -> str:
        raise RuntimeError("database down")

    driver, _ = driver_for(lookup=lookup)
    assert driver.perform(Lookup("request_status", "12345")) == LookupDone("error")


class ScriptedMachine:
    def __init__(self, *actions: Action) -> None:
        self.actions = list(actions)
        self.events: list[Event] = []

    def handle(self, event: Event) -> Action:
        self.events.append(event)
        return self.actions.pop(0)


def test_run_goes_until_a_terminal_action_and_returns_it() -> None:
    enqueue = Enqueue("egov-portal-ru", "egov-portal", "ru", 0)
    machine = ScriptedMachine(GREETING, CollectDigits("menu-1414", "ru", 1, 5), enqueue)
    driver, fake = driver_for(b"200 result=2\n", b"200 result=0 endpos=8000\n", b"200 result=1\n")
    assert driver.run(machine, CHOOSE) is enqueue
    assert machine.events == [DigitsEntered("2"), PlayFinished(), DigitsEntered("1")]
    assert fake.commands == [
        "GET DATA hotline/kk/choose-language 5000 1",
        'STREAM FILE hotline/ru/greeting-1414 "0123456789*#" 0',
        "GET DATA hotline/ru/menu-1414 5000 1",
    ]


def test_run_returns_a_terminal_first_action_untouched() -> None:
    finish = Finish("closed", "outside opening hours")
    driver, fake = driver_for()
    assert driver.run(ScriptedMachine(), finish) is finish
    assert fake.commands == []


def test_goodbye_and_variables() -> None:
    driver, fake = driver_for(b"200 result=0 endpos=8000\n", b"200 result=1\n")
    driver.play_goodbye(Hangup("goodbye", "kk"))
    driver.set_variable("HOTLINE_IVR_PATH", 'language:kk,a "b"')
    assert fake.commands == [
        'STREAM FILE hotline/kk/goodbye ""',
        'SET VARIABLE "HOTLINE_IVR_PATH" "language:kk,a \\"b\\""',
    ]


def test_variables_are_set_after_the_sighup_too() -> None:
    # res_agi allows SET VARIABLE on a dead channel; pyst2's execute() would refuse to send
    driver, fake = driver_for(b"200 result=1\n")
    fake.agi._got_sighup = True
    assert driver.perform(CHOOSE) == CallerHungUp()
    driver.play_goodbye(Hangup("goodbye", "kk"))  # not sent: the channel is gone
    driver.set_variable("HOTLINE_IVR_RESULT", "abandoned")
    assert fake.commands == ['SET VARIABLE "HOTLINE_IVR_RESULT" "abandoned"']


def test_quote_escapes_quotes_and_backslashes() -> None:
    assert quote('a "b" \\c') == '"a \\"b\\" \\\\c"'


def test_result_of_each_terminal_action() -> None:
    assert result_of(Enqueue("q", "t", "ru", 1)) == "enqueue"
    assert result_of(Callback("q", "t", "ru", 1)) == "callback"
    assert result_of(Finish("abandoned", "caller hung up")) == "abandoned"
    assert result_of(Finish("closed", "outside opening hours")) == "closed"
    assert result_of(Hangup(None, "ru")) == "self_served"


def test_result_variables_for_enqueue_and_for_finish() -> None:
    enqueue = Enqueue("egov-portal-ru", "egov-portal", "ru", 2)
    assert result_variables(enqueue, "ru", "main", ("language:ru", "main:1"), 12.5) == [
        ("HOTLINE_IVR_RESULT", "enqueue"),
        ("HOTLINE_QUEUE", "egov-portal-ru"),
        ("HOTLINE_TOPIC", "egov-portal"),
        ("HOTLINE_LANG", "ru"),
        ("HOTLINE_PRIORITY", "2"),
        ("HOTLINE_IVR_NODE", "main"),
        ("HOTLINE_IVR_PATH", "language:ru,main:1"),
        ("HOTLINE_ARRIVED", "12.500"),
        ("HOTLINE_LOOKUP_RESULT", ""),
    ]
    finish = Finish("abandoned", "caller hung up")
    assert result_variables(finish, "kk", None, (), 1.0) == [
        ("HOTLINE_IVR_RESULT", "abandoned"),
        ("HOTLINE_LANG", "kk"),
        ("HOTLINE_IVR_NODE", ""),
        ("HOTLINE_IVR_PATH", ""),
        ("HOTLINE_ARRIVED", "1.000"),
        ("HOTLINE_LOOKUP_RESULT", ""),
    ]
    # A look-up that could not answer is left for the record (issue 9, bug 3).
    failed = Hangup("goodbye", "ru", "abandoned")
    assert ("HOTLINE_LOOKUP_RESULT", "error") in result_variables(
        failed, "ru", "bye", ("check:error",), 1.0, "error"
    )
