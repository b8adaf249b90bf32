"""Validate's findings as text (for people), JSON (for machines) or GitHub annotations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry.findings import Finding
from registry.render import formats, jsonfmt
from registry.render import github as gh
from registry.render.terminal import escape


def render_findings(findings: Sequence[Finding], files: int, fmt: str) -> str:
    """The whole report in FMT (see formats.FORMATS["findings"])."""
    return formats.render("findings", fmt, findings, files)


def summary(findings: Sequence[Finding], files: int) -> str:
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    if not findings:
        return f"{files} file(s) checked: no problems found."
    return f"{files} file(s) checked: {errors} error(s), {warnings} warning(s)."


def message(finding: Finding) -> str:
    """The message as the text formats show it: with environments, those the finding
    occurs in as a suffix, `... (in staging, production)`."""
    if not finding.environments:
        return finding.message
    return f"{finding.message} (in {', '.join(finding.environments)})"


def text(findings: Sequence[Finding], files: int) -> str:
    """`PATH:LINE:COL: SEVERITY RULE: MESSAGE` per finding, then the summary."""
    lines = [f"{escape(f.path)}:{f.line}:{f.column}: {f.severity} {escape(f.rule)}: "
             f"{escape(message(f))}" for f in findings]
    return "\n".join([*lines, summary(findings, files)])


def json(findings: Sequence[Finding], files: int) -> str:
    return jsonfmt.dumps({"files": files, "findings": [as_dict(f) for f in findings]})


def as_dict(finding: Finding) -> dict[str, Any]:
    """A finding as a JSON object; one of rendered templates also has `environments`."""
    return {"path": finding.path, "line": finding.line, "column": finding.column,
            "severity": finding.severity, "rule": finding.rule, "message": finding.message,
            **({"environments": list(finding.environments)} if finding.environments else {})}


def github(findings: Sequence[Finding], files: int) -> str:
    """One `::error`/`::warning` annotation per finding, then the summary."""
    lines = [gh.command(f.severity, {"file": f.path, "line": f.line, "col": f.column,
                                     "title": f.rule}, message(f))
             for f in findings]
    return "\n".join([*lines, summary(findings, files)])
