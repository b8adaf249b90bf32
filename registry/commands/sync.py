"""`template-registry sync`: make the API hold exactly the templates of a commit.

Exit codes: 0 every action applied (or nothing to do); 1 some actions failed (the rest
were applied; a rerun converges), the deletion guard held deletes back, a takeover of a
hand-made template waits for --adopt, or the API still differed from the commit after
applying; 2 usage, configuration, authentication,
templates at the commit that do not validate, a shallow clone, or a refused rollback.

Order: check the last-synced record (registry.synced), plan, record this commit, apply,
then list again to verify.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from registry.apply import Outcome, Report, apply_plan, runnable
from registry.commands.plan import Options, build_plan, connect
from registry.config import Config, load_config
from registry.render.plan import render_plan
from registry.render.sync import progress_line, render_report

if TYPE_CHECKING:
    from registry.client import ApiClient


REPAIR_ROUNDS = 3  # a concurrent writer may still be creating while we repair


def sync_command(options: Options, *, fmt: str = "text", dry_run: bool = False,
                 parallelism: int = 8, report_file: str | None = None,
                 allow_rollback: bool = False, record: bool = True,
                 force_delete_used: bool = False) -> int:
    from registry import gitrepo, synced

    config = load_config(options.root)
    log = sys.stderr if fmt == "json" else sys.stdout
    with connect(config, options) as client:
        commit = gitrepo.commit_id(config.root, options.ref)
        history = (synced.Record.for_api(config.root, client.base_url, options.env)
                   if record else None)
        last = history.read() if history is not None else None
        rollback_from = synced.check_order(config.root, last, commit, options.ref,
                                           allow_rollback=allow_rollback)
        plan = build_plan(config, options, client, also_owned_from=rollback_from)
        if fmt == "text" or dry_run:
            print(render_plan(plan, "text" if fmt == "text" else "json"), file=log)
        if dry_run:
            print("Dry run: nothing was changed.", file=log)
            return 0
        if history is not None and last != plan.commit:
            history.write(plan.commit, rollback=rollback_from is not None)
        progress = Progress(len(runnable(plan)), log)
        report = apply_plan(plan, client, parallelism=parallelism, on_done=progress.done,
                            force_delete_used=force_delete_used)
        progress.finish()
        if runnable(plan) and not report.failed:
            verify(report, config, options, client, rollback_from, parallelism)
    if report_file:
        Path(report_file).write_text(render_report(report, "json"))
    print_report(report, fmt)
    return 1 if report.failed or report.problems or plan.guard or plan.count("takeover") else 0


def verify(report: Report, config: Config, options: Options, client: ApiClient,
           rollback_from: str | None, parallelism: int) -> None:
    """List again and check that the API now equals the commit (a concurrent writer?).

    Duplicates of our own creates (another sync of the same commit running at the same
    time) are removed at once; any other difference is reported (exit 1).
    """
    for attempt in range(REPAIR_ROUNDS + 1):
        check = build_plan(config, options, client, also_owned_from=rollback_from)
        left = runnable(check)
        if not left:
            return
        if attempt < REPAIR_ROUNDS and all(action.kind == "dedupe" for action in left):
            repair = apply_plan(check, client, parallelism=parallelism)
            report.repairs += repair.outcomes
            continue
        report.problems += [f"after sync the API still differs from the commit: {action.kind} "
                            f"{action.account_id}/{action.name}" for action in left]
        report.problems.append("another writer may have changed the account meanwhile; "
                               "run sync again")
        return


def print_report(report: Report, fmt: str) -> None:
    print(render_report(report, fmt))


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
            print(progress_line(outcome), file=self.stream, flush=True)

    def finish(self) -> None:
        if self.tty and self.total:
            print(file=self.stream)
