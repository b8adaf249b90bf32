"""Run every rule on one file's bytes: the expensive, path-independent, cacheable stage.

The result depends only on the bytes (and the code), so it is cached by content hash;
the cross-file and path rules run afterwards on the small identities kept here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.findings import Finding
from registry.loader import Document, load_document
from registry.results import FileResult, identity_of
from validators import image_tag, launch_resources, launch_routes, parameter_schema, schema, secret

Rule = Callable[[Document], list[Finding]]
CONTENT_RULES: tuple[Rule, ...] = (
    schema.check,
    parameter_schema.check,
    launch_resources.check,
    launch_routes.check,
    image_tag.check,
    secret.check,
)
def check_content(raw: bytes, path: str = "") -> FileResult:
    """Load RAW and run every content rule on it."""
    return check_and_load(raw, path)[0]


def check_and_load(raw: bytes, path: str = "") -> tuple[FileResult, dict[str, Any] | None]:
    """The rules' result for RAW, and its data when it loads (plan needs the body too)."""
    loaded = load_document(raw, path)
    findings = list(loaded.findings)
    doc = loaded.document
    if doc is None:
        return FileResult([f.as_tuple() for f in findings], None), None
    for rule in CONTENT_RULES:
        findings += rule(doc)
    findings.sort()
    return FileResult([f.as_tuple() for f in findings], identity_of(doc)), doc.data
