"""`make demo` runs scripts/demo.py: the whole path, leaving nothing behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def refs() -> str:
    return subprocess.run(["git", "for-each-ref"], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout


def test_demo_runs_and_leaves_nothing_behind() -> None:
    status_before = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, check=True,
                                   capture_output=True, text=True).stdout
    refs_before = refs()
    done = subprocess.run([sys.executable, str(ROOT / "scripts/demo.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert ("Not managed: 3 template(s) in the managed accounts that no file ever defined, "
            "left alone: acct-genai-apps/Chat Assistant (beta), acct-genai-apps/summarizer-v0, "
            "acct-search-team/bm25-reranker-legacy.") in out
    assert "Import: 3 written, 0 skipped, 0 duplicate(s), 0 failed; 0 finding(s)." in out
    assert "3 in sync, 0 differ, 6 missing, 0 not managed." in out
    assert "Plan: 6 to create, 0 to replace, 0 to delete." in out
    assert "Plan: 0 to create, 1 to replace, 0 to delete." in out
    assert "Sync: 1 applied, 0 failed." in out
    assert "9 template(s) on the server" in out
    assert out.rstrip().endswith("Done: the server is stopped and the temporary folder removed.")
    status_after = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, check=True,
                                  capture_output=True, text=True).stdout
    assert status_after == status_before
    assert refs() == refs_before  # no last-synced record pushed into this checkout
    leftovers = subprocess.run(["pgrep", "-f", "template-registry serve --port 0 --db .*"
                                "template-registry-demo-"], capture_output=True, text=True)
    assert leftovers.stdout == ""
