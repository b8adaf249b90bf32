"""compute_plan: pure planning from desired, remote and owned."""

from __future__ import annotations

import json
from typing import Any

from registry.apply import runnable
from registry.compare import canonical_json
from registry.plan import Change, Desired, ModelRef, Safety, Unmanaged, compute_plan
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
                               "takeover": 0, "held": 0, "unchanged": 0,
                               "not_managed": 0}
    assert data["actions"][1]["changes"] == [
        {"field": "model_type", "before": "GENERIC", "after": "COMPLETION"}]


# --- the deletion guard ----------------------------------------------------------------


def removed(count: int, account: str = "acct-1") -> tuple[dict[str, list[dict[str, Any]]],
                                                         set[tuple[str, str]]]:
    """COUNT remote templates that git once defined and no longer does."""
    bodies = [template_body(f"t{i:02}", account) for i in range(count)]
    return ({account: [remote(b, f"id-{i:02}") for i, b in enumerate(bodies)]},
            {(account, b["name"]) for b in bodies})


def test_guard_holds_every_delete_past_max_deletes() -> None:
    state, owned = removed(4)
    keep = Desired.from_body("t/a.yaml", A)
    state["acct-1"].append(remote(A, "id-a"))
    plan = compute_plan([keep], state, owned, safety=Safety(max_deletes=3))
    assert [(a.kind, a.deletes) for a in plan.actions] == [("delete", False)] * 4
    assert plan.guard == ("4 deletion(s) exceed max_deletes (3): held back; run with "
                          "--allow-deletes 4 to allow them")
    assert all(a.held == plan.guard for a in plan.actions)
    assert plan.summary() == ("Plan: 0 to create, 0 to replace, 0 to delete; "
                              "4 deletion(s) held back.")
    assert plan.has_changes
    allowed = compute_plan([keep], state, owned, safety=Safety(max_deletes=3, allow_deletes=4))
    assert (allowed.guard, [a.deletes for a in allowed.actions]) == ("", [True] * 4)
    assert allowed.summary() == "Plan: 0 to create, 0 to replace, 4 to delete."
    too_few = compute_plan([keep], state, owned, safety=Safety(max_deletes=3, allow_deletes=2))
    assert too_few.guard == ("4 deletion(s) exceed max_deletes (3) (--allow-deletes 2 allows "
                             "fewer): held back; run with --allow-deletes 4 to allow them")


def test_guard_never_empties_an_account_of_its_managed_templates() -> None:
    state, owned = removed(2)
    state["acct-1"].append(remote(template_body("hand", "acct-1"), "id-hand"))
    plan = compute_plan([Desired.from_body("t/b.yaml", template_body("b", "acct-2"))], state,
                        owned)
    assert [(a.kind, a.name, a.deletes) for a in plan.actions] == [
        ("create", "b", False), ("delete", "t00", False), ("delete", "t01", False)]
    assert plan.guard == ("it would delete every managed template of account(s) 'acct-1': held "
                          "back; run with --allow-deletes 2 to allow them")
    allowed = compute_plan([], state, owned, safety=Safety(allow_deletes=2))
    assert [a.deletes for a in allowed.actions] == [True, True]


def test_deletes_in_an_account_that_keeps_templates_pass_the_guard() -> None:
    state, owned = removed(2)
    state["acct-1"].append(remote(A, "id-a"))
    plan = compute_plan([Desired.from_body("t/a.yaml", A)], state, owned)
    assert (plan.guard, [a.deletes for a in plan.actions]) == ("", [True, True])


def test_protected_templates_are_never_deleted() -> None:
    changed = json.loads(json.dumps(B))
    changed["model_type"] = "COMPLETION"
    state = {"acct-1": [remote(A, "id-a"), remote(B, "id-b"),
                        remote(template_body("gone", "acct-1"), "id-g"),
                        remote(template_body("other", "acct-1"), "id-o")]}
    safety = Safety(protect=("acct-1/[abg]*",), allow_deletes=5)
    plan = compute_plan([Desired.from_body("t/a.yaml", A), Desired.from_body("t/b.yaml", changed)],
                        state, {("acct-1", "gone"), ("acct-1", "other")}, safety=safety)
    summary = [(a.kind, a.name, a.held, a.deletes) for a in plan.actions]
    assert summary == [
        ("replace", "b", "protected by protect = 'acct-1/[abg]*'", False),
        ("delete", "gone", "protected by protect = 'acct-1/[abg]*'", False),
        ("delete", "other", "", True)]
    assert plan.guard == ""
    assert plan.summary() == ("Plan: 0 to create, 1 to replace, 1 to delete; 2 deletion(s) held "
                              "back.")


def test_remote_names_equal_but_for_case_are_warned_about() -> None:
    twin = template_body(" A", "acct-1")
    plan = compute_plan([Desired.from_body("t/a.yaml", A)],
                        {"acct-1": [remote(A, "id-a"), remote(twin, "id-twin")]}, set())
    assert plan.actions == ()
    assert plan.warnings == (
        "remote template ' A' (id id-twin) in account 'acct-1' differs only in case or spaces "
        "from 'a' (t/a.yaml); rename or delete one of them",)
    assert "Warning: remote template ' A'" in render_plan(plan, "text")
    assert json.loads(render_plan(plan, "json"))["warnings"] == list(plan.warnings)


