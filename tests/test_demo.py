"""`make demo` runs scripts/demo.py: the whole path, leaving nothing behind."""

from __future__ import annotations

import re
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
    # Then staging and production, each its own server and key.
    environments = out.split("==> Two environments from the same files", 1)[1]
    assert ("staging     https://staging.egp.example.com  SGP_STAGING_API_KEY  overlays/staging"
            in environments)
    assert ("overlays/production/genai/batch-summarizer-async.yaml:5:18: error "
            "launch-resources: min_workers 12 is greater than max_workers 10 (in production)\n"
            "11 file(s) checked: 1 error(s), 0 warning(s).\n") in environments
    assert "11 file(s) checked: no problems found." in environments
    assert re.search(r"\$ template-registry plan --env staging --api-url http://127\.0\.0\.1:\d+"
                     r"\nPlan for HEAD \(\w+\); accounts: acct-genai-staging, "
                     r"acct-search-staging\n", environments)
    assert environments.count("Plan: 9 to create, 0 to replace, 0 to delete.") == 3
    assert environments.count("Sync: 9 applied, 0 failed.") == 2
    assert ("9 template(s) differ, 0 the same, 0 only in staging, 0 only in production."
            in environments)
    listed = environments.split("==> What each server holds", 1)[1]
    staging, production = listed.split("9 template(s) on the staging server\n")
    assert re.search(r"acct-genai-staging  llama-3-8b-batch-summarizer +id \w{8}  cpus 12  "
                     r"nvidia-tesla-t4 x 0-1\n", staging)
    assert [line.split()[0] for line in staging.splitlines()[1:] if line.strip()] == (
        ["acct-genai-staging"] * 5 + ["acct-search-staging"] * 4)
    assert re.search(r"acct-genai-apps     llama-3-8b-batch-summarizer +id \w{8}  cpus 12  "
                     r"nvidia-ampere-a10 x 2-10\n", production)
    assert "9 template(s) on the production server" in production
    assert "demo-staging-key" not in out and "demo-production-key" not in out
    assert out.rstrip().endswith("Done: the servers are stopped and the temporary folder "
                                 "removed.")
    status_after = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, check=True,
                                  capture_output=True, text=True).stdout
    assert status_after == status_before
    assert refs() == refs_before  # no last-synced record pushed into this checkout
    leftovers = subprocess.run(["pgrep", "-f", "template-registry serve --port 0 --db .*"
                                "template-registry-demo-"], capture_output=True, text=True)
    assert leftovers.stdout == ""
