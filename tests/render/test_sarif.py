"""`validate --format sarif`: SARIF 2.1.0 for GitHub code scanning, checked against the
SARIF 2.1.0 JSON Schema (vendored: tests/data/sarif/README.md says where it comes from)."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from registry import __version__
from registry.findings import Finding
from registry.render.findings import render_findings
from registry.render.fingerprint import fingerprints
from registry.rules import BY_ID, RULES
from tests.render.test_findings import HOSTILE, PLAIN

SARIF_SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "data/sarif/sarif-2.1.0.json")
                          .read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SARIF_SCHEMA)
UNKNOWN = Finding("templates/a.yaml", 2, 3, "error", "not-in-the-catalogue", "m")


def log(*findings: Finding) -> dict[str, Any]:
    text = render_findings(list(findings), len(findings), "sarif")
    assert text.isascii()
    data: dict[str, Any] = json.loads(text)
    return data


@pytest.mark.parametrize("findings", [[], [PLAIN], [HOSTILE, PLAIN, UNKNOWN]],
                         ids=["none", "one", "hostile"])
def test_the_log_is_valid_sarif(findings: list[Finding]) -> None:
    data = log(*findings)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(data)]
    assert errors == []
    assert data["version"] == "2.1.0"
    assert data["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    (run,) = data["runs"]
    assert len(run["results"]) == len(findings)


def test_the_schema_really_checks() -> None:
    """The vendored schema is the real one: a wrong level and a missing name fail."""
    data = log(PLAIN)
    data["runs"][0]["results"][0]["level"] = "fatal"
    del data["runs"][0]["tool"]["driver"]["name"]
    messages = sorted(e.message for e in VALIDATOR.iter_errors(data))
    assert messages == ["'fatal' is not one of ['none', 'note', 'warning', 'error']",
                        "'name' is a required property"]


def test_the_driver_describes_every_rule_of_the_catalogue() -> None:
    driver = log()["runs"][0]["tool"]["driver"]
    assert driver["name"] == "template-registry"
    assert driver["version"] == __version__ == version("model-template-registry")
    assert driver["informationUri"] == "https://pypi.org/project/model-template-registry/"
    assert [rule["id"] for rule in driver["rules"]] == [rule.id for rule in RULES]
    assert driver["rules"][[r.id for r in RULES].index("image-tag")] == {
        "id": "image-tag",
        "name": "ImageTag",
        "shortDescription": {"text": BY_ID["image-tag"].summary},
        "fullDescription": {"text": "The image behind the template can change without a "
                                    "change in git, so what was reviewed is not what runs."},
        "help": {
            "text": "The image behind the template can change without a change in git, so what "
                    "was reviewed is not what runs.\n\nBad example:\n    tag: latest\n\n"
                    "Fix: Pin a version (e.g. 1.4.2) or a digest.",
            "markdown": "The image behind the template can change without a change in git, so "
                        "what was reviewed is not what runs.\n\nBad example:\n\n```yaml\n"
                        "tag: latest\n```\n\n**Fix:** Pin a version (e.g. 1.4.2) or a digest.",
        },
        "defaultConfiguration": {"level": "warning"},
    }
    names = {rule["id"]: rule.get("name") for rule in driver["rules"]}
    assert (names["yaml-syntax"], names["schema"], names["secret"]) == ("YamlSyntax", None, None)
    levels = {rule["id"]: rule["defaultConfiguration"]["level"] for rule in driver["rules"]}
    assert levels == {rule.id: rule.severity for rule in RULES}


def test_a_result() -> None:
    (run,) = log(PLAIN)["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["results"] == [{
        "ruleId": "image-tag",
        "ruleIndex": 9,
        "level": "warning",
        "message": {"text": "tag 'latest' moves"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": "templates/a.yaml"},
            "region": {"startLine": 1, "startColumn": 1},
        }}],
        "partialFingerprints": {"templateRegistry/v1": fingerprints([PLAIN])[0]},
    }]
    assert run["tool"]["driver"]["rules"][9]["id"] == "image-tag"


def test_hostile_names_and_messages_are_encoded() -> None:
    (run,) = log(HOSTILE, UNKNOWN)["runs"]
    hostile, unknown = run["results"]
    uri = hostile["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "templates/%3A%3Aerror%3A%3Ax%0A%1B.yaml"
    assert unquote(uri) == HOSTILE.path
    assert hostile["message"]["text"] == HOSTILE.message
    assert hostile["level"] == "error"
    # A rule the catalogue does not know still gets a descriptor its result points at.
    text = "A rule this version's catalogue does not describe."
    assert run["tool"]["driver"]["rules"][unknown["ruleIndex"]] == {
        "id": "not-in-the-catalogue", "shortDescription": {"text": "not-in-the-catalogue"},
        "fullDescription": {"text": text}, "help": {"text": text}}
    assert unknown["ruleIndex"] == len(RULES)


def test_file_names_with_spaces_and_undecodable_bytes_are_uri_references() -> None:
    spaced = Finding("templates/my model#1.yaml", 1, 1, "error", "schema", "m")
    undecodable = Finding("templates/caf\udce9.yaml", 1, 1, "error", "schema", "m")
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log(spaced, undecodable)["runs"][0]["results"]]
    assert uris == ["templates/my%20model%231.yaml", "templates/caf%E9.yaml"]
