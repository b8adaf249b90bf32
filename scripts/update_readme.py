"""Regenerate the generated parts of README.md (`make readme`): the rule table.

The table is written by `template-registry rules --format markdown` from the rule
catalogue (registry/rules.py); tests/test_readme.py fails when the README differs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.render.rules import render_rules  # noqa: E402
from registry.rules import RULES  # noqa: E402

BLOCK = re.compile(r"(<!-- rules:start[^\n]*-->\n)(.*?)(<!-- rules:end -->)", re.S)


def updated(readme: str) -> str:
    """README with its rule table replaced by the catalogue's."""
    table = render_rules(RULES, "markdown")
    text, count = BLOCK.subn(lambda m: m.group(1) + table + "\n" + m.group(3), readme)
    if count != 1:
        raise SystemExit("README.md: expected one rules:start ... rules:end block")
    return text


def main() -> int:
    path = ROOT / "README.md"
    path.write_text(updated(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
