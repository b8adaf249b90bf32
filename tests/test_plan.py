"""compute_plan: pure planning from desired, remote and owned."""

from __future__ import annotations

import json
from typing import Any

from registry.plan import Change, Desired, compute_plan
from registry.render.plan import render_plan
from tests.live_server import template_body


def remote(body: dict[str, Any], template_id: str, created: str = "2026-01-01T00:00:00+00:00",
           **changes: Any) -> dict[str, Any]:
    item = json.loads(json.dumps(body))
    item.update(changes)
    item.update(id=template_id, created_at=created, created_by_user_id="u",
                created_by_identity_type="user", endpoint_protocol=None, new_api_field=[1])
    return item


A = template_body("a", "acct-1")
B = template_body("b", "acct-1")


def test_create_and_unchanged() -> None:
    plan = compute_plan([Desired.from_body("t/a.yaml", A), Desired.from_body("t/b.yaml", B)],
                        {"acct-1": [remote(A, "id-a")]}, set())
    assert [(a.kind, a.name, a.path) for a in plan.actions] == [("create", "b", "t/b.yaml")]
    assert plan.unchanged == 1
    assert plan.summary() == "Plan: 1 to create, 0 to replace, 0 to delete."


def test_replace_lists_changed_fields() -> None:
    changed = json.loads(json.dumps(A))
    changed["vendor_configuration"]["bundle_config"]["tag"] = "2.0.0"
    plan = compute_plan([Desired.from_body("t/a.yaml", changed)],
                        {"acct-1": [remote(A, "id-a")]}, set())
    (action,) = plan.actions
    assert (action.kind, action.remote_ids) == ("replace", ("id-a",))
    old_tag = A["vendor_configuration"]["bundle_config"]["tag"]
    assert action.changes == (Change("vendor_configuration.bundle_config.tag", old_tag, "2.0.0"),)


def test_delete_only_what_history_owns_unless_prune() -> None:
    hand_made = template_body("hand", "acct-1")
    state = {"acct-1": [remote(A, "id-a"), remote(hand_made, "id-h")]}
    plan = compute_plan([], state, {("acct-1", "a")})
    assert [(a.kind, a.name, a.remote_ids, a.reason) for a in plan.actions] == [
        ("delete", "a", ("id-a",), "removed from git")]
    pruned = compute_plan([], state, {("acct-1", "a")}, prune=True)
    assert [(a.kind, a.name) for a in pruned.actions] == [("delete", "a"), ("delete", "hand")]


def test_dedupe_keeps_the_oldest_match() -> None:
    state = {"acct-1": [remote(A, "id-2", "2026-01-02T00:00:00+00:00"),
                        remote(A, "id-1", "2026-01-01T00:00:00+00:00"),
                        remote(A, "id-3", "2026-01-03T00:00:00+00:00", model_type="COMPLETION")]}
    (action,) = compute_plan([Desired.from_body("t/a.yaml", A)], state, set()).actions
    assert (action.kind, action.kept_id, action.remote_ids) == ("dedupe", "id-1",
                                                                ("id-2", "id-3"))


def test_replace_of_duplicates_deletes_all_old_ones() -> None:
    changed = {**A, "model_type": "COMPLETION"}
    state = {"acct-1": [remote(A, "id-1"), remote(A, "id-2", "2026-02-01T00:00:00+00:00")]}
    (action,) = compute_plan([Desired.from_body("t/a.yaml", changed)], state, set()).actions
    assert (action.kind, action.remote_ids) == ("replace", ("id-1", "id-2"))
    assert action.changed_fields == ["model_type"]


def test_same_name_in_other_account_is_another_template() -> None:
    other = template_body("a", "acct-2")
    plan = compute_plan([Desired.from_body("t/a.yaml", A)],
                        {"acct-1": [], "acct-2": [remote(other, "x")]}, {("acct-2", "a")})
    assert [(a.kind, a.account_id) for a in plan.actions] == [("create", "acct-1"),
                                                              ("delete", "acct-2")]


def test_renderings() -> None:
    changed = {**A, "model_type": "COMPLETION"}
    plan = compute_plan([Desired.from_body("t/a.yaml", changed), Desired.from_body("t/b.yaml", B)],
                        {"acct-1": [remote(A, "id-a")]}, set(), commit="f" * 40)
    text = render_plan(plan, "text").splitlines()
    assert text[1] == "  + create  acct-1/b (t/b.yaml)"
    assert text[2] == "  ~ replace acct-1/a (t/a.yaml) id id-a: changes model_type"
    assert text[3] == '      model_type: "GENERIC" -> "COMPLETION"'
    assert text[-1] == "Plan: 1 to create, 1 to replace, 0 to delete."
    markdown = render_plan(plan, "markdown")
    assert markdown.startswith("### Model templates: Plan: 1 to create, 1 to replace")
    assert "<details><summary>" in markdown
    assert ("| <code>model&#95;type</code> | <code>&#34;GENERIC&#34;</code> | "
            "<code>&#34;COMPLETION&#34;</code> |") in markdown.splitlines()
    data = json.loads(render_plan(plan, "json"))
    assert data["summary"] == {"create": 1, "replace": 1, "delete": 0, "dedupe": 0,
                               "unchanged": 0}
    assert data["actions"][1]["changes"] == [
        {"field": "model_type", "before": "GENERIC", "after": "COMPLETION"}]
