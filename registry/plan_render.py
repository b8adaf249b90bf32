"""A plan as text (a terminal or CI log), markdown (a PR comment or step summary) or JSON."""

from __future__ import annotations

import json
from typing import Any

from registry.plan import Action, Plan

SYMBOL = {"create": "+", "replace": "~", "takeover": "!", "delete": "-", "dedupe": "-"}
SHOWN_UNMANAGED = 20
MAX_VALUE = 60


def render_plan(plan: Plan, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(plan.to_dict(), indent=2, default=str)
    if fmt == "markdown":
        return _markdown(plan)
    return _text(plan)


def short(value: Any) -> str:
    """A value as one short line: JSON, cut in the middle when long."""
    text = "(absent)" if value is None else json.dumps(value, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 12] + " … " + text[-9:]


def describe(action: Action) -> str:
    """One line: what happens to which template, from which file, to which remote id."""
    line = _describe(action)
    return f"{line} [HELD: {action.held}]" if action.held else line


def _describe(action: Action) -> str:
    where = f" ({action.path})" if action.path else ""
    ids = ", ".join(action.remote_ids)
    if action.kind == "create":
        return f"{SYMBOL['create']} create  {action.account_id}/{action.name}{where}"
    if action.kind in ("replace", "takeover"):
        fields = ", ".join(action.changed_fields) or "(formatting only)"
        verb = "takeover " if action.kind == "takeover" else "replace "
        made = " (made by hand, adopted)" if action.kind == "replace" and action.takeover else ""
        line = (f"{SYMBOL[action.kind]} {verb}{action.account_id}/{action.name}{where} "
                f"id {ids}{made}: changes {fields}")
        return f"{line}; {action.reason}" if action.kind == "takeover" else line
    if action.kind == "dedupe":
        return (f"{SYMBOL['dedupe']} dedupe  {action.account_id}/{action.name}{where} "
                f"delete {ids}, keep {action.kept_id}")
    return f"{SYMBOL['delete']} delete  {action.account_id}/{action.name} id {ids}: {action.reason}"


def _header(plan: Plan) -> str:
    accounts = ", ".join(plan.accounts) or "none"
    return f"Plan for {plan.ref} ({plan.commit[:12]}); accounts: {accounts}"


def _text(plan: Plan) -> str:
    lines = [_header(plan)]
    for action in plan.actions:
        lines.append("  " + describe(action))
        for change in action.changes:
            lines.append(f"      {change.field}: {short(change.before)} -> {short(change.after)}")
    if not plan.actions:
        lines.append(f"  No changes: the API holds the {plan.unchanged} template(s) of this "
                     "commit.")
    if plan.unmanaged:
        lines.append(f"Not managed: {_unmanaged(plan)}")
    lines += [f"Warning: {warning}" for warning in plan.warnings]
    if plan.guard:
        lines.append(f"Deletion guard: {plan.guard}")
    lines.append(plan.summary())
    return "\n".join(lines)


def _unmanaged(plan: Plan) -> str:
    """Count and names of the templates git does not manage, with what to do about them."""
    names = [f"{u.account_id}/{u.name}" for u in plan.unmanaged]
    shown = ", ".join(names[:SHOWN_UNMANAGED])
    if len(names) > SHOWN_UNMANAGED:
        shown += f" and {len(names) - SHOWN_UNMANAGED} more"
    return (f"{len(names)} template(s) in the managed accounts that no file ever defined, "
            f"left alone: {shown}. `template-registry import` writes them into git; --prune "
            "deletes them.")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(plan: Plan) -> str:
    lines = [f"### Model templates: {plan.summary()}", "",
             f"Commit `{plan.commit[:12]}` ({_cell(plan.ref)}); accounts: "
             f"{', '.join(f'`{a}`' for a in plan.accounts) or 'none'}; "
             f"{plan.unchanged} unchanged.", ""]
    if plan.actions:
        lines += ["| | action | account | name | file | remote id |", "|---|---|---|---|---|---|"]
        for action in plan.actions:
            kind = f"{action.kind} (held)" if action.held else action.kind
            lines.append(f"| {SYMBOL[action.kind]} | {kind} | `{action.account_id}` | "
                         f"`{_cell(action.name)}` | {_cell(action.path or '')} | "
                         f"{', '.join(action.remote_ids)} |")
        for action in plan.actions:
            if action.kind != "replace":
                continue
            lines += ["", "<details><summary>", f"~ <code>{action.account_id}/{action.name}"
                      f"</code>: {len(action.changes)} changed field(s)</summary>", "",
                      "| field | before | after |", "|---|---|---|"]
            lines += [f"| `{_cell(c.field)}` | `{_cell(short(c.before))}` | "
                      f"`{_cell(short(c.after))}` |" for c in action.changes]
            lines += ["", "</details>"]
    else:
        lines.append("No changes.")
    if plan.unmanaged:
        lines.append(f"\n**Not managed:** {_cell(_unmanaged(plan))}")
    lines += [f"\n> [!WARNING]\n> {_cell(warning)}" for warning in plan.warnings]
    if plan.guard:
        lines.append(f"\n> [!CAUTION]\n> Deletion guard: {_cell(plan.guard)}")
    return "\n".join(lines)
