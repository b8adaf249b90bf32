"""What sync must never destroy: the deletion guard, protection, shallow clones, rollbacks,
and concurrent syncs. The real CLI, real git repositories, the real local server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.commands.test_sync import KEY, cli, commit, make_repo, names, remote_state, write
from tests.helpers import edit, git, named
from tests.live_server import LiveServer, running_server


@pytest.fixture
def server() -> Any:
    with running_server(api_key=KEY) as live:
        yield live


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def test_removing_every_template_is_held_back(tmp_path: Path, server: LiveServer) -> None:
    templates = {f"templates/t{i:02}.yaml": named(f"m{i:02}", "acct-1") for i in range(12)}
    repo = make_repo(tmp_path / "repo", templates)
    assert cli(server, repo, "sync").returncode == 0
    git(repo, "rm", "-rq", "templates")
    commit(repo, "oops")
    plan = cli(server, repo, "plan", "--detailed-exitcode")
    assert plan.returncode == 2
    guard = ("12 deletion(s) exceed max_deletes (10); it would delete every managed template "
             "of account(s) 'acct-1': held back; run with --allow-deletes 12 to allow them")
    assert f"Deletion guard: {guard}" in plan.stdout.splitlines()
    assert plan.stdout.splitlines()[-1] == ("Plan: 0 to create, 0 to replace, 0 to delete; "
                                            "12 deletion(s) held back.")
    done = cli(server, repo, "sync")
    assert done.returncode == 1
    assert f"HELD BACK: {guard}" in done.stdout.splitlines()
    assert done.stdout.splitlines()[-1] == "Sync: 0 applied, 0 failed, 12 held back."
    assert len(names(server)) == 12
    too_few = cli(server, repo, "sync", "--allow-deletes", "11")
    assert too_few.returncode == 1 and len(names(server)) == 12
    allowed = cli(server, repo, "sync", "--allow-deletes", "12")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert allowed.stdout.splitlines()[-1] == "Sync: 12 applied, 0 failed."
    assert names(server) == []


def test_max_deletes_and_protect_from_the_configuration(tmp_path: Path,
                                                        server: LiveServer) -> None:
    templates = {f"templates/t{i}.yaml": named(f"m{i}", "acct-1") for i in range(4)}
    repo = make_repo(tmp_path / "repo", templates)
    (repo / "pyproject.toml").write_text(
        '[tool.template-registry]\nmax_deletes = 1\nprotect = ["acct-1/m0"]\n')
    commit(repo, "config")
    assert cli(server, repo, "sync").returncode == 0
    git(repo, "rm", "-q", "templates/t0.yaml", "templates/t1.yaml")
    commit(repo, "remove two")
    done = cli(server, repo, "sync")
    # m0 is protected, so only m1 is a delete: within max_deletes = 1.
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("  - delete  acct-1/m0 id " in done.stdout
            and "[HELD: protected by protect = 'acct-1/m0']" in done.stdout)
    assert names(server) == [("acct-1", "m0"), ("acct-1", "m2"), ("acct-1", "m3")]
    again = cli(server, repo, "sync", "--allow-deletes", "5")
    assert again.returncode == 0 and ("acct-1", "m0") in names(server)


def test_a_shallow_clone_is_refused(tmp_path: Path, server: LiveServer) -> None:
    origin = make_repo(tmp_path / "origin", {"templates/a.yaml": named("a", "acct-1"),
                                             "templates/b.yaml": named("b", "acct-1")})
    git(origin, "rm", "-q", "templates/b.yaml")
    commit(origin, "remove b")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(shallow))
    for command in ("plan", "sync"):
        done = cli(server, shallow, command)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "this clone is shallow" in done.stderr and "fetch-depth: 0" in done.stderr
    assert remote_state(server) == []


def test_an_older_commit_is_refused_unless_rollback(tmp_path: Path, server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", {"templates/keep.yaml": named("keep", "acct-1"),
                                         "templates/edit.yaml": named("edit", "acct-1"),
                                         "templates/gone.yaml": named("gone", "acct-1")})
    old = head(repo)
    assert cli(server, repo, "sync").returncode == 0
    write(repo, {"templates/edit.yaml": edit(named("edit", "acct-1"), "cpus: 2", "cpus: 3"),
                 "templates/new.yaml": named("new", "acct-1")})
    git(repo, "rm", "-q", "templates/gone.yaml")
    commit(repo, "newer")
    assert cli(server, repo, "sync").returncode == 0
    newer_state = remote_state(server)
    refused = cli(server, repo, "sync", "--ref", old)
    assert refused.returncode == 2
    assert (f"refusing to sync {old} ({old[:12]}): the last sync to this API was of "
            f"{head(repo)[:12]}") in refused.stderr
    assert remote_state(server) == newer_state
    assert cli(server, repo, "sync", "--ref", old, "--dry-run").returncode == 2
    rolled = cli(server, repo, "sync", "--ref", old, "--allow-rollback")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert names(server) == [("acct-1", "edit"), ("acct-1", "gone"), ("acct-1", "keep")]
    cpus = {t["name"]: t["vendor_configuration"]["endpoint_config"]["cpus"]
            for t in remote_state(server)}
    assert cpus["edit"] == 2
    assert cli(server, repo, "plan", "--ref", old, "--detailed-exitcode").returncode == 0
    forward = cli(server, repo, "sync")  # HEAD descends from the recorded commit again
    assert forward.returncode == 0, forward.stdout + forward.stderr
    assert names(server) == [("acct-1", "edit"), ("acct-1", "keep"), ("acct-1", "new")]


def test_the_record_is_shared_through_origin(tmp_path: Path, server: LiveServer) -> None:
    work = make_repo(tmp_path / "work", {"templates/a.yaml": named("a", "acct-1")})
    old = head(work)
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    write(work, {"templates/b.yaml": named("b", "acct-1")})
    commit(work, "b")
    git(work, "remote", "add", "origin", str(bare))
    git(work, "push", "-q", "origin", "main")
    job_new, job_old = tmp_path / "job-new", tmp_path / "job-old"
    for job in (job_new, job_old):
        git(tmp_path, "clone", "-q", str(bare), str(job))
    git(job_old, "checkout", "-q", old)
    assert cli(server, job_new, "sync").returncode == 0
    refs = git(bare, "for-each-ref", "--format=%(refname) %(objectname)",
               "refs/template-registry/").split()
    assert refs[0].startswith("refs/template-registry/synced/") and refs[1] == head(job_new)
    rerun = cli(server, job_old, "sync")  # "Re-run jobs" on the older commit's run
    assert rerun.returncode == 2
    assert "refusing to sync HEAD" in rerun.stderr
    assert names(server) == [("acct-1", "a"), ("acct-1", "b")]


def test_concurrent_syncs_leave_no_duplicates(tmp_path: Path) -> None:
    templates = {f"templates/t{i:03}.yaml": named(f"m{i:03}", "acct-1") for i in range(60)}
    repo = make_repo(tmp_path / "repo", templates)
    with running_server("--latency-ms", "20", api_key=KEY) as server:
        env = {**os.environ, "SGP_API_KEY": KEY, "SGP_CLIENT_BASE_URL": server.url}
        command = [sys.executable, "-m", "registry", "sync", "--root", str(repo),
                   "--format", "json"]
        running = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [p.communicate(timeout=120) for p in running]
        results = [(p.returncode, out, err) for p, (out, err) in zip(running, outputs, strict=True)]
        state = remote_state(server)
    for code, out, err in results:
        assert code == 0, out[-2000:] + err[-2000:]
        assert json.loads(out)["problems"] == []
    counts = Counter(t["name"] for t in state)
    assert sorted(counts) == [f"m{i:03}" for i in range(60)]
    assert set(counts.values()) == {1}
    repairs = [len(json.loads(out)["repairs"]) for _, out, _ in results]
    assert sum(repairs) >= 1  # the two runs did overlap, and one cleaned up after the other
