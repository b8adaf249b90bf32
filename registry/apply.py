"""Apply a plan: one API call per create and delete (plus retries), in bounded parallel.

A replacement creates the new template before deleting the old one, and deletes nothing
if the create failed, so a template is never missing because of a failed sync. Models
built on a template that is about to be deleted are first moved to its successor (the
new template of a replacement, the kept one of a dedupe); if any move fails, the old
template stays and the action fails, and the next sync finishes the job. A template
that models still use and that has no successor (a delete) is not deleted unless
--force-delete-used. A held action (registry.plan's deletion guard) deletes nothing. A
failed action does not stop the others; running sync again converges, since the next
plan is computed from what the API then holds.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Protocol

from registry.plan import Action, Plan


class Client(Protocol):
    def create_template(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def delete_template(self, template_id: str, account_id: str) -> object: ...
    def move_model(self, model_id: str, template_id: str, account_id: str) -> object: ...


class Refused(Exception):
    """An action that would strand models: reported as failed, nothing deleted."""


@dataclass
class Outcome:
    """What became of one action."""

    action: Action
    ok: bool = True
    created_id: str | None = None
    deleted_ids: list[str] = field(default_factory=list)
    moved_models: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action.to_dict(), "ok": self.ok, "created_id": self.created_id,
                "moved_models": self.moved_models, "deleted_ids": self.deleted_ids,
                "error": self.error}


@dataclass
class Report:
    plan: Plan
    outcomes: list[Outcome]
    # After applying: dedupes of a concurrent writer's duplicates, and what still differed.
    repairs: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def summary(self) -> str:
        done = len(self.outcomes) - len(self.failed)
        text = f"Sync: {done} applied, {len(self.failed)} failed."
        held = len(self.plan.held)
        return text[:-1] + f", {held} held back." if held else text

    def to_dict(self) -> dict[str, Any]:
        return {"plan": self.plan.to_dict(), "applied": len(self.outcomes) - len(self.failed),
                "failed": len(self.failed), "held": len(self.plan.held),
                "outcomes": [o.to_dict() for o in self.outcomes],
                "repairs": [o.to_dict() for o in self.repairs], "problems": self.problems}


def apply_action(action: Action, client: Client, *,
                 force_delete_used: bool = False) -> Outcome:
    """Run one action; errors become a failed outcome (with what was done before them)."""
    outcome = Outcome(action)
    try:
        if action.kind in ("create", "replace"):
            assert action.body is not None, "create and replace carry the body"
            created = client.create_template(action.body)
            outcome.created_id = str(created.get("id"))
        if action.kind in ("replace", "delete", "dedupe") and action.deletes:
            successor = outcome.created_id if action.kind == "replace" else action.kept_id
            _move_models(action, successor, client, outcome, force_delete_used)
            for remote_id in action.remote_ids:
                client.delete_template(remote_id, action.account_id)
                outcome.deleted_ids.append(remote_id)
    except Exception as exc:
        outcome.ok = False
        outcome.error = str(exc) or type(exc).__name__
    return outcome


def _move_models(action: Action, successor: str | None, client: Client, outcome: Outcome,
                 force_delete_used: bool) -> None:
    """Move the models on the templates ACTION deletes to SUCCESSOR; Refused when one
    cannot be moved, or when there is no successor (unless FORCE_DELETE_USED)."""
    models = action.used_by or ()
    if not models:
        return
    names = ", ".join(repr(m.name) for m in models[:5]) + (
        f" and {len(models) - 5} more" if len(models) > 5 else "")
    if successor is None:
        if force_delete_used:
            return
        raise Refused(f"refused: {len(models)} model(s) use it ({names}) and would be left on "
                      "a deleted template; move them first, or run sync --force-delete-used")
    failures = []
    for model in models:
        try:
            client.move_model(model.id, successor, action.account_id)
            outcome.moved_models.append(model.id)
        except Exception as exc:
            failures.append(f"{model.name!r}: {str(exc) or type(exc).__name__}")
    if failures:
        raise Refused(f"kept the old template: {len(failures)} of {len(models)} model(s) could "
                      f"not be moved to {successor} ({'; '.join(failures[:3])}); run sync "
                      "again to finish")


def apply_plan(plan: Plan, client: Client, *, parallelism: int = 8,
               on_done: Callable[[Outcome], None] | None = None,
               force_delete_used: bool = False) -> Report:
    """Apply every action that does something (held deletes do not) with at most
    PARALLELISM calls in flight; report in plan order."""
    todo = runnable(plan)
    outcomes: dict[int, Outcome] = {}
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        futures = {pool.submit(apply_action, action, client,
                               force_delete_used=force_delete_used): index
                   for index, action in enumerate(todo)}
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[futures[future]] = outcome
            if on_done is not None:
                on_done(outcome)
    return Report(plan, [outcomes[i] for i in range(len(todo))])


def runnable(plan: Plan) -> list[Action]:
    """The actions that make a call: all but held deletes and dedupes, and takeovers
    (a replacement of a hand-made template waits for --adopt)."""
    return [a for a in plan.actions
            if a.kind in ("create", "replace") or (a.kind in ("delete", "dedupe") and a.deletes)]