# --- templates git does not manage ---------------------------------------------------------


def test_templates_no_file_defined_are_not_managed_and_left_alone() -> None:
    hand = template_body("hand", "acct-1")
    state = {"acct-1": [remote(A, "id-a"), remote(hand, "id-h1"), remote(hand, "id-h2")]}
    plan = compute_plan([Desired.from_body("t/a.yaml", A)], state, {("acct-1", "a")})
    assert (plan.actions, plan.unmanaged) == ((), (Unmanaged("acct-1", "hand",
                                                             ("id-h1", "id-h2")),))
    assert "Not managed: 1 template(s) in the managed accounts that no file ever defined, " \
           "left alone: acct-1/hand." in render_plan(plan, "text")
    assert json.loads(render_plan(plan, "json"))["not_managed"] == [
        {"account_id": "acct-1", "name": "hand", "remote_ids": ["id-h1", "id-h2"]}]
    pruned = compute_plan([Desired.from_body("t/a.yaml", A)], state, set(), prune=True)
    assert ([(a.kind, a.name) for a in pruned.actions], pruned.unmanaged) == (
        [("delete", "hand")], ())


def test_a_file_taking_a_hand_made_name_is_a_takeover_unless_adopt() -> None:
    hand = remote(template_body("a", "acct-1", model_type="COMPLETION"), "id-hand")
    history = {canonical_json(B)}
    plan = compute_plan([Desired.from_body("t/a.yaml", A)], {"acct-1": [hand]},
                        {("acct-1", "a")}, versions=lambda key: history)
    (action,) = plan.actions
    assert (action.kind, action.takeover, action.remote_ids) == ("takeover", True, ("id-hand",))
    assert plan.summary() == ("Plan: 0 to create, 0 to replace, 0 to delete; 1 takeover(s) need "
                              "--adopt.")
    assert runnable(plan) == []
    adopted = compute_plan([Desired.from_body("t/a.yaml", A)], {"acct-1": [hand]},
                           {("acct-1", "a")}, versions=lambda key: history, adopt=True)
    (action,) = adopted.actions
    assert (action.kind, action.takeover) == ("replace", True)
    assert runnable(adopted) == [action]
    assert "(made by hand, adopted)" in render_plan(adopted, "text")


def test_a_template_made_from_an_older_file_is_replaced_without_consent() -> None:
    older = remote(template_body("a", "acct-1", model_type="COMPLETION"), "id-old")
    history = {canonical_json(older), canonical_json(A)}
    (action,) = compute_plan([Desired.from_body("t/a.yaml", A)], {"acct-1": [older]},
                             {("acct-1", "a")}, versions=lambda key: history).actions
    assert (action.kind, action.takeover) == ("replace", False)


# --- models built on templates -----------------------------------------------------------


def test_actions_name_the_models_on_the_templates_they_delete() -> None:
    changed = json.loads(json.dumps(A))
    changed["model_type"] = "COMPLETION"
    state = {"acct-1": [remote(A, "id-a"), remote(B, "id-b")]}
    models = {"acct-1": [{"id": "m1", "name": "chat", "account_id": "acct-1",
                          "model_template_id": "id-a"},
                         {"id": "m2", "name": "search|bot", "account_id": "acct-1",
                          "model_template_id": "id-b"},
                         {"id": "m3", "name": "no template", "account_id": "acct-1"}]}
    plan = compute_plan([Desired.from_body("t/a.yaml", changed)], state,
                        {("acct-1", "a"), ("acct-1", "b")}, models=models,
                        safety=Safety(allow_deletes=1))
    assert [(a.kind, a.name, a.used_by) for a in plan.actions] == [
        ("replace", "a", (ModelRef("m1", "chat", "id-a"),)),
        ("delete", "b", (ModelRef("m2", "search|bot", "id-b"),))]
    text = render_plan(plan, "text")
    assert "id id-b: removed from git (used by 1 model(s))" in text
    markdown = render_plan(plan, "markdown")
    assert "| 1 model(s): <code>search&#124;bot</code> |" in markdown
    # The change of model_type is breaking: the models it breaks are named there too.
    breaking = [line for line in markdown.splitlines() if line.startswith("- ~ replace")]
    assert breaking == ["- ~ replace <code>acct-1/a</code>: changes&#32;model&#95;type&#32;from"
                        "&#32;&#39;GENERIC&#39;&#32;to&#32;&#39;COMPLETION&#39;. Used by 1 "
                        "model(s): <code>chat</code>."]
    assert json.loads(render_plan(plan, "json"))["actions"][1]["used_by"] == [
        {"id": "m2", "name": "search|bot", "template_id": "id-b"}]
    unknown = compute_plan([Desired.from_body("t/a.yaml", changed)], state, set())
    assert unknown.actions[0].used_by is None
