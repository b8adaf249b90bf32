"""A plan as text (a terminal or CI log), markdown (a PR comment or step summary) or JSON.

Change values arrive redacted (registry.plan.diff): a `Redacted` marker is shown bare,
every other value as JSON with ASCII escapes. For review, each action also shows what it
breaks and how it changes the monthly cost, and the plan the total change.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable
from typing import Any

from registry.cost import Estimate
from registry.plan import Action, Plan
from registry.redact import Redacted
from registry.render import formats, jsonfmt
from registry.render import markdown as md
from registry.render.cost import NOTE, change_text, dollars, money, span, workers
from registry.render.terminal import escape, escape_controls

SYMBOL = {"create": "+", "replace": "~", "takeover": "!", "delete": "-", "dedupe": "-"}
MAX_VALUE = 60
SHOWN_UNMANAGED = 20


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
    line = _describe(action)
    if action.used_by:
        line += f" (used by {len(action.used_by)} model(s))"
    return f"{line} [HELD: {escape(action.held)}]" if action.held else line


def _describe(action: Action) -> str:
    who = f"{escape(action.account_id)}/{escape(action.name)}"
    where = f" ({escape(action.path)})" if action.path else ""
    ids = ", ".join(escape(i) for i in action.remote_ids)
    if action.kind == "create":
        return f"{SYMBOL['create']} create  {who}{where}"
    if action.kind in ("replace", "takeover"):
        fields = ", ".join(escape(f) for f in action.changed_fields) or "(formatting only)"
        verb = "takeover " if action.kind == "takeover" else "replace "
        made = " (made by hand, adopted)" if action.kind == "replace" and action.takeover else ""
        line = f"{SYMBOL[action.kind]} {verb}{who}{where} id {ids}{made}: changes {fields}"
        return f"{line}; {escape(action.reason)}" if action.kind == "takeover" else line
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
        lines += [f"      BREAKING: {escape(why)}" for why in action.breaking]
        priced = _cost_text(action)
        if priced:
            lines.append(f"      {priced}")
    if not plan.actions:
        lines.append(f"  No changes: the API holds the {plan.unchanged} template(s) of this "
                     "commit.")
    if plan.unmanaged:
        lines.append(f"Not managed: {_unmanaged(plan, escape)}")
    lines += [f"Warning: {escape(warning)}" for warning in plan.warnings]
    if plan.guard:
        lines.append(f"Deletion guard: {escape(plan.guard)}")
    if plan.breaking:
        lines.append(f"Breaking: {_breaking_count(plan)}.")
    total = plan.cost_change
    if total is not None:
        lines.append(f"Monthly cost change: {change_text(total)}{_unpriced(total.unpriced)}.")
    lines.append(plan.summary())
    return "\n".join(lines)


def _cost_text(action: Action) -> str:
    """`monthly cost: OLD -> NEW; change +$X to +$Y` ("" when the action is not priced)."""
    delta = action.cost_delta
    if delta is None:
        return ""
    sides = [_side(item) for item in (action.cost_before, action.cost_after) if item is not None]
    return f"monthly cost: {' -> '.join(sides)}; change {change_text(delta)}"


def _side(item: Estimate) -> str:
    """`g5.4xlarge x 1-8, $1,186 to $9,484`, or `no price (why)`."""
    if not item.priced:
        return f"no price ({escape(item.reason)})"
    return f"{escape(item.instance)} x {workers(item)}, {span(item)}"


def _breaking_count(plan: Plan) -> str:
    return (f"{len(plan.breaking)} change(s) break models created from a template, or "
            "callers that send its old request parameters")


def _unpriced(count: int) -> str:
    return f"; {count} change(s) without a price not counted" if count else ""


def _unmanaged(plan: Plan, show: Callable[[str], str]) -> str:
    """Count and names of the templates git does not manage, and what to do about them."""
    names = [show(f"{u.account_id}/{u.name}") for u in plan.unmanaged]
    shown = ", ".join(names[:SHOWN_UNMANAGED])
    if len(names) > SHOWN_UNMANAGED:
        shown += f" and {len(names) - SHOWN_UNMANAGED} more"
    return (f"{len(names)} template(s) in the managed accounts that no file ever defined, "
            f"left alone: {shown}. `template-registry import` writes them into git; --prune "
            "deletes them.")


def json(plan: Plan) -> str:
    return jsonfmt.dumps(plan.to_dict())


def markdown(plan: Plan) -> str:
    """A summary line, a table of actions, and a collapsible field diff per replacement."""
    accounts = ", ".join(md.code(a) for a in plan.accounts) or "none"
    lines = [f"### Model templates: {plan.summary()}", "",
             f"Commit {md.code(plan.commit[:12])} ({md.code(plan.ref)}); accounts: {accounts}; "
             f"{plan.unchanged} unchanged.", ""]
    lines += _headline(plan)
    lines += _notes(plan)
    if not plan.actions:
        lines.append("No changes.")
        return "\n".join(lines)
    lines += ["| | action | account | name | file | remote id | used by |",
              "|---|---|---|---|---|---|---|"]
    for action in plan.actions:
        ids = ", ".join(md.code(i) for i in action.remote_ids)
        kind = f"{action.kind} (held)" if action.held else action.kind
        kind += " (breaking)" if action.breaking else ""
        lines.append(f"| {SYMBOL[action.kind]} | {kind} | {md.code(action.account_id)} | "
                     f"{md.code(action.name)} | {md.code(action.path) if action.path else ''} | "
                     f"{ids} | {_models(action)} |")
    for action in plan.actions:
        if action.kind not in ("replace", "takeover"):
            continue
        lines += ["", "<details><summary>",
                  f"~ {md.code(f'{action.account_id}/{action.name}')}: "
                  f"{len(action.changes)} changed field(s)</summary>", "",
                  "| field | before | after |", "|---|---|---|"]
        lines += [f"| {md.code(c.field)} | {md.code_escaped(short(c.before))} | "
                  f"{md.code_escaped(short(c.after))} |" for c in action.changes]
        lines += ["", "</details>"]
    held = [a for a in plan.actions if a.held or a.kind == "takeover"]
    if held:
        lines += ["", "Held back:", ""]
        lines += [f"- {md.code(f'{a.account_id}/{a.name}')}: {md.text(a.held or a.reason)}"
                  for a in held]
    return "\n".join(lines + _breaking_section(plan) + _cost_section(plan))


def _headline(plan: Plan) -> list[str]:
    """What a reviewer reads first: the breaking changes and the cost change, if any."""
    parts = []
    if plan.breaking:
        parts.append(f"**Breaking changes:** {len(plan.breaking)} (listed below).")
    total = plan.cost_change
    if total is not None:
        parts.append(f"**Monthly cost change:** {dollars(change_text(total))}"
                     f"{_unpriced(total.unpriced)}.")
    return [" ".join(parts), ""] if parts else []


def _breaking_section(plan: Plan) -> list[str]:
    """Each breaking change and why."""
    if not plan.breaking:
        return []
    lines = ["", "#### Breaking changes", "",
             f"{_breaking_count(plan)}. Review them with the teams that use these templates.",
             ""]
    for action in plan.breaking:
        who = md.code(f"{action.account_id}/{action.name}")
        why = "; ".join(md.text(reason) for reason in action.breaking)
        used = f" Used by {_models(action)}." if action.used_by else ""
        lines.append(f"- {SYMBOL[action.kind]} {action.kind} {who}: {why}.{used}")
    return lines


def _cost_section(plan: Plan) -> list[str]:
    """A table of the monthly cost of what each action removes and creates, the change,
    and the total change."""
    total = plan.cost_change
    if total is None:
        return []
    lines = ["", "#### Monthly cost", "", NOTE, "",
             "| | account | name | instance | floor | ceiling | change |",
             "|---|---|---|---|---|---|---|"]
    for action in plan.actions:
        delta = action.cost_delta
        if delta is None:
            continue
        sides = [item for item in (action.cost_before, action.cost_after) if item is not None]
        cells = [" → ".join(_md_cell(item, part) for item in sides)
                 for part in ("instance", "floor", "ceiling")]
        lines.append(f"| {SYMBOL[action.kind]} | {md.code(action.account_id)} | "
                     f"{md.code(action.name)} | {' | '.join(cells)} | "
                     f"{dollars(change_text(delta))} |")
    lines.append(f"| | **total** | | | | | **{dollars(change_text(total))}** |")
    if total.unpriced:
        lines += ["", f"{total.unpriced} change(s) without a price are not counted."]
    return lines


def _md_cell(item: Estimate, part: str) -> str:
    """One markdown cell part of an estimate: its instance (and workers), floor or ceiling."""
    if not item.priced:
        return md.text(f"no price ({item.reason})") if part == "instance" else "no price"
    if part == "instance":
        return f"{md.code(item.instance)} x {workers(item)}"
    value = item.floor if part == "floor" else item.ceiling
    return dollars(money(value or 0.0))


def _models(action: Action) -> str:
    """`used by N model(s): a, b` for a table cell (names encoded), or nothing."""
    if not action.used_by:
        return ""
    names = ", ".join(md.code(m.name) for m in action.used_by[:10])
    more = f" and {len(action.used_by) - 10} more" if len(action.used_by) > 10 else ""
    return f"{len(action.used_by)} model(s): {names}{more}"


def _notes(plan: Plan) -> list[str]:
    """What the reviewer should know besides the actions: guard, warnings, not managed."""
    lines = []
    if plan.guard:
        lines += [f"> [!CAUTION]\n> Deletion guard: {md.text(plan.guard)}", ""]
    lines += [f"> [!WARNING]\n> {md.text(warning)}\n" for warning in plan.warnings]
    if plan.unmanaged:
        lines += [f"**Not managed:** {_unmanaged(plan, md.code)}", ""]
    return lines
