"""`template-registry sync`: make the API hold exactly the templates of a commit.

Exit codes: 0 every action applied (or nothing to do); 1 some actions failed (the rest
were applied; a rerun converges); 2 usage, configuration, authentication, or templates
at the commit that do not validate.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import TextIO

from registry.apply import Outcome, Report, apply_plan
from registry.commands.plan import Options, build_plan
from registry.config import load_config
from registry.plan_render import describe, render_plan


def sync_command(options: Options, *, fmt: str = "text", dry_run: bool = False,
                 parallelism: int = 8, report_file: str | None = None) -> int:
    from registry.client import ApiClient

    config = load_config(options.root)
    with ApiClient.from_env(api_url=options.api_url, config_base_url=config.base_url,
                            retry_deadline=options.call_timeout) as client:
        plan = build_plan(config, options, client)
        log = sys.stderr if fmt == "json" else sys.stdout
        if fmt == "text" or dry_run:
            print(render_plan(plan, "text" if fmt == "text" else "json"), file=log)
        if dry_run:
            print("Dry run: nothing was changed.", file=log)
            return 0
        progress = Progress(len(plan.actions), log)
        report = apply_plan(plan, client, parallelism=parallelism, on_done=progress.done)
        progress.finish()
    if report_file:
        Path(report_file).write_text(json.dumps(report.to_dict(), indent=2, default=str))
    print_report(report, fmt)
    return 1 if report.failed else 0


def print_report(report: Report, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(report.to_dict(), indent=2, default=str))
        return
    for outcome in report.failed:
        print(f"FAILED {describe(outcome.action)}: {outcome.error}")
    print(report.summary())


class Progress:
    """A bar on a terminal; otherwise one line per finished action (for CI logs)."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream = total, stream
        self.finished = self.failed = 0
        self.tty = stream.isatty()
        self.lock = threading.Lock()
        if total:
            print(f"Applying {total} action(s)...", file=stream, flush=True)

    def done(self, outcome: Outcome) -> None:
        with self.lock:
            self.finished += 1
            self.failed += not outcome.ok
            if self.tty:
                filled = self.WIDTH * self.finished // max(1, self.total)
                bar = "#" * filled + "-" * (self.WIDTH - filled)
                print(f"\r[{bar}] {self.finished}/{self.total}, {self.failed} failed",
                      end="", file=self.stream, flush=True)
                return
            status = "ok    " if outcome.ok else "FAILED"
            created = f" -> {outcome.created_id}" if outcome.created_id else ""
            print(f"{status} {describe(outcome.action)}{created}", file=self.stream, flush=True)

    def finish(self) -> None:
        if self.tty and self.total:
            print(file=self.stream)
