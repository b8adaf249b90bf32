"""Stable identities of findings, for tools that track them from run to run (SARIF, GitLab).

An identity must survive lines moving and must be unique in a report (GitLab shows one
issue per fingerprint). So it is a hash of the file, the rule and the message with its
numbers left out (a message may quote a line number, as unique-name's "also defined in
b.yaml:12" does, or a value that an edit nudges), plus the finding's rank among the
findings of that file sharing those three, counted in position order.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence

from registry.findings import Finding

_NUMBER = re.compile(r"\d+")


def fingerprints(findings: Sequence[Finding]) -> list[str]:
    """One hex SHA-256 per finding, in the order given (validate's: by path and position)."""
    seen: Counter[tuple[str, str, str]] = Counter()
    out = []
    for found in findings:
        key = (found.path, found.rule, _NUMBER.sub("0", found.message))
        rank = seen[key]
        seen[key] += 1
        # JSON keeps the parts apart whatever they hold; ensure_ascii keeps any lone
        # surrogate of an undecodable file name encodable.
        out.append(hashlib.sha256(json.dumps([*key, rank]).encode()).hexdigest())
    return out
