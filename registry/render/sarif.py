"""Validate's findings as SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run: the tool with every rule of the catalogue (registry/rules.py) described, then
one result per finding. Paths become URIs relative to the registry root (percent-encoded,
so any file name is a valid URI reference); untrusted text is JSON-escaped by jsonfmt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from registry import __version__
from registry.findings import Finding
from registry.render import jsonfmt
from registry.render.findings import message
from registry.render.fingerprint import fingerprints
from registry.rules import RULES, Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# Where the tool is described: its package name's page on PyPI.
INFORMATION_URI = "https://pypi.org/project/model-template-registry/"
# The partialFingerprints key; the suffix versions how the hash is made.
FINGERPRINT_KEY = "templateRegistry/v1"


def sarif(findings: Sequence[Finding], files: int) -> str:
    """The SARIF log of FINDINGS (FILES is not part of SARIF's model)."""
    descriptors = [descriptor(rule) for rule in RULES]
    index = {rule.id: number for number, rule in enumerate(RULES)}
    for found in findings:
        if found.rule not in index:  # not in the catalogue: still a valid, linked result
            index[found.rule] = len(descriptors)
            descriptors.append(uncatalogued(found.rule))
    results = [result(found, index[found.rule], print_)
               for found, print_ in zip(findings, fingerprints(findings), strict=True)]
    return jsonfmt.dumps({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "template-registry", "version": __version__,
                                "informationUri": INFORMATION_URI, "rules": descriptors}},
            # Columns count characters (as the YAML parser does), not UTF-16 code units.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })


def descriptor(rule: Rule) -> dict[str, Any]:
    """A rule as SARIF describes it: summary, why, and help with the bad example and fix."""
    example = "\n".join(f"    {line}" for line in rule.example.splitlines())
    name = "".join(part.capitalize() for part in rule.id.split("-"))  # yaml-syntax: YamlSyntax
    return {
        "id": rule.id,
        # SARIF wants a name that differs from the id, or none (`schema` would be `Schema`).
        **({"name": name} if name.lower() != rule.id.lower() else {}),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {
            "text": f"{rule.why}\n\nBad example:\n{example}\n\nFix: {rule.fix}",
            "markdown": f"{rule.why}\n\nBad example:\n\n```yaml\n{rule.example}\n```\n\n"
                        f"**Fix:** {rule.fix}",
        },
        "defaultConfiguration": {"level": rule.severity},
    }


def uncatalogued(rule_id: str) -> dict[str, Any]:
    """A descriptor for a rule id the catalogue lacks, with what GitHub requires of one."""
    text = "A rule this version's catalogue does not describe."
    return {"id": rule_id, "shortDescription": {"text": rule_id},
            "fullDescription": {"text": text}, "help": {"text": text}}


def result(found: Finding, rule_index: int, fingerprint: str) -> dict[str, Any]:
    """One result; a finding of rendered templates names its environments in the message
    and in `properties.environments` (the fingerprint leaves them out: an alert stays
    the same alert when the environments it occurs in change)."""
    return {
        "ruleId": found.rule,
        "ruleIndex": rule_index,
        "level": found.severity,
        "message": {"text": message(found)},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": uri(found.path)},
            "region": {"startLine": found.line, "startColumn": found.column},
        }}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        **({"properties": {"environments": list(found.environments)}}
           if found.environments else {}),
    }


def uri(path: str) -> str:
    """A root-relative path as a relative URI: `/` kept, everything else but letters,
    digits and `_.-~` percent-encoded (UTF-8; an undecodable name's original bytes)."""
    return quote(path, safe="/", errors="surrogateescape")
