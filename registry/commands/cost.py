"""`template-registry cost`: what each template would cost a month, and the sums per account.

Templates come from the working tree, or from commit REF (as `list` reads them); prices
from registry.prices with the configuration's overrides. Read-only, no API: exit 0 (files
that do not load are named on stderr; run validate for details), 2 for a bad
configuration.
"""

from __future__ import annotations

import sys

from registry.commands.list import template_sources
from registry.config import load_config
from registry.cost import CostReport, Row, estimate
from registry.prices import price_table
from registry.render.listing import unreadable_line


def cost_command(*, ref: str | None = None, root: str | None = None, fmt: str = "text") -> int:
    from registry.checks import check_and_load
    from registry.render.cost import render_cost

    config = load_config(root)
    table = price_table(config.prices)
    rows, broken = [], []
    for path, data in template_sources(config.root, config.templates, ref):
        result, body = check_and_load(data, path, config.content)
        if result.identity is None or body is None:
            broken.append(path)
            continue
        rows.append(Row(result.identity.account_id, result.identity.name, path,
                        estimate(body, table)))
    rows.sort(key=lambda row: (row.account_id, row.name, row.path))
    report = CostReport(ref, tuple(rows), tuple(broken))
    print(render_cost(report, fmt))
    for path in broken:
        print(unreadable_line(path), file=sys.stderr)
    return 0
