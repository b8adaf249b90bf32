"""The plan's cost change: per create, replace and delete, and in total, in every format."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from registry.plan import Desired, Plan, Safety, compute_plan
from registry.prices import price_table
from registry.render.plan import render_plan
from tests.live_server import template_body

PRICES = price_table()


def sized(name: str, account: str = "acct-1", gpu: str | None = None, cpus: int = 2,
          memory: str = "4Gi", low: int = 1, high: int = 5) -> dict[str, Any]:
    body = template_body(name, account)
    config: dict[str, Any] = {"cpus": cpus, "memory": memory, "min_workers": low,
                              "max_workers": high}
    if gpu:
        config.update(gpus=1, gpu_type=gpu)
    body["vendor_configuration"]["endpoint_config"] = config
    return body


def remote(body: dict[str, Any], template_id: str) -> dict[str, Any]:
    return {**copy.deepcopy(body), "id": template_id, "created_at": "2026-01-01T00:00:00Z",
            "created_by_user_id": "u"}


MISTRAL = sized("mistral", gpu="nvidia-ampere-a10", cpus=8, memory="48Gi", high=8)
BIGGER = copy.deepcopy(MISTRAL)
BIGGER["vendor_configuration"]["endpoint_config"]["cpus"] = 16  # g5.4xlarge -> g5.8xlarge
NER = sized("ner")  # m6i.xlarge, 1-5 workers
EMBED = sized("embed", gpu="nvidia-tesla-t4", cpus=4, memory="16Gi", low=2, high=20)
KEEP = template_body("keep", "acct-1")


def review_plan(**options: Any) -> Plan:
    return compute_plan(
        [Desired.from_body("t/mistral.yaml", BIGGER), Desired.from_body("t/ner.yaml", NER),
         Desired.from_body("t/keep.yaml", KEEP)],
        {"acct-1": [remote(MISTRAL, "id-m"), remote(EMBED, "id-e"), remote(KEEP, "id-k")]},
        {("acct-1", "embed")}, commit="c" * 40, prices=PRICES, **options)


def test_each_action_carries_the_cost_of_what_it_removes_and_creates() -> None:
    create, replace, delete = review_plan().actions
    assert (create.kind, create.cost_before, create.cost_after and create.cost_after.instance) == (
        "create", None, "m6i.xlarge")
    assert replace.cost_before and replace.cost_after
    assert (replace.cost_before.instance, replace.cost_after.instance) == ("g5.4xlarge",
                                                                          "g5.8xlarge")
    assert (delete.kind, delete.cost_before and delete.cost_before.instance,
            delete.cost_after) == ("delete", "g4dn.2xlarge", None)
    changes = [(a.cost_delta.floor, a.cost_delta.ceiling) for a in (create, replace, delete)
               if a.cost_delta]
    assert changes == [(pytest.approx(140.16), pytest.approx(700.8)),
                       (pytest.approx(601.52), pytest.approx(4812.16)),
                       (pytest.approx(-1097.92), pytest.approx(-10979.2))]


def test_text() -> None:
    lines = render_plan(review_plan(), "text").splitlines()
    assert lines[1:3] == [
        "  + create  acct-1/ner (t/ner.yaml)",
        "      monthly cost: m6i.xlarge x 1-5, $140 to $701; change +$140 to +$701"]
    assert lines[4:] == [
        "      vendor_configuration.endpoint_config.cpus: 8 -> 16",
        "      monthly cost: g5.4xlarge x 1-8, $1,186 to $9,484 -> g5.8xlarge x 1-8, $1,787 to "
        "$14,296; change +$602 to +$4,812",
        "  - delete  acct-1/embed id id-e: removed from git",
        "      monthly cost: g4dn.2xlarge x 2-20, $1,098 to $10,979; change -$1,098 to -$10,979",
        "Monthly cost change: -$356 to -$5,466.",
        "Plan: 1 to create, 1 to replace, 1 to delete.",
    ]


def test_markdown() -> None:
    lines = render_plan(review_plan(), "markdown").splitlines()
    assert lines[4] == "**Monthly cost change:** -&#36;356 to -&#36;5,466."
    start = lines.index("#### Monthly cost")
    assert lines[start:] == [
        "#### Monthly cost",
        "",
        "AWS on-demand, us-east-1, Linux prices, 730 hours a month: the floor at each "
        "template's min_workers, the ceiling at max_workers. A deployment may set its own "
        "worker counts, so real cost is set per deployment.",
        "",
        "| | account | name | instance | floor | ceiling | change |",
        "|---|---|---|---|---|---|---|",
        "| + | <code>acct-1</code> | <code>ner</code> | <code>m6i.xlarge</code> x 1-5 | "
        "&#36;140 | &#36;701 | +&#36;140 to +&#36;701 |",
        "| ~ | <code>acct-1</code> | <code>mistral</code> | <code>g5.4xlarge</code> x 1-8 → "
        "<code>g5.8xlarge</code> x 1-8 | &#36;1,186 → &#36;1,787 | &#36;9,484 → &#36;14,296 | "
        "+&#36;602 to +&#36;4,812 |",
        "| - | <code>acct-1</code> | <code>embed</code> | <code>g4dn.2xlarge</code> x 2-20 | "
        "&#36;1,098 | &#36;10,979 | -&#36;1,098 to -&#36;10,979 |",
        "| | **total** | | | | | **-&#36;356 to -&#36;5,466** |",
    ]


def test_json() -> None:
    data = json.loads(render_plan(review_plan(), "json"))
    assert data["cost_change"] == {"floor": -356.24, "ceiling": -5466.24, "unpriced": 0,
                                   "basis": "AWS on-demand, us-east-1, Linux",
                                   "hours_per_month": 730}
    create, replace, delete = data["actions"]
    assert (create["cost_before"], create["cost_change"]) == (
        None, {"floor": 140.16, "ceiling": 700.8})
    assert replace["cost_before"] == {"instance": "g5.4xlarge", "hourly": 1.624,
                                      "min_workers": 1, "max_workers": 8, "floor": 1185.52,
                                      "ceiling": 9484.16, "reason": None}
    assert replace["cost_after"] == {"instance": "g5.8xlarge", "hourly": 2.448,
                                     "min_workers": 1, "max_workers": 8, "floor": 1787.04,
                                     "ceiling": 14296.32, "reason": None}
    assert replace["cost_change"] == {"floor": 601.52, "ceiling": 4812.16}
    assert (delete["cost_after"], delete["cost_change"]) == (
        None, {"floor": -1097.92, "ceiling": -10979.2})


def test_a_held_delete_changes_nothing_and_a_held_replacement_keeps_the_old_one() -> None:
    plan = review_plan(safety=Safety(protect=("acct-1/*",)))
    assert [(a.kind, bool(a.held)) for a in plan.actions] == [
        ("create", False), ("replace", True), ("delete", True)]
    changes = [a.cost_delta for a in plan.actions]
    assert [(d.floor, d.ceiling) for d in changes if d] == [
        (pytest.approx(140.16), pytest.approx(700.8)),
        (pytest.approx(1787.04), pytest.approx(14296.32)),  # the old one stays
        (0.0, 0.0)]
    assert render_plan(plan, "text").splitlines()[-2] == "Monthly cost change: +$1,927 to +$14,997."


def test_a_takeover_waits_and_costs_nothing_yet() -> None:
    plan = compute_plan([Desired.from_body("t/mistral.yaml", BIGGER)],
                        {"acct-1": [remote(MISTRAL, "id-m")]}, set(), prices=PRICES,
                        versions=lambda key: set())
    (action,) = plan.actions
    assert action.kind == "takeover" and action.cost_after is not None
    assert action.cost_after.instance == "g5.8xlarge"  # shown, but not applied yet
    assert action.cost_delta is not None
    assert (action.cost_delta.floor, action.cost_delta.ceiling) == (0.0, 0.0)
    assert render_plan(plan, "text").splitlines()[-2] == "Monthly cost change: $0."


def test_a_template_without_a_price_is_never_counted_as_0() -> None:
    bare = template_body("bare", "acct-1")  # no endpoint_config
    plan = compute_plan([Desired.from_body("t/bare.yaml", bare),
                         Desired.from_body("t/ner.yaml", NER)], {"acct-1": []}, set(),
                        prices=PRICES)
    text = render_plan(plan, "text").splitlines()
    assert text[1:3] == ["  + create  acct-1/bare (t/bare.yaml)",
                         "      monthly cost: no price (no endpoint_config); change unknown "
                         "(no price)"]
    assert text[-2] == ("Monthly cost change: +$140 to +$701; 1 change(s) without a price not "
                        "counted.")
    markdown = render_plan(plan, "markdown").splitlines()
    assert ("| + | <code>acct-1</code> | <code>bare</code> | no&#32;price&#32;&#40;no&#32;"
            "endpoint&#95;config&#41; | no price | no price | unknown (no price) |") in markdown
    assert markdown[-3:] == ["| | **total** | | | | | **+&#36;140 to +&#36;701** |", "",
                             "1 change(s) without a price are not counted."]
    data = json.loads(render_plan(plan, "json"))
    assert data["actions"][0]["cost_after"] == {
        "instance": None, "hourly": None, "min_workers": 0, "max_workers": 0, "floor": None,
        "ceiling": None, "reason": "no endpoint_config"}
    assert data["actions"][0]["cost_change"] == {"floor": None, "ceiling": None}
    assert data["cost_change"]["unpriced"] == 1


def test_without_prices_the_plan_shows_no_cost() -> None:
    plan = compute_plan([Desired.from_body("t/ner.yaml", NER)], {"acct-1": []}, set())
    assert plan.cost_change is None
    assert "cost" not in render_plan(plan, "text")
    assert "Monthly cost" not in render_plan(plan, "markdown")
    data = json.loads(render_plan(plan, "json"))
    assert (data["cost_change"], data["actions"][0]["cost_after"]) == (None, None)


def test_a_dedupe_has_no_cost() -> None:
    plan = compute_plan([Desired.from_body("t/ner.yaml", NER)],
                        {"acct-1": [remote(NER, "a"), remote(NER, "b")]}, set(), prices=PRICES)
    (action,) = plan.actions
    assert (action.kind, action.cost_delta, plan.cost_change) == ("dedupe", None, None)
