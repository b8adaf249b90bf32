"""Validate's findings as text (for people), JSON (for machines) or GitHub annotations."""

from __future__ import annotations

from collections.abc import Sequence

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


def text(findings: Sequence[Finding], files: int) -> str:
    """`PATH:LINE:COL: SEVERITY RULE: MESSAGE` per finding, then the summary."""
    lines = [f"{escape(f.path)}:{f.line}:{f.column}: {f.severity} {escape(f.rule)}: "
             f"{escape(f.message)}" for f in findings]
    return "\n".join([*lines, summary(findings, files)])


def json(findings: Sequence[Finding], files: int) -> str:
    return jsonfmt.dumps({
        "files": files,
        "findings": [
            {"path": f.path, "line": f.line, "column": f.column, "severity": f.severity,
             "rule": f.rule, "message": f.message}
            for f in findings
        ],
    })


def github(findings: Sequence[Finding], files: int) -> str:
    """One `::error`/`::warning` annotation per finding, then the summary."""
    lines = [gh.command(f.severity, {"file": f.path, "line": f.line, "col": f.column,
                                     "title": f.rule}, f.message)
             for f in findings]
    return "\n".join([*lines, summary(findings, files)])
