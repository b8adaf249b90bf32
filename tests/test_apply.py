"""apply_plan's ordering guarantees, with a scripted client (the end-to-end proof against
the real server is in tests/commands/test_sync.py)."""

from __future__ import annotations

import threading
from typing import Any

from registry.apply import apply_plan
from registry.plan import Action, ModelRef, Plan


class ScriptedClient:
    def __init__(self, fail_creates: set[str] = frozenset(), fail_deletes: set[str] = frozenset(),
                 fail_moves: set[str] = frozenset()) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail_creates, self.fail_deletes = fail_creates, fail_deletes
        self.fail_moves = fail_moves
        self.lock = threading.Lock()

    def create_template(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.calls.append(("create", body["name"]))
        if body["name"] in self.fail_creates:
            raise RuntimeError(f"503 on create {body['name']}")
        return {"id": f"new-{body['name']}"}

    def delete_template(self, template_id: str, account_id: str) -> None:
        with self.lock:
            self.calls.append(("delete", template_id))
        if template_id in self.fail_deletes:
            raise RuntimeError(f"503 on delete {template_id}")

    def move_model(self, model_id: str, template_id: str, account_id: str) -> None:
        with self.lock:
            self.calls.append(("move", f"{model_id}->{template_id}"))
        if model_id in self.fail_moves:
            raise RuntimeError(f"503 on PATCH {model_id}")


def plan_of(*actions: Action) -> Plan:
    return Plan("HEAD", "c" * 40, ("acct",), actions, 0)


def replace(name: str, *old: str) -> Action:
    return Action("replace", "acct", name, f"{name}.yaml", remote_ids=old, body={"name": name})


def test_replace_creates_before_deleting() -> None:
    client = ScriptedClient()
    report = apply_plan(plan_of(replace("a", "old-1", "old-2")), client)
    assert client.calls == [("create", "a"), ("delete", "old-1"), ("delete", "old-2")]
    assert report.outcomes[0].created_id == "new-a"
    assert report.outcomes[0].deleted_ids == ["old-1", "old-2"]


def test_failed_create_deletes_nothing_and_others_go_on() -> None:
    client = ScriptedClient(fail_creates={"a"})
    actions = (replace("a", "old-a"), replace("b", "old-b"),
               Action("delete", "acct", "c", remote_ids=("old-c",)))
    report = apply_plan(plan_of(*actions), client, parallelism=1)
    assert ("delete", "old-a") not in client.calls
    assert ("delete", "old-b") in client.calls and ("delete", "old-c") in client.calls
    assert [o.ok for o in report.outcomes] == [False, True, True]
    assert report.outcomes[0].error == "503 on create a"
    assert report.summary() == "Sync: 2 applied, 1 failed."


def test_failed_delete_is_reported_with_what_was_done() -> None:
    client = ScriptedClient(fail_deletes={"old-2"})
    report = apply_plan(plan_of(replace("a", "old-1", "old-2")), client)
    (outcome,) = report.outcomes
    assert (outcome.ok, outcome.created_id, outcome.deleted_ids) == (False, "new-a", ["old-1"])


def test_parallelism_is_bounded() -> None:
    in_flight, peak = 0, 0
    lock = threading.Lock()
    gate = threading.Event()

    class Slow(ScriptedClient):
        def create_template(self, body: dict[str, Any]) -> dict[str, Any]:
            nonlocal in_flight, peak
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            gate.wait(0.01)
            with lock:
                in_flight -= 1
            return {"id": body["name"]}

    actions = [Action("create", "acct", f"t{i}", body={"name": f"t{i}"}) for i in range(40)]
    report = apply_plan(plan_of(*actions), Slow(), parallelism=3)
    assert peak == 3
    assert [o.created_id for o in report.outcomes] == [f"t{i}" for i in range(40)]


def used(*ids: str, template: str = "old-a") -> tuple[ModelRef, ...]:
    return tuple(ModelRef(i, f"model {i}", template) for i in ids)


def test_a_replacement_moves_the_models_before_deleting() -> None:
    client = ScriptedClient()
    action = Action("replace", "acct", "a", "a.yaml", remote_ids=("old-a",), body={"name": "a"},
                    used_by=used("m1", "m2"))
    (outcome,) = apply_plan(plan_of(action), client).outcomes
    assert client.calls == [("create", "a"), ("move", "m1->new-a"), ("move", "m2->new-a"),
                            ("delete", "old-a")]
    assert (outcome.ok, outcome.moved_models) == (True, ["m1", "m2"])


def test_a_failed_move_keeps_the_old_template() -> None:
    client = ScriptedClient(fail_moves={"m2"})
    action = Action("replace", "acct", "a", "a.yaml", remote_ids=("old-a",), body={"name": "a"},
                    used_by=used("m1", "m2", "m3"))
    (outcome,) = apply_plan(plan_of(action), client).outcomes
    assert ("delete", "old-a") not in client.calls
    assert (outcome.ok, outcome.moved_models) == (False, ["m1", "m3"])
    assert outcome.error == ("kept the old template: 1 of 3 model(s) could not be moved to "
                             "new-a ('model m2': 503 on PATCH m2); run sync again to finish")


def test_a_dedupe_moves_the_models_to_the_kept_template() -> None:
    client = ScriptedClient()
    action = Action("dedupe", "acct", "a", "a.yaml", remote_ids=("dup",), kept_id="keep",
                    used_by=used("m1", template="dup"))
    apply_plan(plan_of(action), client)
    assert client.calls == [("move", "m1->keep"), ("delete", "dup")]


def test_deleting_a_used_template_is_refused_unless_forced() -> None:
    action = Action("delete", "acct", "a", remote_ids=("old-a",), used_by=used("m1"))
    client = ScriptedClient()
    (outcome,) = apply_plan(plan_of(action), client).outcomes
    assert client.calls == []
    assert (outcome.ok, outcome.error) == (False, (
        "refused: 1 model(s) use it ('model m1') and would be left on a deleted template; move "
        "them first, or run sync --force-delete-used"))
    forced = ScriptedClient()
    (outcome,) = apply_plan(plan_of(action), forced, force_delete_used=True).outcomes
    assert (forced.calls, outcome.ok) == ([("delete", "old-a")], True)
