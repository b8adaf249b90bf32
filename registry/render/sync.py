"""What sync did: a line per finished action (progress), and the report as text or JSON."""

from __future__ import annotations

from registry.apply import Outcome, Report
from registry.render import formats, jsonfmt
from registry.render.plan import describe
from registry.render.terminal import escape, safe_lines


def render_report(report: Report, fmt: str) -> str:
    """REPORT in FMT (see formats.FORMATS["sync"])."""
    return formats.render("sync", fmt, report)


def progress_line(outcome: Outcome) -> str:
    """`ok     + create  acct/name (file) -> new-id`, or `FAILED ...`: one per action."""
    status = "ok    " if outcome.ok else "FAILED"
    created = f" -> {escape(outcome.created_id)}" if outcome.created_id else ""
    return safe_lines(f"{status} {describe(outcome.action)}{created}")


def text(report: Report) -> str:
    """Each failed action with the error, the repairs and problems of the check after it,
    what was held back, then `Sync: X applied, Y failed.`"""
    lines = [f"FAILED {describe(o.action)}: {escape(o.error or '')}" for o in report.failed]
    for outcome in report.repairs:
        status = "repaired" if outcome.ok else "FAILED to repair"
        error = "" if outcome.ok else f": {escape(outcome.error or '')}"
        lines.append(f"{status} {describe(outcome.action)}{error}")
    lines += [f"PROBLEM {escape(problem)}" for problem in report.problems]
    if report.plan.guard:
        lines.append(f"HELD BACK: {escape(report.plan.guard)}")
    lines += [f"NOT TAKEN OVER {describe(action)}" for action in report.plan.actions
              if action.kind == "takeover"]
    return "\n".join([*lines, report.summary()])


def json(report: Report) -> str:
    """The report for machines; also what `--report FILE` writes."""
    return jsonfmt.dumps(report.to_dict())
