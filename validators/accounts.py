"""Rules `account-unknown` and `account-path`: which folders may target which account.

With an `accounts` table in `[tool.template-registry]`, each account lists the path globs
(git wildmatch, as in .gitignore and CODEOWNERS) its templates must live under; with
CODEOWNERS on those folders, a team cannot push templates into another team's account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import pathspec

from registry.findings import Finding, shown
from registry.rules import ACCOUNT_PATH, ACCOUNT_UNKNOWN


class Placement(NamedTuple):
    """Where a template's account_id value stands, and the file's path from the root."""

    path: str
    account_id: str
    line: int
    column: int


def compile_accounts(accounts: Mapping[str, Sequence[str]]) -> dict[str, pathspec.PathSpec[Any]]:
    return {account: pathspec.PathSpec.from_lines("gitignore", globs)
            for account, globs in accounts.items()}


def check(placements: Sequence[Placement],
          accounts: Mapping[str, pathspec.PathSpec[Any]], globs: Mapping[str, Sequence[str]]
          ) -> list[Finding]:
    findings = []
    known = ", ".join(sorted(accounts)) or "none"
    for place in placements:
        spec = accounts.get(place.account_id)
        if spec is None:
            findings.append(ACCOUNT_UNKNOWN.at(
                place.path, place.line, place.column,
                f"account {shown(place.account_id)} is not in [tool.template-registry.accounts] "
                f"(known: {known})"))
        elif not spec.match_file(place.path):
            findings.append(ACCOUNT_PATH.at(
                place.path, place.line, place.column,
                f"templates of account {shown(place.account_id)} must live under "
                f"{', '.join(globs[place.account_id])}; this file is outside them"))
    return findings
