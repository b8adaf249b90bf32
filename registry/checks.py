"""Run every rule on one file's bytes: the expensive, path-independent, cacheable stage.

The result depends only on the bytes (and the code), so it is cached by content hash;
the cross-file and path rules run afterwards on the small identities kept here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.findings import Finding
from registry.loader import Document, load_document
from registry.results import FileResult, Identity
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
    loaded = load_document(raw, path)
    findings = list(loaded.findings)
    doc = loaded.document
    if doc is None:
        return FileResult([f.as_tuple() for f in findings], None)
    for rule in CONTENT_RULES:
        findings += rule(doc)
    findings.sort()
    return FileResult([f.as_tuple() for f in findings], _identity(doc))


def _identity(doc: Document) -> Identity | None:
    name: Any = doc.data.get("name")
    account: Any = doc.data.get("account_id")
    if not (isinstance(name, str) and isinstance(account, str)):
        return None
    account_line, account_column = doc.position(("account_id",), prefer="value")
    name_line, name_column = doc.position(("name",), prefer="value")
    return Identity(account, account_line, account_column, name, name_line, name_column)
