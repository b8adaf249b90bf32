"""Validate's findings as GitLab code quality (the subset of Code Climate's format GitLab
reads), for merge-request widgets: `artifacts: reports: codequality: FILE`.

A finding of rendered templates names its environments in its description, `... (in
staging, production)`; its fingerprint leaves them out.

Severity: an error is `major`, a warning `minor`. Our scale has two steps and GitLab's
five: these two keep errors above warnings in GitLab's order and leave the top steps
(`critical`, `blocker`) to tools that rank problems more finely.
"""

from __future__ import annotations

from collections.abc import Sequence

from registry.findings import Finding
from registry.render import jsonfmt
from registry.render.findings import message
from registry.render.fingerprint import fingerprints

SEVERITY = {"error": "major", "warning": "minor"}


def codeclimate(findings: Sequence[Finding], files: int) -> str:
    """A JSON array, one issue per finding (FILES is not part of the format)."""
    return jsonfmt.dumps([
        {"description": message(found), "check_name": found.rule, "fingerprint": print_,
         "severity": SEVERITY[found.severity],
         "location": {"path": found.path, "lines": {"begin": found.line}}}
        for found, print_ in zip(findings, fingerprints(findings), strict=True)
    ])
