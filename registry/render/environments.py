"""`environments` as an aligned table or JSON. Names, URLs, accounts and folders come from
the configuration, a file of the repository: untrusted text, escaped like the rest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from registry.render import formats, jsonfmt
from registry.render.listing import align
from registry.render.terminal import escape

if TYPE_CHECKING:
    from registry.commands.environments import EnvironmentInfo

HEADERS = ("NAME", "BASE URL", "KEY VARIABLE", "OVERLAY", "ACCOUNTS")
NO_URL = "(none: $SGP_CLIENT_BASE_URL, base_url, production)"
NONE = ("No environments are configured: plan and sync use one API (see the README, "
        "\"Environments\").")


def render_environments(rows: Sequence[EnvironmentInfo], fmt: str) -> str:
    """ROWS in FMT (see formats.FORMATS["environments"])."""
    return formats.render("environments", fmt, rows)


def _accounts(accounts: dict[str, str]) -> str:
    if not accounts:
        return "(the files' ids)"
    return ", ".join(f"{escape(a)} -> {escape(b)}" for a, b in accounts.items())


def text(rows: Sequence[EnvironmentInfo]) -> str:
    """One line per environment, then the count; a sentence when there are none."""
    if not rows:
        return NONE
    table = [HEADERS, *[(escape(row.name), escape(row.base_url) if row.base_url else NO_URL,
                         row.api_key_env, escape(row.overlay) if row.overlay else "(none)",
                         _accounts(row.accounts)) for row in rows]]
    return "\n".join([*align(table), f"{len(rows)} environment(s)"])


def json(rows: Sequence[EnvironmentInfo]) -> str:
    return jsonfmt.dumps({"environments": [row.to_dict() for row in rows]})
