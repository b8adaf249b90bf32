"""Rule `launch-routes`: routes and commands that Launch needs to reach the model.

Launch calls the container on its routes; a route without a leading slash, a STREAMING
template with nothing to stream from, or an endpoint_config that contradicts the
template's endpoint_type all deploy and then fail at the first request.
"""

from __future__ import annotations

from typing import Any

from registry.findings import Finding
from registry.loader import Document, Path

RULE = "launch-routes"
ROUTES = ("healthcheck_route", "predict_route", "streaming_predict_route")
BUNDLE: Path = ("vendor_configuration", "bundle_config")


def check(doc: Document) -> list[Finding]:
    vendor = doc.data.get("vendor_configuration")
    if not isinstance(vendor, dict):
        return []
    findings: list[Finding] = []
    bundle = vendor.get("bundle_config")
    bundle = bundle if isinstance(bundle, dict) else {}
    for route in ROUTES:
        value = bundle.get(route)
        if isinstance(value, str) and not value.startswith("/"):
            findings.append(doc.finding(RULE, (*BUNDLE, route),
                                        f"{route} {value!r} must start with '/' "
                                        f"(e.g. '/{value.lstrip('./')}')", prefer="value"))
    kind = doc.data.get("endpoint_type")
    if kind == "STREAMING":
        findings += _streaming(doc, bundle)
    endpoint = vendor.get("endpoint_config")
    if isinstance(endpoint, dict):
        inner = endpoint.get("endpoint_type")
        if isinstance(inner, str) and isinstance(kind, str) and inner != kind:
            findings.append(doc.finding(
                RULE, ("vendor_configuration", "endpoint_config", "endpoint_type"),
                f"endpoint_config.endpoint_type is {inner} but the template's endpoint_type is "
                f"{kind}; they must be equal (or leave endpoint_config.endpoint_type out)",
                prefer="value"))
    return findings


def _streaming(doc: Document, bundle: dict[str, Any]) -> list[Finding]:
    findings = []
    command = bundle.get("streaming_command")
    if not (isinstance(command, list) and command):
        findings.append(doc.finding(
            RULE, (*BUNDLE, "streaming_command") if command is not None else BUNDLE,
            "a STREAMING template needs bundle_config.streaming_command: the command that "
            "serves the streaming route"))
    if not bundle.get("streaming_predict_route"):
        findings.append(doc.finding(
            RULE, (*BUNDLE, "streaming_predict_route")
            if "streaming_predict_route" in bundle else BUNDLE,
            "a STREAMING template needs bundle_config.streaming_predict_route, e.g. "
            "'/generate_stream'"))
    return findings
