"""A plan as text (a terminal or CI log), markdown (a PR comment or step summary) or JSON.

Change values arrive redacted (registry.plan.diff): a `Redacted` marker is shown bare,
every other value as JSON with ASCII escapes.
"""

from __future__ import annotations

import json as jsonlib
from typing import Any

from registry.plan import Action, Plan
from registry.redact import Redacted
from registry.render import formats, jsonfmt
from registry.render import markdown as md
from registry.render.terminal import escape, escape_controls

SYMBOL = {"create": "+", "replace": "~", "delete": "-", "dedupe": "-"}
MAX_VALUE = 60


def render_plan(plan: Plan, fmt: str) -> str:
    """PLAN in FMT (see formats.FORMATS["plan"])."""
    return formats.render("plan", fmt, plan)


def short(value: Any) -> str:
    """A value as one short line of printable ASCII: JSON, cut in the middle when long."""
    if isinstance(value, Redacted):
        return str(value)
    text = "(absent)" if value is None else jsonlib.dumps(value, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 12] + " … " + text[-9:]


def describe(action: Action) -> str:
    """One line: what happens to which template, from which file, to which remote id."""
    who = f"{escape(action.account_id)}/{escape(action.name)}"
    where = f" ({escape(action.path)})" if action.path else ""
    ids = ", ".join(escape(i) for i in action.remote_ids)
    if action.kind == "create":
        return f"{SYMBOL['create']} create  {who}{where}"
    if action.kind == "replace":
        fields = ", ".join(escape(f) for f in action.changed_fields) or "(formatting only)"
        return f"{SYMBOL['replace']} replace {who}{where} id {ids}: changes {fields}"
    if action.kind == "dedupe":
        return (f"{SYMBOL['dedupe']} dedupe  {who}{where} delete {ids}, "
                f"keep {escape(action.kept_id or '')}")
    return f"{SYMBOL['delete']} delete  {who} id {ids}: {escape(action.reason)}"


def text(plan: Plan) -> str:
    accounts = ", ".join(escape(a) for a in plan.accounts) or "none"
    lines = [f"Plan for {escape(plan.ref)} ({escape(plan.commit[:12])}); accounts: {accounts}"]
    for action in plan.actions:
        lines.append("  " + describe(action))
        for change in action.changes:
            lines.append(f"      {escape(change.field)}: {escape_controls(short(change.before))}"
                         f" -> {escape_controls(short(change.after))}")
    if not plan.actions:
        lines.append(f"  No changes: the API holds the {plan.unchanged} template(s) of this "
                     "commit.")
    lines.append(plan.summary())
    return "\n".join(lines)


def json(plan: Plan) -> str:
    return jsonfmt.dumps(plan.to_dict())


def markdown(plan: Plan) -> str:
    """A summary line, a table of actions, and a collapsible field diff per replacement."""
    accounts = ", ".join(md.code(a) for a in plan.accounts) or "none"
    lines = [f"### Model templates: {plan.summary()}", "",
             f"Commit {md.code(plan.commit[:12])} ({md.code(plan.ref)}); accounts: {accounts}; "
             f"{plan.unchanged} unchanged.", ""]
    if not plan.actions:
        lines.append("No changes.")
        return "\n".join(lines)
    lines += ["| | action | account | name | file | remote id |", "|---|---|---|---|---|---|"]
    for action in plan.actions:
        ids = ", ".join(md.code(i) for i in action.remote_ids)
        lines.append(f"| {SYMBOL[action.kind]} | {action.kind} | {md.code(action.account_id)} | "
                     f"{md.code(action.name)} | {md.code(action.path) if action.path else ''} | "
                     f"{ids} |")
    for action in plan.actions:
        if action.kind != "replace":
            continue
        lines += ["", "<details><summary>",
                  f"~ {md.code(f'{action.account_id}/{action.name}')}: "
                  f"{len(action.changes)} changed field(s)</summary>", "",
                  "| field | before | after |", "|---|---|---|"]
        lines += [f"| {md.code(c.field)} | {md.code_escaped(short(c.before))} | "
                  f"{md.code_escaped(short(c.after))} |" for c in action.changes]
        lines += ["", "</details>"]
    return "\n".join(lines)
