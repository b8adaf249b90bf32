"""Run every rule on one file's bytes: the expensive, path-independent, cacheable stage.

The result depends only on the bytes (and the code), so it is cached by content hash;
the cross-file and path rules run afterwards on the small identities kept here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry import ignores
from registry.config import DEFAULT_CONTENT, ContentSettings
from registry.findings import Finding
from registry.loader import Document, load_document
from registry.results import FileResult, PlainDirective, Row, identity_of
from validators import image_tag, launch_resources, launch_routes, parameter_schema, schema, secret

Rule = Callable[[Document], list[Finding]]
CONTENT_RULES: tuple[Rule, ...] = (
    schema.check,
    parameter_schema.check,
    launch_routes.check,
    image_tag.check,
    secret.check,
)
MAX_FINDINGS = 50  # per file; the rest are counted in one more finding


def check_content(raw: bytes, path: str = "",
                  settings: ContentSettings = DEFAULT_CONTENT) -> FileResult:
    """Load RAW and run every content rule on it."""
    return check_and_load(raw, path, settings)[0]


def check_and_load(raw: bytes, path: str = "", settings: ContentSettings = DEFAULT_CONTENT
                   ) -> tuple[FileResult, dict[str, Any] | None]:
    """The rules' result for RAW, and its data when it loads (plan needs the body too).

    Findings of rules turned off, and those an inline ignore covers, are dropped before
    the per-file cap, so the cap counts only what will be shown.
    """
    loaded = load_document(raw, path)
    findings = list(loaded.findings)
    doc = loaded.document
    if doc is not None:
        findings += content_findings(doc, settings)
    if settings.off:
        findings = [f for f in findings if f.rule not in settings.off]
    directives = ignores.parse(raw.decode("utf-8", "replace")) \
        if b"template-registry:" in raw else []
    findings, used = ignores.suppress(findings, directives)
    rows = capped([f.as_tuple() for f in findings], loaded.omitted)
    # Plain tuples: the cache is written with marshal, which stores no named tuples.
    plain: list[PlainDirective] = [(d.line, d.column, d.rules, d.reason) for d in directives]
    result = FileResult(rows, identity_of(doc) if doc is not None else None, plain,
                        sorted(used))
    return result, (doc.data if doc is not None else None)


def content_findings(doc: Document, settings: ContentSettings = DEFAULT_CONTENT
                     ) -> list[Finding]:
    """Every content rule's findings on DOC (a file's, or a rendered one's)."""
    findings: list[Finding] = []
    for rule in CONTENT_RULES:
        findings += rule(doc)
    findings += launch_resources.check(doc, settings.launch)
    return findings


def capped(rows: list[Row], omitted: int = 0) -> list[Row]:
    """ROWS sorted, at most MAX_FINDINGS of them, then one row counting the rest.

    A file with thousands of problems is not a template someone fixes one finding at a
    time: the first ones are what helps, and a bounded report keeps the output, the
    cache and the memory small. OMITTED counts errors the loader found but did not keep.
    """
    rows.sort()
    more = len(rows) - MAX_FINDINGS + omitted
    if more <= 0:
        return rows
    hidden = rows[MAX_FINDINGS:]
    line, column, _, rule, _ = hidden[0] if hidden else rows[-1]
    severity = "error" if omitted or any(row[2] == "error" for row in hidden) else "warning"
    return [*rows[:MAX_FINDINGS],
            (line, column, severity, rule,
             f"{more} more finding(s) not shown (fix the ones above first)")]
