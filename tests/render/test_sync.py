"""What sync did, with hostile names, ids and server messages."""

from __future__ import annotations

import json

from registry.apply import Outcome, Report
from registry.plan import Action, Plan
from registry.render.sync import progress_line, render_report

ACTION = Action("create", "acct-1", "\n::error::pwned", "templates/a.yaml")


def test_progress_line() -> None:
    done = Outcome(ACTION, created_id="id\x1b]0;title\x07")
    assert progress_line(done) == (
        "ok     + create  acct-1/\\n::error::pwned (templates/a.yaml) -> id\\x1b]0;title\\x07")


def test_report_text_and_json() -> None:
    failed = Outcome(ACTION, ok=False, error="POST failed (422): bad\n::warning::\u202ex")
    report = Report(Plan("HEAD", "c" * 40, ("acct-1",), (ACTION,), 0), [failed])
    assert render_report(report, "text").splitlines() == [
        "FAILED + create  acct-1/\\n::error::pwned (templates/a.yaml): "
        "POST failed (422): bad\\n::warning::\\u202ex",
        "Sync: 0 applied, 1 failed.",
    ]
    data = json.loads(render_report(report, "json"))
    assert data["outcomes"][0]["error"] == failed.error
    assert data["outcomes"][0]["action"]["name"] == ACTION.name
