"""The registry's root and its `[tool.template-registry]` configuration in pyproject.toml."""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from registry.errors import ConfigError
from validators.launch_settings import DEFAULT_SETTINGS, LaunchSettings, NodeLimit

KEYS = ("templates", "base_url", "accounts", "max_deletes", "protect", "rules", "launch",
        "prices", "schema", "environments")
ENVIRONMENT_KEYS = ("base_url", "api_key_env", "accounts", "overlay")
_ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
DEFAULT_MAX_DELETES = 10
SEVERITIES = ("off", "warning", "error")
LAUNCH_KEYS = ("scale_from_zero", "node_limits")
NODE_KEYS = ("cpus", "memory", "storage")
CPU_ONLY = "cpu"  # the node_limits key of CPU-only nodes (no gpu_type)


class ContentSettings(NamedTuple):
    """What the per-file stage of validation depends on besides the bytes and the code:
    the Launch cluster, and the rules turned off (their findings do not count toward the
    per-file cap). Part of the cache key, so a changed configuration starts afresh."""

    launch: LaunchSettings = DEFAULT_SETTINGS
    off: frozenset[str] = frozenset()

    def key(self) -> bytes:
        limits = sorted((gpu or "", tuple(node)) for gpu, node in self.launch.node_limits.items())
        return repr((self.launch.scale_from_zero, limits, sorted(self.off))).encode()


DEFAULT_CONTENT = ContentSettings()


class Environment(NamedTuple):
    """One platform the same templates go to (staging, production): its API, its key, its
    account ids, and an optional folder of per-template patches (registry.environments)."""

    name: str
    base_url: str | None = None
    api_key_env: str | None = None  # the variable holding this environment's key
    accounts: dict[str, str] = {}  # file account -> this one's (never changed in place)
    overlay: str | None = None  # folder of patches, relative to the root


class Config(NamedTuple):
    """The registry's configuration (`[tool.template-registry]`). Named tuples, not
    dataclasses, on the hook's path (see registry.findings); no field is changed in place."""

    root: Path
    templates: str = "templates"
    base_url: str | None = None
    accounts: dict[str, list[str]] = {}
    # The deletion guard: at most this many deletes per sync without --allow-deletes.
    max_deletes: int = DEFAULT_MAX_DELETES
    # "ACCOUNT/NAME" globs (fnmatch, case-sensitive) of templates sync never deletes.
    protect: tuple[str, ...] = ()
    # Severity per rule id ("off", "warning", "error") where it differs from the catalogue.
    rules: dict[str, str] = {}
    # The Launch deployment the templates run on (the launch-resources rule's numbers).
    launch: LaunchSettings = DEFAULT_SETTINGS
    # Price table overrides (registry.prices): instance -> USD an hour, None = removed.
    prices: dict[str, float | None] = {}
    # The JSON Schema `new` names in its editor line: a URL, or a path from the root.
    schema: str | None = None
    # Named environments (staging, production); empty: one API, as configured above.
    environments: dict[str, Environment] = {}

    @property
    def templates_dir(self) -> Path:
        return self.root / self.templates

    @property
    def content(self) -> ContentSettings:
        off = frozenset(rule for rule, severity in self.rules.items() if severity == "off")
        return ContentSettings(self.launch, off)


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above START holding pyproject.toml or .git (else START)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() or (folder / ".git").exists():
            return folder
    return here


def registry_root(paths: Sequence[str | Path]) -> Path | None:
    """The registry the files PATHS belong to: for each, the nearest folder at or above it
    holding a pyproject.toml with a `[tool.template-registry]` table. None when no file
    is in one (the caller falls back on `find_root`); a ConfigError when they are in
    several, since one run validates one registry."""
    found: dict[Path, Path | None] = {}  # folder -> its registry, for files side by side
    roots: set[Path] = set()
    for given in paths:
        start = Path(given).resolve().parent
        seen = []
        root: Path | None = None
        for folder in (start, *start.parents):
            if folder in found:
                root = found[folder]
                break
            seen.append(folder)
            if _is_registry(folder / "pyproject.toml"):
                root = folder
                break
        found.update(dict.fromkeys(seen, root))
        if root is not None:
            roots.add(root)
    if len(roots) > 1:
        raise ConfigError("the files belong to several registries ("
                          f"{', '.join(str(r) for r in sorted(roots))}); validate one at a time "
                          "with --root")
    return roots.pop() if roots else None


