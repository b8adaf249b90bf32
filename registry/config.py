"""The registry's root and its `[tool.template-registry]` configuration in pyproject.toml."""

from __future__ import annotations

import difflib
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.errors import ConfigError

KEYS = ("templates", "base_url", "accounts", "max_deletes", "protect", "prices")
DEFAULT_MAX_DELETES = 10


@dataclass(frozen=True)
class Config:
    root: Path
    templates: str = "templates"
    base_url: str | None = None
    accounts: dict[str, list[str]] = field(default_factory=dict)
    # The deletion guard: at most this many deletes per sync without --allow-deletes.
    max_deletes: int = DEFAULT_MAX_DELETES
    # "ACCOUNT/NAME" globs (fnmatch, case-sensitive) of templates sync never deletes.
    protect: tuple[str, ...] = ()
    # Price table overrides (registry.prices): instance -> USD an hour, None = removed.
    prices: dict[str, float | None] = field(default_factory=dict)

    @property
    def templates_dir(self) -> Path:
        return self.root / self.templates


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above START holding pyproject.toml or .git (else START)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() or (folder / ".git").exists():
            return folder
    return here


def load_config(root: str | Path | None = None) -> Config:
    """Read the configuration of the registry at ROOT (found from the cwd when None)."""
    if root is not None:
        folder = Path(root).resolve()
        if not folder.is_dir():
            raise ConfigError(f"--root {root}: no such folder")
    else:
        folder = find_root()
    pyproject = folder / "pyproject.toml"
    table: dict[str, Any] = {}
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{pyproject}: not valid TOML: {exc}") from None
        table = data.get("tool", {}).get("template-registry", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{pyproject}: [tool.template-registry] must be a table")
    return _parse(folder, table, pyproject)


def _parse(root: Path, table: dict[str, Any], source: Path) -> Config:
    where = f"{source} [tool.template-registry]"
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; "
                          f"allowed: {', '.join(KEYS)}")
    templates = table.get("templates", "templates")
    if not isinstance(templates, str) or not templates.strip():
        raise ConfigError(f"{where}: templates must be a folder name (a string)")
    if os.path.isabs(templates) or ".." in Path(templates).parts:
        raise ConfigError(f"{where}: templates must be a folder inside the repository")
    base_url = table.get("base_url")
    if base_url is not None and not isinstance(base_url, str):
        raise ConfigError(f"{where}: base_url must be a string")
    accounts = table.get("accounts", {})
    if not isinstance(accounts, dict) or not all(
        isinstance(globs, list) and globs and all(isinstance(g, str) for g in globs)
        for globs in accounts.values()
    ):
        raise ConfigError(f"{where}: accounts must map each account ID to a non-empty list of "
                          'path globs, e.g. "acct-123" = ["templates/search/**"]')
    max_deletes = table.get("max_deletes", DEFAULT_MAX_DELETES)
    if isinstance(max_deletes, bool) or not isinstance(max_deletes, int) or max_deletes < 0:
        raise ConfigError(f"{where}: max_deletes must be a whole number, 0 or more")
    protect = table.get("protect", [])
    if not isinstance(protect, list) or not all(
        isinstance(p, str) and "/" in p and p.split("/", 1)[0] and p.split("/", 1)[1]
        for p in protect
    ):
        raise ConfigError(f"{where}: protect must be a list of \"ACCOUNT/NAME-GLOB\" strings, "
                          'e.g. ["acct-123/prod-*"]')
    return Config(root, templates.strip().rstrip("/"), base_url, accounts, max_deletes,
                  tuple(protect), _prices(table["prices"], where) if "prices" in table else {})


def _prices(table: Any, where: str) -> dict[str, float | None]:
    """`[tool.template-registry.prices]`: `"g5.4xlarge" = 1.2` sets an instance's hourly
    price (USD), `"p5.48xlarge" = false` removes it from the table."""
    from registry.prices import DEFAULT_TABLE

    if not isinstance(table, dict):
        raise ConfigError(f'{where}: prices must be a table, e.g. "g5.4xlarge" = 1.2')
    prices: dict[str, float | None] = {}
    for name, value in table.items():
        if name not in DEFAULT_TABLE:
            guess = difflib.get_close_matches(name.lower(), list(DEFAULT_TABLE), n=1,
                                              cutoff=0.6)
            hint = (f"did you mean {guess[0]!r}?" if guess
                    else f"known: {', '.join(DEFAULT_TABLE)}")
            raise ConfigError(f"{where}: prices: unknown instance {name!r}; {hint}")
        if value is False:
            prices[name] = None
        elif (isinstance(value, int | float) and not isinstance(value, bool)
              and math.isfinite(value) and value > 0):
            prices[name] = float(value)
        else:
            raise ConfigError(f"{where}: prices: {name!r} = {value!r} is not a price; give "
                              "the hourly price in US dollars (e.g. 1.2), or false to remove "
                              "the instance")
    return prices
