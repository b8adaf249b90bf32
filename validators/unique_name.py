"""Rule `unique-name`: one template per name in an account, across all files.

The API keys nothing on the name, so two files with one name would both be pushed and
the platform would hold two templates users cannot tell apart; names that differ only
in case or surrounding spaces are the same name to a person choosing one in the UI.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from registry.findings import Finding, shown
from registry.rules import UNIQUE_NAME

RULE = UNIQUE_NAME


class Identity(NamedTuple):
    """Who a template is: its account and name, and where its `name:` key stands."""

    path: str
    account_id: str
    name: str
    line: int
    column: int


def normal_key(account_id: str, name: str) -> tuple[str, str]:
    return account_id.strip(), name.strip().casefold()


def identity_key(account_id: str, name: str) -> str:
    """`normal_key` as one string (the validation cache keeps one per file): the account's
    length first, so no two different keys read alike."""
    account, folded = normal_key(account_id, name)
    return f"{len(account)}:{account}{folded}"


def check(identities: Iterable[Identity], report: set[str] | None = None) -> list[Finding]:
    """Findings for every clash; REPORT limits them to those paths (others are still compared)."""
    groups: dict[tuple[str, str], list[Identity]] = defaultdict(list)
    for identity in identities:
        groups[normal_key(identity.account_id, identity.name)].append(identity)
    findings = []
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda i: i.path)
        for identity in group:
            if report is not None and identity.path not in report:
                continue
            others = [o for o in group if o is not identity]
            where = ", ".join(f"{o.path}:{o.line}" for o in others[:3])
            if len(others) > 3:
                where += f" and {len(others) - 3} more"
            exact = all(o.name == identity.name and o.account_id == identity.account_id
                        for o in others)
            how = "is also defined" if exact else "differs only in case or spaces from the one"
            findings.append(RULE.at(
                identity.path, identity.line, identity.column,
                f"template name {shown(identity.name)} in account {shown(identity.account_id)} "
                f"{how} in {where}; names must be unique in an account"))
    return findings
