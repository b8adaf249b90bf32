"""`template-registry validate`: every rule on the working tree's templates.

With PATHS (as pre-commit passes them) findings are reported for those files only, while
the cross-file rule (uniqueness) still sees every template (see registry.validation).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from registry import files as files_mod
from registry.config import Config, load_config
from registry.errors import ConfigError
from registry.findings import has_errors
from registry.render.findings import render_findings
from registry.validation import check_files, registry_findings


def validate(paths: Sequence[str], *, root: str | None = None, fmt: str = "text",
             use_cache: bool = True) -> int:
    """Exit 0 without errors (warnings allowed), 1 with errors; ConfigError on bad usage."""
    config = load_config(root)
    targets, universe = _select(config, paths)
    results = check_files(config.root, universe, use_cache=use_cache,
                          settings=config.content)
    findings = registry_findings(config, results, targets)
    print(render_findings(findings, len(targets), fmt))
    return 1 if has_errors(findings) else 0


def _select(config: Config, paths: Sequence[str]) -> tuple[list[str], list[str]]:
    """(files to report on, every file the cross-file rules must see), root-relative."""
    every = files_mod.discover(config.templates_dir, config.root) \
        if config.templates_dir.is_dir() else []
    if not paths:
        return every, every
    targets = []
    for given in paths:
        absolute = Path(given).resolve()
        if not absolute.is_file():
            raise ConfigError(f"{given}: no such file")
        try:
            targets.append(absolute.relative_to(config.root).as_posix())
        except ValueError:
            raise ConfigError(f"{given}: outside the registry root {config.root}") from None
    targets = sorted(set(targets))
    return targets, sorted(set(every) | set(targets))