def _is_registry(pyproject: Path) -> bool:
    """Whether PYPROJECT exists and has a [tool.template-registry] table (a file that is
    not valid TOML counts when it names the table: load_config then says what is wrong)."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "template-registry" not in text:
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return "[tool.template-registry" in text
    tool = data.get("tool")
    return isinstance(tool, dict) and "template-registry" in tool


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


def _only(table: dict[str, Any], allowed: Sequence[str], where: str) -> None:
    """A table with a key it does not allow is a configuration error (a typo would be
    ignored silently otherwise)."""
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; "
                          f"allowed: {', '.join(allowed)}")


def _parse(root: Path, table: dict[str, Any], source: Path) -> Config:
    where = f"{source} [tool.template-registry]"
    _only(table, KEYS, where)
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
    schema = table.get("schema")
    if schema is not None and (not isinstance(schema, str) or not schema or any(
            c.isspace() or not c.isprintable() for c in schema)):
        raise ConfigError(f"{where}: schema must be the schema's URL or its path in the "
                          "repository: a string without spaces or control characters")
    return Config(root, templates.strip().rstrip("/"), base_url, accounts, max_deletes,
                  tuple(protect), _rules(table.get("rules", {}), f"{where}.rules"),
                  _launch(table.get("launch", {}), f"{where}.launch"),
                  _prices(table["prices"], where) if "prices" in table else {}, schema,
                  _environments(table.get("environments", {}), f"{where}.environments"))


def _folder_inside(value: Any, where: str) -> str:
    """A folder path relative to the root that stays inside the repository."""
    if not isinstance(value, str) or not value.strip().strip("/"):
        raise ConfigError(f"{where} must be a folder name (a string)")
    if os.path.isabs(value) or ".." in Path(value).parts:
        raise ConfigError(f"{where} must be a folder inside the repository")
    return value.strip().rstrip("/")


def _environments(table: Any, where: str) -> dict[str, Environment]:
    """`[tool.template-registry.environments.NAME]`: base_url, api_key_env, accounts (file
    account id -> this environment's), overlay (a folder of patches)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table of environments, e.g. [{where}.staging]")
    found = {}
    for name, env in table.items():
        here = f"{where}.{name}"
        if not _ENV_NAME.fullmatch(name):
            raise ConfigError(f"{where}: {name!r} is not a usable environment name (letters, "
                              "digits, '.', '_', '-')")
        if not isinstance(env, dict):
            raise ConfigError(f"{here} must be a table")
        _only(env, ENVIRONMENT_KEYS, here)
        base_url, key_env = env.get("base_url"), env.get("api_key_env")
        if base_url is not None and not isinstance(base_url, str):
            raise ConfigError(f"{here}: base_url must be a string")
        if key_env is not None and not (isinstance(key_env, str) and _ENV_VAR.fullmatch(key_env)):
            raise ConfigError(f"{here}: api_key_env must name an environment variable, e.g. "
                              '"SGP_STAGING_API_KEY"')
        accounts = env.get("accounts", {})
        if not isinstance(accounts, dict) or not all(
                isinstance(v, str) and v.strip() for v in accounts.values()):
            raise ConfigError(f"{here}: accounts must map each account id of the files to "
                              'this environment\'s, e.g. "acct-search" = "acct-search-staging"')
        overlay = env.get("overlay")
        found[name] = Environment(name, base_url, key_env, dict(accounts),
                                  None if overlay is None else
                                  _folder_inside(overlay, f"{here}: overlay"))
    return found


def _rules(table: Any, where: str) -> dict[str, str]:
    """`RULE-ID = "off" | "warning" | "error"`; an unknown id is an error with a did-you-mean."""
    from registry.rules import BY_ID, did_you_mean

    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table of RULE-ID = \"off\" | \"warning\" | "
                          "\"error\"")
    for rule_id, severity in table.items():
        if rule_id not in BY_ID:
            raise ConfigError(f"{where}: no rule {rule_id!r}{did_you_mean(rule_id)}; "
                              "`template-registry rules` lists them")
        if severity not in SEVERITIES:
            raise ConfigError(f"{where}: {rule_id} = {severity!r}; use one of "
                              f"{', '.join(repr(s) for s in SEVERITIES)}")
        if BY_ID[rule_id].essential and severity != "error":
            raise ConfigError(f"{where}: {rule_id} cannot be {severity!r}: a template that "
                              "breaks it cannot be loaded or pushed")
    return dict(table)


def _launch(table: Any, where: str) -> LaunchSettings:
    """The cluster the templates run on: scale_from_zero, and node_limits per gpu type
    (`cpu` for CPU-only nodes), each overriding Launch's defaults."""
    from registry.enums import GPU_TYPES
    from validators.quantity import parse_bytes

    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    _only(table, LAUNCH_KEYS, where)
    scale = table.get("scale_from_zero", DEFAULT_SETTINGS.scale_from_zero)
    if not isinstance(scale, bool):
        raise ConfigError(f"{where}: scale_from_zero must be true or false")
    limits = dict(DEFAULT_SETTINGS.node_limits)
    given = table.get("node_limits", {})
    if not isinstance(given, dict):
        raise ConfigError(f"{where}: node_limits must be a table keyed by gpu type")
    for gpu, node in given.items():
        key = None if gpu == CPU_ONLY else gpu
        if key is not None and key not in GPU_TYPES:
            raise ConfigError(f"{where}.node_limits: unknown gpu type {gpu!r}; use one of "
                              f"{CPU_ONLY}, {', '.join(GPU_TYPES)}")
        if not isinstance(node, dict) or set(node) - set(NODE_KEYS):
            raise ConfigError(f"{where}.node_limits.{gpu} must be a table of "
                              f"{', '.join(NODE_KEYS)}")
        base = limits[key]
        cpus = node.get("cpus", base.cpus)
        if isinstance(cpus, bool) or not isinstance(cpus, int) or cpus < 1:
            raise ConfigError(f"{where}.node_limits.{gpu}.cpus must be a whole number, 1 or more")
        sizes = []
        for name in ("memory", "storage"):
            text = node.get(name)
            size = getattr(base, name) if text is None else (
                parse_bytes(text) if isinstance(text, str) else None)
            if not size:
                raise ConfigError(f"{where}.node_limits.{gpu}.{name} must be a quantity such "
                                  f"as \"250Gi\", not {text!r}")
            sizes.append(size)
        limits[key] = NodeLimit(cpus, sizes[0], sizes[1])
    return LaunchSettings(scale, limits)



def _prices(table: Any, where: str) -> dict[str, float | None]:
    """`[tool.template-registry.prices]`: `"g5.4xlarge" = 1.2` sets an instance's hourly
    price (USD), `"p5.48xlarge" = false` removes it from the table."""
    from registry.prices import DEFAULT_TABLE

    if not isinstance(table, dict):
        raise ConfigError(f'{where}: prices must be a table, e.g. "g5.4xlarge" = 1.2')
    prices: dict[str, float | None] = {}
    for name, value in table.items():
        if name not in DEFAULT_TABLE:
            import difflib

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
