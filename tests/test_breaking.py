"""registry.breaking, and the plan marking what breaks models or their callers."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from registry import breaking
from registry.plan import Desired, compute_plan
from registry.render.plan import render_plan
from tests.live_server import template_body


def param(name: str, kind: str = "str", required: bool = False) -> dict[str, Any]:
    return {"name": name, "type": kind, "description": f"The {name}.", "required": required}


OLD = template_body(
    "m", "acct-1", endpoint_protocol="SGP",
    model_creation_parameters_schema={"parameters": [param("weights_uri", required=True)]},
    model_request_parameters_schema={"parameters": [param("max_tokens", "int"),
                                                    param("stop")]})


def remote(body: dict[str, Any], template_id: str) -> dict[str, Any]:
    """BODY as the API lists it."""
    return {**copy.deepcopy(body), "id": template_id, "created_at": "2026-01-01T00:00:00Z",
            "created_by_user_id": "u"}


def changed(edit: Any) -> dict[str, Any]:
    new = copy.deepcopy(OLD)
    edit(new)
    return new


def request(body: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = body["model_request_parameters_schema"]["parameters"]
    return params


def creation(body: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = body["model_creation_parameters_schema"]["parameters"]
    return params


@pytest.mark.parametrize(("edit", "reasons"), [
    (lambda b: request(b).pop(), ["removes request parameter 'stop'"]),
    (lambda b: creation(b).clear(), ["removes creation parameter 'weights_uri'"]),
    (lambda b: b.pop("model_request_parameters_schema"),
     ["removes request parameter 'max_tokens'", "removes request parameter 'stop'"]),
    (lambda b: request(b)[1].update(required=True), ["makes request parameter 'stop' required"]),
    (lambda b: request(b).append(param("seed", "int", required=True)),
     ["adds required request parameter 'seed'"]),
    (lambda b: creation(b).append(param("revision", required=True)),
     ["adds required creation parameter 'revision'"]),
    (lambda b: request(b)[0].update(type="float"),
     ["changes the type of request parameter 'max_tokens' from 'int' to 'float'"]),
    (lambda b: creation(b)[0].update(name="weights"),
     ["removes creation parameter 'weights_uri'", "adds required creation parameter 'weights'"]),
    (lambda b: b.update(model_type="COMPLETION"),
     ["changes model_type from 'GENERIC' to 'COMPLETION'"]),
    (lambda b: b.update(endpoint_type="ASYNC"), ["changes endpoint_type from 'SYNC' to 'ASYNC'"]),
    (lambda b: b.update(endpoint_protocol="VLLM"),
     ["changes endpoint_protocol from 'SGP' to 'VLLM'"]),
    (lambda b: b.pop("endpoint_protocol"), ["changes endpoint_protocol from 'SGP' to (absent)"]),
    (lambda b: (request(b)[0].update(type="str"), b.update(model_type="AGENT")),
     ["changes model_type from 'GENERIC' to 'AGENT'",
      "changes the type of request parameter 'max_tokens' from 'int' to 'str'"]),
])
def test_breaking_replacements(edit: Any, reasons: list[str]) -> None:
    assert list(breaking.reasons(OLD, changed(edit))) == reasons


@pytest.mark.parametrize("edit", [
    lambda b: request(b).append(param("seed", "int")),  # a new optional parameter
    lambda b: request(b)[0].update(description="At most this many tokens."),
    lambda b: creation(b)[0].update(required=False),  # required -> optional
    lambda b: request(b).reverse(),  # order does not matter
    lambda b: b["vendor_configuration"]["bundle_config"].update(tag="2.0.0"),
    lambda b: b.update(name="renamed"),
])
def test_compatible_replacements(edit: Any) -> None:
    assert breaking.reasons(OLD, changed(edit)) == ()


def test_empty_and_absent_are_the_same() -> None:
    bare = template_body("m", "acct-1")
    assert breaking.reasons(bare, {**bare, "model_request_parameters_schema": {"parameters": []},
                                   "endpoint_protocol": None}) == ()


BOTH = ["removes request parameter 'max_tokens'", "removes request parameter 'stop'"]


@pytest.mark.parametrize(("odd", "forth", "back"), [
    ({"parameters": "x"}, [], BOTH),
    ({"parameters": [1, None, {"name": 3}, {}]}, [], BOTH),
    ("schema", [], BOTH),
    ([], [], BOTH),
    ({"parameters": [{"name": "stop"}]},  # no type, no required
     ["changes the type of request parameter 'stop' from (absent) to 'str'"],
     ["removes request parameter 'max_tokens'",
      "changes the type of request parameter 'stop' from 'str' to (absent)"]),
    ({"parameters": [{"name": "stop", "type": "str", "required": "yes"}]}, [],
     ["removes request parameter 'max_tokens'"]),
])
def test_odd_remote_schemas_never_raise(odd: Any, forth: list[str], back: list[str]) -> None:
    remote_body = {**OLD, "model_request_parameters_schema": odd}
    assert list(breaking.reasons(remote_body, OLD)) == forth
    assert list(breaking.reasons(OLD, remote_body)) == back


def test_the_plan_marks_a_replacement() -> None:
    new = changed(lambda b: request(b).pop())
    plan = compute_plan([Desired.from_body("t/m.yaml", new)], {"acct-1": [remote(OLD, "id-m")]},
                        set())
    (action,) = plan.actions
    assert (action.kind, action.breaking, action.used_by) == (
        "replace", ("removes request parameter 'stop'",), None)
    assert plan.breaking == (action,)
    text = render_plan(plan, "text").splitlines()
    assert text[-3:] == [
        "      BREAKING: removes request parameter 'stop'",
        "Breaking: 1 change(s) break models created from a template, or callers that send its "
        "old request parameters.",
        "Plan: 0 to create, 1 to replace, 0 to delete.",
    ]
    markdown = render_plan(plan, "markdown").splitlines()
    assert markdown[4] == "**Breaking changes:** 1 (listed below)."
    assert ("| ~ | replace (breaking) | <code>acct-1</code> | <code>m</code> | "
            "<code>t/m.yaml</code> | <code>id-m</code> |  |") in markdown
    assert markdown[-5:] == [
        "#### Breaking changes",
        "",
        "1 change(s) break models created from a template, or callers that send its old "
        "request parameters. Review them with the teams that use these templates.",
        "",
        "- ~ replace <code>acct-1/m</code>: removes&#32;request&#32;parameter&#32;&#39;stop&#39;.",
    ]
    data = json.loads(render_plan(plan, "json"))
    assert data["breaking"] == 1
    assert (data["actions"][0]["breaking"], data["actions"][0]["used_by"]) == (
        ["removes request parameter 'stop'"], None)


def test_a_compatible_replacement_is_not_marked() -> None:
    new = changed(lambda b: request(b).append(param("seed", "int")))
    plan = compute_plan([Desired.from_body("t/m.yaml", new)], {"acct-1": [remote(OLD, "id-m")]},
                        set())
    assert [(a.kind, a.breaking) for a in plan.actions] == [("replace", ())]
    assert "BREAKING" not in render_plan(plan, "text")
    assert "Breaking" not in render_plan(plan, "markdown")
    assert json.loads(render_plan(plan, "json"))["breaking"] == 0


def test_a_move_to_another_account_marks_both_sides() -> None:
    moved = {**OLD, "account_id": "acct-2"}
    keep = template_body("keep", "acct-1")  # so that the guard keeps its hands off
    plan = compute_plan([Desired.from_body("t/m.yaml", moved), Desired.from_body("t/k.yaml", keep)],
                        {"acct-1": [remote(OLD, "id-m"), remote(keep, "id-k")], "acct-2": []},
                        {("acct-1", "m")})
    why = "moves from account 'acct-1' to 'acct-2': models in 'acct-1' lose the template"
    assert [(a.kind, a.account_id, a.breaking) for a in plan.actions] == [
        ("create", "acct-2", (why,)), ("delete", "acct-1", (why,))]
    text = render_plan(plan, "text").splitlines()
    assert text[1:5] == ["  + create  acct-2/m (t/m.yaml)", f"      BREAKING: {why}",
                         "  - delete  acct-1/m id id-m: removed from git",
                         f"      BREAKING: {why}"]


def test_a_move_also_says_what_the_new_body_breaks() -> None:
    moved = {**changed(lambda b: request(b).pop()), "account_id": "acct-2"}
    plan = compute_plan([Desired.from_body("t/m.yaml", moved)],
                        {"acct-1": [remote(OLD, "id-m")], "acct-2": []}, {("acct-1", "m")})
    create, delete = plan.actions
    assert create.breaking[1:] == ("removes request parameter 'stop'",)
    assert len(delete.breaking) == 1


def test_a_new_name_in_another_account_is_no_move() -> None:
    other = {**OLD, "account_id": "acct-2", "name": "other"}
    same_account = {**OLD, "name": "m2"}
    plan = compute_plan([Desired.from_body("t/o.yaml", other),
                         Desired.from_body("t/m2.yaml", same_account)],
                        {"acct-1": [remote(OLD, "id-m")], "acct-2": []}, {("acct-1", "m")})
    assert [(a.kind, a.name, a.breaking) for a in plan.actions] == [
        ("create", "m2", ()), ("create", "other", ()), ("delete", "m", ())]


def test_moves_pairs_each_side() -> None:
    assert breaking.moves([("a", "x"), ("b", "y")], [("c", "x"), ("b", "x"), ("a", "y")]) == {
        ("c", "x"): [("a", "x")], ("b", "x"): [("a", "x")], ("a", "x"): [("c", "x"), ("b", "x")],
        ("a", "y"): [("b", "y")], ("b", "y"): [("a", "y")]}
