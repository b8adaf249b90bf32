"""Rule `image-tag` (warning): an image tag that moves, so the template is not reproducible.

A template is reviewed once and used for months; with `latest` the reviewed image and
the running one drift apart without any change in git.
"""

from __future__ import annotations

from registry.findings import Finding, shown
from registry.loader import Document
from registry.rules import IMAGE_TAG, IMAGE_TAG_EMPTY

RULE = IMAGE_TAG
MOVING_TAGS = frozenset({
    "latest", "main", "master", "stable", "nightly", "edge", "dev", "develop", "head",
    "rolling", "current", "release", "prod", "production", "staging", "canary", "beta",
    "alpha", "snapshot", "unstable", "next", "trunk",
})
BUNDLES = ("bundle_config", "fine_tuning_job_bundle_config")


def check(doc: Document) -> list[Finding]:
    vendor = doc.data.get("vendor_configuration")
    if not isinstance(vendor, dict):
        return []
    findings = []
    for bundle_name in BUNDLES:
        bundle = vendor.get(bundle_name)
        tag = bundle.get("tag") if isinstance(bundle, dict) else None
        if not isinstance(tag, str):
            continue
        path = ("vendor_configuration", bundle_name, "tag")
        if not tag.strip():
            findings.append(doc.finding(IMAGE_TAG_EMPTY, path,
                                        "the image tag is empty; pin a version", prefer="value"))
        elif tag.strip().lower() in MOVING_TAGS:
            findings.append(doc.finding(
                RULE, path,
                f"tag {shown(tag)} moves: the image behind this template can change without a "
                "change in git; pin a version (e.g. '1.4.2') or a digest", prefer="value"))
    return findings
