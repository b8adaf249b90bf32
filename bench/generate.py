"""Generate a registry of N valid templates (for benchmarks), from the repo's examples.

Each generated file is one of the example templates with a unique name, spread over
ten accounts and a hundred folders, so every rule (uniqueness included) has real work.
"""

from __future__ import annotations

import argparse
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "templates"
ACCOUNTS = 10
NAME_LINE = re.compile(r"^name: (.+)$", re.MULTILINE)
ACCOUNT_LINE = re.compile(r"^account_id: (.+)$", re.MULTILINE)


def example_texts() -> list[str]:
    """The example templates' texts, in a stable order."""
    return [p.read_text() for p in sorted(EXAMPLES.rglob("*.yaml"))]


def generate(root: Path, count: int) -> list[Path]:
    """Write COUNT templates under ROOT/templates plus a pyproject.toml; return the files."""
    if root.exists():
        shutil.rmtree(root)
    texts = example_texts()
    files: list[Path] = []
    for i in range(count):
        account = f"acct-bench-{i % ACCOUNTS:02d}"
        text = texts[i % len(texts)]
        text = NAME_LINE.sub(lambda m, i=i: f"name: {m.group(1)}-{i:05d}", text, count=1)
        text = ACCOUNT_LINE.sub(f"account_id: {account}", text, count=1)
        folder = root / "templates" / account / f"group-{i % 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"template-{i:05d}.yaml"
        path.write_text(text)
        files.append(path)
    (root / "pyproject.toml").write_text('[tool.template-registry]\ntemplates = "templates"\n')
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("count", type=int)
    args = parser.parse_args(argv)
    files = generate(args.root, args.count)
    print(f"wrote {len(files)} templates under {args.root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
