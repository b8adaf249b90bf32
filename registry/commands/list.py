"""`template-registry list`: the registry's templates, from the working tree or a commit."""

from __future__ import annotations

import sys
from pathlib import Path

from registry.config import load_config
from registry.render.listing import render_listing, unreadable_line


def list_templates(*, ref: str | None = None, root: str | None = None, fmt: str = "text") -> int:
    """Exit 0 (files that do not load are named on stderr: run validate for details)."""
    from registry.checks import check_and_load

    config = load_config(root)
    sources = template_sources(config.root, config.templates, ref)
    rows = []
    broken = []
    for path, data in sources:
        result, body = check_and_load(data, path, config.content)
        ident = result.identity
        if ident is None or body is None:
            broken.append(path)
            continue
        rows.append({"account_id": ident.account_id, "name": ident.name,
                     "endpoint_type": body.get("endpoint_type"),
                     "model_type": body.get("model_type"), "path": path,
                     "errors": sum(r[2] == "error" for r in result.rows)})
    rows.sort(key=lambda r: (r["account_id"], r["name"]))
    print(render_listing(rows, broken, fmt))
    for path in broken:
        print(unreadable_line(path), file=sys.stderr)
    return 0


def template_sources(root: Path, templates: str, ref: str | None) -> list[tuple[str, bytes]]:
    """(path, content) of every template file: of commit REF, else of the working tree."""
    if ref is not None:
        from registry.gitrepo import templates_at

        return [(f.path, f.data) for f in templates_at(root, ref, templates)]
    from registry.files import discover, read_limited

    folder = root / templates
    paths = discover(folder, root) if folder.is_dir() else []
    return [(p, read_limited(root / p)) for p in paths]

