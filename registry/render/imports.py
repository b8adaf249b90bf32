"""What `import` wrote, skipped and found: text (untrusted parts escaped) or JSON."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict

from registry.commands.import_ import Outcome
from registry.findings import Finding
from registry.render import formats, jsonfmt
from registry.render.findings import as_dict
from registry.render.terminal import escape


def render_import(outcome: Outcome, fmt: str, *, dry_run: bool = False) -> str:
    """OUTCOME in FMT (see formats.FORMATS["import"])."""
    return formats.render("import", fmt, outcome, dry_run)


def json(outcome: Outcome, dry_run: bool) -> str:
    written = [{k: v for k, v in asdict(w).items() if dry_run or k != "content"}
               for w in outcome.written]
    return jsonfmt.dumps({
        "dry_run": dry_run,
        "written": written,
        "skipped": [asdict(s) for s in outcome.skipped],
        "duplicates": [asdict(d) for d in outcome.duplicates],
        "failed": [asdict(f) for f in outcome.failed],
        "findings": [as_dict(f) for f in outcome.findings],
    })


def text(outcome: Outcome, dry_run: bool) -> str:
    """A line per file written (with its findings, and its content on a dry run), per
    template skipped, duplicate or failed, then a summary."""
    e = escape
    verb = "would write" if dry_run else "wrote"
    lines: list[str] = []
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for finding in outcome.findings:
        by_path[finding.path].append(finding)
    for w in outcome.written:
        lines.append(f"{verb} {e(w.path)} ({e(w.account_id)} '{e(w.name)}', id {e(w.id)})")
        lines += [f"  {e(f.path)}:{f.line}:{f.column}: {f.severity} {f.rule}: {e(f.message)}"
                  for f in by_path[w.path]]
        if dry_run:
            lines += [f"  | {e(line)}" for line in w.content.rstrip("\n").split("\n")]
    lines += [f"skipped {e(s.account_id)} '{e(s.name)}' (id {e(s.id)}): {e(s.reason)}"
              for s in outcome.skipped]
    lines += [f"duplicate {e(d.account_id)} '{e(d.name)}' (id {e(d.id)}): not imported; the "
              f"older id {e(d.imported_id)} is, and once its file is committed sync deletes "
              "this copy" for d in outcome.duplicates]
    lines += [f"FAILED {e(f.account_id)} '{e(f.name)}' (id {e(f.id)}): {e(f.reason)}"
              for f in outcome.failed]
    lines.append(f"Import: {len(outcome.written)} {'to write' if dry_run else 'written'}, "
                 f"{len(outcome.skipped)} skipped, {len(outcome.duplicates)} duplicate(s), "
                 f"{len(outcome.failed)} failed; {len(outcome.findings)} finding(s)."
                 + (" Dry run: nothing was written." if dry_run else ""))
    return "\n".join(lines)
