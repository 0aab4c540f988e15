"""The three shipped hotline files load and agree with the dialplan contract."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hotline.config import (
    CallbackNode,
    ChoiceNode,
    CollectNode,
    HangupNode,
    HotlineConfig,
    LookupNode,
    find_hotline,
    load_hotline,
    menu_checks,
)

REPO = Path(__file__).resolve().parents[2]
SHIPPED = ["1414", "109", "400-100"]


def dialplan_hotlines() -> dict[str, str]:
    """number -> HOTLINE_ID from [hotline-in] in extensions.conf."""
    text = (REPO / "config" / "asterisk" / "extensions.conf").read_text(encoding="utf-8")
    return dict(re.findall(r"^exten => (\w+),1,Set\(HOTLINE_ID=([\w-]+)\)", text, re.MULTILINE))


@pytest.fixture(params=SHIPPED)
def shipped(request: pytest.FixtureRequest) -> HotlineConfig:
    return load_hotline(find_hotline(request.param))


def test_every_shipped_file_loads(shipped: HotlineConfig) -> None:
    assert shipped.id in SHIPPED
    assert shipped.timezone == "Asia/Almaty"
    assert shipped.languages[:2] == ["kk", "ru"]


def test_every_shipped_hotline_is_in_the_dialplan(shipped: HotlineConfig) -> None:
    assert dialplan_hotlines()[shipped.number] == shipped.id


def test_the_field_notes_are_reflected() -> None:
    egov, city, hq = (load_hotline(find_hotline(hotline_id)) for hotline_id in SHIPPED)
    assert egov.hours == "09:00-21:00"
    remote = [op for op in egov.operators if op.dial.endswith("@trunk")]
    assert len(remote) * 2 == len(egov.operators)  # half work from home on mobiles
    # ...and those press 1 to take a call (remote_trunks), the others do not
    assert [op.id for op in egov.operators if egov.operator_is_remote(op)] == [
        op.id for op in remote
    ]
    assert {q.topic for q in egov.queues} == {
        "egov-portal",
        "digital-signature",
        "documents",
        "social-payments",
        "missing-persons",  # emergency mode (January 2022)
    }
    assert egov.menu.emergency is not None
    assert egov.queue("missing-persons-ru").priority == 9
    assert city.hours == "24/7"
    assert len(city.shifts) == 4
    assert {q.topic for q in city.queues} == {
        "consultation",
        "incident",
        "suggestion",
        "complaint",
        "gratitude",
    }
    assert hq.hours == "24/7"
    assert {q.topic for q in hq.queues} == {"social-payments", "checkpoints", "other"}
    digits, weights = hq.menu_choice_weights()
    assert dict(zip(digits, weights, strict=True)) == {"1": 86, "2": 6.8, "0": 7.2}


def test_every_mobile_of_a_shipped_hotline_presses_1_and_no_desk_phone_does(
    shipped: HotlineConfig,
) -> None:
    for operator in shipped.operators:
        on_mobile = operator.dial.endswith("@trunk")
        assert shipped.operator_is_remote(operator) == on_mobile, operator.id


def test_400_100_social_payments_go_to_the_recipients_list_check() -> None:
    hq = load_hotline(find_hotline("400-100"))
    menu = hq.menu
    assert (menu.operator_topic, menu.operator_digit, menu.closed_node) == ("other", "0", None)
    main = menu.nodes["main"]
    assert isinstance(main, ChoiceNode)
    assert main.options["1"].goto == "payments"
    assert main.options["2"].queue_topic == "checkpoints"
    payments = menu.nodes["payments"]
    assert isinstance(payments, ChoiceNode)
    assert payments.options["1"].goto == "iin"
    assert payments.options["2"].queue_topic == "social-payments"
    iin = menu.nodes["iin"]
    assert isinstance(iin, CollectNode)
    assert (iin.validator, iin.min_digits, iin.max_digits, iin.store) == ("iin", 12, 12, "iin")
    assert iin.next.goto == "list-check"
    check = menu.nodes["list-check"]
    assert isinstance(check, LookupNode)
    assert (check.service, check.list, check.input) == ("recipients_list", "payment-50000", "iin")
    assert set(check.results) == {"found", "not_found", "error"}
    assert check.next.goto == "after-check"
    assert isinstance(menu.nodes["bye"], HangupNode)
    assert menu_checks.reachable_nodes(menu) == set(menu.nodes)
    assert menu.emergency is None


def test_109_option_6_gives_the_status_of_a_request() -> None:
    city = load_hotline(find_hotline("109"))
    menu = city.menu
    main = menu.nodes["main"]
    assert isinstance(main, ChoiceNode)
    assert main.options["6"].goto == "request-number"
    collect = menu.nodes["request-number"]
    assert isinstance(collect, CollectNode)
    assert (collect.validator, collect.store, collect.next.goto) == (
        "digits",
        "request",
        "request-status",
    )
    lookup = menu.nodes["request-status"]
    assert isinstance(lookup, LookupNode)
    assert (lookup.service, lookup.input, lookup.list) == ("request_status", "request", None)
    assert {"not_found", "error"} <= set(lookup.results)
    assert menu.operator_topic == "consultation"
    assert menu_checks.reachable_nodes(menu) == set(menu.nodes)


def test_1414_offers_a_callback_and_has_an_emergency_node() -> None:
    egov = load_hotline(find_hotline("1414"))
    menu = egov.menu
    main = menu.nodes["main"]
    assert isinstance(main, ChoiceNode)
    assert main.options["5"].goto == "callback"
    for name in ("callback", "closed-callback"):
        node = menu.nodes[name]
        assert isinstance(node, CallbackNode)
        assert node.topic == "egov-portal"
    assert menu.closed_node == "closed-callback"
    assert egov.may_close
    assert menu.emergency is not None
    assert menu.emergency.node == "emergency"
    emergency = menu.nodes["emergency"]
    assert isinstance(emergency, ChoiceNode)
    assert emergency.options["1"].queue_topic == "missing-persons"
    # `emergency` and `closed-callback` are reached only as entry nodes.
    assert set(menu_checks.entry_nodes(menu)) == {"main", "emergency", "closed-callback"}
    assert menu_checks.reachable_nodes(menu) == set(menu.nodes)


def test_every_asking_node_leads_somewhere_after_its_last_try(shipped: HotlineConfig) -> None:
    for node in shipped.menu.nodes.values():
        if isinstance(node, ChoiceNode | CollectNode | CallbackNode):
            assert node.after_tries is not None or shipped.menu.operator_topic is not None


def test_helpers(shipped: HotlineConfig) -> None:
    for queue in shipped.queues:
        assert shipped.queue(queue.id) is queue
    for operator in shipped.operators:
        assert shipped.operator(operator.id) is operator
        for queue in shipped.queues_for(operator):
            assert queue.topic in operator.topics
            assert queue.language in operator.languages
    with pytest.raises(KeyError):
        shipped.queue("no-such-queue")
    with pytest.raises(KeyError):
        shipped.operator("no-such-operator")
