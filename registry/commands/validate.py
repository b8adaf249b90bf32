"""`template-registry validate`: every rule on the working tree's templates.

With PATHS (as pre-commit passes them) findings are reported for those files only, while
the cross-file rule (uniqueness) still sees every template (see registry.validation).
Without --root, the registry is the one the files belong to (registry.config.registry_root),
so a hook run from the top of a repository finds a registry in a subfolder.

With environments, each environment's rendering of each template is checked instead of
the plain files (registry.rendering): a changed template is reported in every
environment, a changed patch in its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from registry import files as files_mod
from registry.config import Config, load_config, registry_root
from registry.errors import ConfigError
from registry.findings import Finding, has_errors
from registry.render.findings import render_findings
from registry.validation import check_files, registry_findings


def validate(paths: Sequence[str], *, root: str | None = None, fmt: str = "text",
             use_cache: bool = True, only_registry_files: bool = False) -> int:
    """Exit 0 without errors (warnings allowed), 1 with errors; ConfigError on bad usage.

    ONLY_REGISTRY_FILES: of PATHS, check the templates and patches and ignore every other
    file (the hook gets any YAML file of the repository).
    """
    config = load_config(root if root is not None or not paths else registry_root(paths))
    templates, patches = _select(config, paths, only_registry_files)
    if paths and not templates and not patches:  # the hook passed no registry file
        print(render_findings([], 0, fmt))
        return 0
    stats = files_mod.scan(config.templates_dir, config.root) \
        if config.templates_dir.is_dir() else {}
    outside = [rel for rel in templates if rel not in stats]
    universe = sorted({*stats, *outside}) if outside else list(stats)
    if config.environments:
        findings, files = _environments(config, universe, templates, patches,
                                        bool(paths), use_cache)
    else:
        targets = templates if paths else universe
        checked = check_files(config.root, universe, use_cache=use_cache,
                              settings=config.content, stats=stats)
        findings, files = registry_findings(config, checked, targets), len(targets)
    print(render_findings(findings, files, fmt))
    return 1 if has_errors(findings) else 0


def _environments(config: Config, universe: list[str], templates: list[str],
                  patches: list[str], selected: bool, use_cache: bool
                  ) -> tuple[list[Finding], int]:
    """The findings of every environment's renderings (of the selected files' when
    SELECTED), and how many files they are about."""
    from registry.rendering import Selection, check_layout, environment_findings
    from registry.validation import check_environments

    check_layout(config)
    renderings = check_environments(config, universe, use_cache=use_cache,
                                    settings=config.content)
    if not selected:
        return (environment_findings(config, renderings),
                len(universe) + len(renderings.patch_files()))
    selection = Selection(frozenset(templates), frozenset(patches))
    return environment_findings(config, renderings, selection), len(templates) + len(patches)


def _select(config: Config, paths: Sequence[str], only_registry_files: bool
            ) -> tuple[list[str], list[str]]:
    """(templates, patches) among PATHS, root-relative: a YAML file under an overlay folder
    of an environment is a patch; any other file is a template, unless ONLY_REGISTRY_FILES,
    where files outside the templates folder (or the root) are ignored."""
    templates, patches = set(), set()
    for given in paths:
        absolute = Path(given).resolve()
        if not absolute.is_file():
            raise ConfigError(f"{given}: no such file")
        try:
            rel = absolute.relative_to(config.root).as_posix()
        except ValueError:
            if only_registry_files:
                continue
            raise ConfigError(f"{given}: outside the registry root {config.root}") from None
        if files_mod.is_template(rel) and any(
                env.overlay and rel.startswith(env.overlay + "/")
                for env in config.environments.values()):
            patches.add(rel)
        elif not only_registry_files or config.templates == "." or \
                rel.startswith(config.templates + "/"):
            templates.add(rel)
    return sorted(templates), sorted(patches)
