"""Inline ignores: `# template-registry: ignore[RULE-ID, ...] why` on a line, or the line above.

A team adopting live templates that break a rule today says "not yet" per finding, in
the file, where review sees it. An ignore applies to the findings of its rules on its
own line (a trailing comment) and on the next line (a comment line above). One without a
reason, for an unknown rule, or that matches nothing is itself a finding
(`ignore-comment`, a warning), so ignores cannot silently outlive their cause.

Directives are read from the raw text (libyaml drops comments): a `#` that starts a YAML
comment, at the start of a line or after whitespace. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import NamedTuple

from registry.findings import Finding, shorten, shown
from registry.rules import BY_ID, IGNORE_COMMENT, did_you_mean

_MARK = "template-registry:"
_DIRECTIVE = re.compile(r"(?:^|(?<=\s))#\s*template-registry:\s*ignore\[([^\]\n]*)\][ \t]*(.*)")


class Directive(NamedTuple):
    """One ignore comment: where it is, which rules, and why."""

    line: int
    column: int
    rules: tuple[str, ...]
    reason: str


def parse(text: str) -> list[Directive]:
    """Every ignore directive of a file's text, in order."""
    if _MARK not in text:  # the common case costs one substring search
        return []
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        if _MARK not in line:
            continue
        match = _DIRECTIVE.search(line)
        if match is not None:
            rules = tuple(r.strip() for r in match.group(1).split(",") if r.strip())
            found.append(Directive(number, match.start() + 1, rules, match.group(2).strip()))
    return found


def apply(findings: Sequence[Finding], directives: Sequence[Directive], path: str,
          off: Collection[str] = ()) -> list[Finding]:
    """FINDINGS of PATH without those an ignore covers, plus an `ignore-comment` warning
    for each ignore without a reason, naming an unknown rule, or matching nothing (unless
    its rule is turned off in the configuration, RULE IDS in OFF)."""
    kept, used = suppress(findings, directives)
    return kept + problems(directives, used, path, off)


def suppress(findings: Sequence[Finding], directives: Sequence[Directive]
             ) -> tuple[list[Finding], set[int]]:
    """(FINDINGS without those an ignore covers, the indices of the DIRECTIVES used)."""
    if not directives:
        return list(findings), set()
    covered: dict[tuple[int, str], int] = {}
    for index, directive in enumerate(directives):
        for rule in directive.rules:
            covered.setdefault((directive.line, rule), index)
            covered.setdefault((directive.line + 1, rule), index)
    used: set[int] = set()
    kept = []
    for finding in findings:
        match = covered.get((finding.line, finding.rule))
        known = BY_ID.get(finding.rule)
        if match is None or known is None or known.essential or known is IGNORE_COMMENT:
            kept.append(finding)
        else:
            used.add(match)
    return kept, used


def problems(directives: Sequence[Directive], used: Collection[int], path: str,
             off: Collection[str] = ()) -> list[Finding]:
    """An `ignore-comment` warning for each directive that gives no reason, names an
    unknown rule, or (by index) is not in USED though its rule is on."""
    found = []
    for index, directive in enumerate(directives):
        found += _problems(directive, index in used, path, off)
    return found


def _problems(directive: Directive, used: bool, path: str,
              off: Collection[str]) -> list[Finding]:
    def warn(message: str) -> Finding:
        return Finding(path, directive.line, directive.column, IGNORE_COMMENT.severity,
                       IGNORE_COMMENT.id, message)

    listed = shorten(", ".join(directive.rules))
    problems = []
    if not directive.rules:
        problems.append(warn("ignore[] names no rule; write ignore[RULE-ID] why"))
    for rule in directive.rules:
        if rule not in BY_ID:
            problems.append(warn(f"ignore names no known rule {shown(rule)}"
                                 f"{did_you_mean(rule)}"))
        elif BY_ID[rule].essential:
            problems.append(warn(f"ignore[{rule}] cannot silence {rule}: a template that "
                                 "breaks it cannot be loaded or pushed; fix the finding"))
    if directive.rules and not directive.reason:
        problems.append(warn(f"ignore[{listed}] gives no reason; say why after the bracket, "
                             "so that review can judge it"))
    known = [r for r in directive.rules if r in BY_ID and r not in off
             and not BY_ID[r].essential]
    if known and not used:
        problems.append(warn(f"ignore[{listed}] matches no finding on this line or the next; "
                             "remove it"))
    return problems
