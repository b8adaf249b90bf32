"""Print findings as text (for people), JSON (for machines) or GitHub annotations (for PRs)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from registry.findings import Finding


def _escape_github(text: str, *, property_value: bool = False) -> str:
    """GitHub workflow-command escaping (%, CR, LF; plus : and , inside properties)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def summary(findings: Sequence[Finding], files: int) -> str:
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    if not findings:
        return f"{files} file(s) checked: no problems found."
    return f"{files} file(s) checked: {errors} error(s), {warnings} warning(s)."


def render(findings: Sequence[Finding], files: int, fmt: str) -> str:
    """The whole report in FMT (text, json or github)."""
    if fmt == "json":
        return json.dumps({
            "files": files,
            "findings": [
                {"path": f.path, "line": f.line, "column": f.column, "severity": f.severity,
                 "rule": f.rule, "message": f.message}
                for f in findings
            ],
        }, indent=2)
    if fmt == "github":
        lines = [
            f"::{f.severity} file={_escape_github(f.path, property_value=True)},line={f.line},"
            f"col={f.column},title={_escape_github(f.rule, property_value=True)}::"
            f"{_escape_github(f.message)}"
            for f in findings
        ]
        return "\n".join([*lines, summary(findings, files)])
    lines = [f"{f.path}:{f.line}:{f.column}: {f.severity} {f.rule}: {f.message}" for f in findings]
    return "\n".join([*lines, summary(findings, files)])
