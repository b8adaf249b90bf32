"""The rule catalogue as a table (text), the README's markdown table, JSON; one rule explained."""

from __future__ import annotations

from collections.abc import Sequence

from registry.render import formats, jsonfmt
from registry.render.listing import align
from registry.rules import Rule


def render_rules(rules: Sequence[Rule], fmt: str) -> str:
    """RULES in FMT (see formats.FORMATS["rules"])."""
    return formats.render("rules", fmt, rules)


def text(rules: Sequence[Rule]) -> str:
    rows = [(r.id, r.severity, r.scope, r.summary) for r in rules]
    return "\n".join(align([("RULE", "DEFAULT", "SCOPE", "WHAT IT CATCHES"), *rows]))


def markdown(rules: Sequence[Rule]) -> str:
    """The README's rule table (our own text: no untrusted input reaches it)."""
    lines = ["| rule | default | what it catches |", "|---|---|---|"]
    lines += [f"| `{r.id}` | {r.severity} | {r.summary.replace('|', '&#124;')} |" for r in rules]
    return "\n".join(lines)


def json(rules: Sequence[Rule]) -> str:
    return jsonfmt.dumps([{"id": r.id, "severity": r.severity, "scope": r.scope,
                           "summary": r.summary, "why": r.why, "example": r.example,
                           "fix": r.fix} for r in rules])


def explain(rule: Rule) -> str:
    """What one rule catches, why, a bad example and the fix, for `explain RULE-ID`."""
    example = "\n".join(f"    {line}" for line in rule.example.splitlines())
    return "\n".join([
        f"{rule.id} ({rule.severity} by default; scope: {rule.scope})", "",
        f"Catches: {rule.summary}.", "", f"Why: {rule.why}", "", "Bad example:", example, "",
        f"Fix: {rule.fix}", "",
        f'Turn it off or change its severity in pyproject.toml: [tool.template-registry.rules] '
        f'"{rule.id}" = "off" | "warning" | "error"; or on one line: '
        f"# template-registry: ignore[{rule.id}] why"])
