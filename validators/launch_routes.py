"""Rule `launch-routes`: routes and commands that Launch needs to reach the model.

Launch refuses a STREAMING endpoint without a streaming bundle (`streaming_command`), and
a SYNC or ASYNC endpoint from a streaming bundle without a `command`. The rest is ours,
stricter than Launch, because each would deploy and then fail: a route without a leading
slash (refused when the forwarder starts), a STREAMING template without its streaming
route, an empty streaming_command, and an endpoint_config.endpoint_type that contradicts
the template's. A value of the wrong type is left to the `schema` rule.
"""

from __future__ import annotations

from typing import Any

from registry.enums import ENDPOINT_TYPES
from registry.findings import Finding, shorten, shown
from registry.loader import Document, Path
from registry.rules import LAUNCH_ROUTES

RULE = LAUNCH_ROUTES
ROUTES = ("healthcheck_route", "predict_route", "streaming_predict_route")
BUNDLE: Path = ("vendor_configuration", "bundle_config")


def check(doc: Document) -> list[Finding]:
    """The bundle's routes and commands for the template's endpoint type, and that type's
    agreement with endpoint_config.endpoint_type."""
    vendor = doc.data.get("vendor_configuration")
    if not isinstance(vendor, dict):
        return []
    findings: list[Finding] = []
    kind = doc.data.get("endpoint_type")
    kind = kind if kind in ENDPOINT_TYPES else None
    bundle = vendor.get("bundle_config")
    if isinstance(bundle, dict):
        findings += _bundle(doc, bundle, kind)
    endpoint = vendor.get("endpoint_config")
    if isinstance(endpoint, dict):
        inner = endpoint.get("endpoint_type")
        if inner in ENDPOINT_TYPES and kind is not None and inner != kind:
            findings.append(doc.finding(
                RULE, ("vendor_configuration", "endpoint_config", "endpoint_type"),
                f"endpoint_config.endpoint_type is {inner} but the template's endpoint_type is "
                f"{kind}; they must be equal (or leave endpoint_config.endpoint_type out)",
                prefer="value"))
    return findings


def _bundle(doc: Document, bundle: dict[str, Any], kind: str | None) -> list[Finding]:
    findings: list[Finding] = []
    for route in ROUTES:
        value = bundle.get(route)
        if isinstance(value, str) and not value.startswith("/"):
            findings.append(doc.finding(RULE, (*BUNDLE, route),
                                        f"{route} {shown(value)} must start with '/' "
                                        f"(e.g. '/{shorten(value.lstrip('./'))}')", prefer="value"))
    if kind == "STREAMING":
        findings += _streaming(doc, bundle)
    elif kind in ("SYNC", "ASYNC"):
        findings += _command(doc, bundle, kind)
    return findings


def _streaming(doc: Document, bundle: dict[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    command = bundle.get("streaming_command")
    if command is None or command == []:
        findings.append(doc.finding(
            RULE, (*BUNDLE, "streaming_command") if "streaming_command" in bundle else BUNDLE,
            "a STREAMING template needs bundle_config.streaming_command: the command that "
            "serves the streaming route"))
    if bundle.get("streaming_predict_route") is None:  # an empty one fails the slash check
        findings.append(doc.finding(
            RULE, (*BUNDLE, "streaming_predict_route")
            if "streaming_predict_route" in bundle else BUNDLE,
            "a STREAMING template needs bundle_config.streaming_predict_route, e.g. "
            "'/generate_stream'"))
    return findings


def _command(doc: Document, bundle: dict[str, Any], kind: str) -> list[Finding]:
    """Launch builds a streaming bundle from a streaming_command; SYNC and ASYNC need `command`."""
    streaming = bundle.get("streaming_command")
    command = bundle.get("command")
    if not (isinstance(streaming, list) and streaming) or command not in (None, []):
        return []
    return [doc.finding(
        RULE, (*BUNDLE, "command") if "command" in bundle else BUNDLE,
        f"{'an' if kind == 'ASYNC' else 'a'} {kind} template whose bundle has a "
        "streaming_command needs a non-empty "
        "bundle_config.command: Launch refuses a non-streaming endpoint with no bundle command")]
