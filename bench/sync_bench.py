"""Benchmark plan and sync against the local server, side by side in one run.

1. Parallelism: sync 1,000 new templates to a server answering every call 50 ms late
   (`serve --latency-ms 50`), with the default parallelism (8) and with --parallelism 1.
2. Planning versus validating 10,000 templates: after a sync of 10,000 templates, time
   `plan` (nothing to change) against `validate` of the same files, both with a cold and
   with a warm cache.
3. History: `plan` on a repository whose templates folder has COMMITS commits (one edit
   each), first run (every historic blob read once) and second run (blob ids cached).
4. Models: the same 10,000 templates with one model each (10,000 models), a warm `plan`:
   its time, and its calls from the server's request log (one list call per page per
   account for each kind, nothing more).

    .venv/bin/python bench/sync_bench.py [--templates 1000] [--large 10000] [--commits 3000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from generate import generate  # noqa: E402

from tests.live_server import running_server  # noqa: E402

KEY = "bench-key"
CLI = [sys.executable, "-m", "registry"]


def git(repo: Path, *args: str, stdin: str | None = None) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, input=stdin,
                   text=True)


def make_repo(root: Path, count: int) -> Path:
    generate(root, count)
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.email=b@example.com", "-c", "user.name=bench", "add", "-A")
    git(root, "-c", "user.email=b@example.com", "-c", "user.name=bench", "commit", "-qm", "all")
    return root


def run(args: list[str], *, url: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([*CLI, *args], env={**env, "SGP_API_KEY": KEY,
                                              "SGP_CLIENT_BASE_URL": url},
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return elapsed


def parallelism(work: Path, count: int, env: dict[str, str]) -> list[str]:
    repo = make_repo(work / "parallel", count)
    times = {}
    for level in (8, 1):
        with running_server("--latency-ms", "50", api_key=KEY) as server:
            times[level] = run(["sync", "--root", str(repo), "--parallelism", str(level)],
                               url=server.url, env=env)
    return [f"| sync {count:,} new templates, 50 ms latency, --parallelism 8 (default) | "
            f"{times[8]:.1f} s |",
            f"| same with --parallelism 1 | {times[1]:.1f} s ({times[1] / times[8]:.1f}x "
            "slower) |"]


def plan_versus_validate(work: Path, count: int, env: dict[str, str]) -> list[str]:
    repo = make_repo(work / "large", count)
    cache = Path(env["TEMPLATE_REGISTRY_CACHE_DIR"])
    rows = []
    with running_server(api_key=KEY) as server:
        run(["sync", "--root", str(repo)], url=server.url, env=env)
        timings: dict[str, float] = {}
        for command in ("plan", "validate"):
            shutil.rmtree(cache, ignore_errors=True)
            timings[f"{command} cold"] = run([command, "--root", str(repo)], url=server.url,
                                             env=env)
            timings[f"{command} warm"] = run([command, "--root", str(repo)], url=server.url,
                                             env=env)
    for label in ("cold", "warm"):
        rows.append(f"| plan {count:,} unchanged templates ({label} cache) | "
                    f"{timings['plan ' + label]:.2f} s; validate the same files "
                    f"({label} cache): {timings['validate ' + label]:.2f} s |")
    return rows


def with_models(work: Path, count: int, env: dict[str, str]) -> list[str]:
    """A warm plan of COUNT templates with one model each: time and list calls."""
    from concurrent.futures import ThreadPoolExecutor

    repo = make_repo(work / "models", count)
    log = work / "requests.log"
    with running_server("--request-log", str(log), api_key=KEY) as server:
        run(["sync", "--root", str(repo)], url=server.url, env=env)
        with server.client() as client:
            templates = client.get("/v4/model-templates", params={"limit": 10000}).json()

            def add(template: dict[str, str]) -> None:
                client.post("/v4/models", json={
                    "name": f"model-{template['name']}", "account_id": template["account_id"],
                    "model_type": "GENERIC", "model_template_id": template["id"]}
                ).raise_for_status()

            with ThreadPoolExecutor(8) as pool:
                list(pool.map(add, templates["items"]))
        run(["plan", "--root", str(repo)], url=server.url, env=env)  # warm the caches
        log.write_text("")
        seconds = run(["plan", "--root", str(repo)], url=server.url, env=env)
    calls = [line.split()[:2] for line in log.read_text().splitlines()]
    kinds = {path: sum(1 for method, p in calls if method == "GET" and p == path)
             for path in ("/v4/model-templates", "/v4/models")}
    return [f"| plan {count:,} unchanged templates with {len(templates['items']):,} models "
            f"(warm cache) | {seconds:.2f} s; {len(calls)} calls: "
            f"{kinds['/v4/model-templates']} template pages and {kinds['/v4/models']} model "
            "pages (1,000 per page, 10 accounts), nothing else |"]


def history(work: Path, commits: int, env: dict[str, str]) -> list[str]:
    repo = make_repo(work / "history", 20)
    target = next(iter(sorted((repo / "templates").rglob("*.yaml"))))
    text = target.read_text()
    rel = target.relative_to(repo).as_posix()
    # One fast-import stream: COMMITS commits, each changing one template's cpus.
    stream = []
    for i in range(commits):
        body = text.replace("cpus: ", f"# edit {i}\n    cpus: ", 1)
        data = body.encode()
        stream += ["commit refs/heads/main",
                   f"committer bench <b@example.com> {1700000000 + i} +0000",
                   "data 4", "edit", "from refs/heads/main^0" if i == 0 else "",
                   f"M 100644 inline {rel}", f"data {len(data)}", body]
    git(repo, "fast-import", "--quiet", stdin="\n".join(line for line in stream if line != "")
        + "\n")
    git(repo, "reset", "-q", "--hard", "main")
    rows = []
    with running_server(api_key=KEY) as server:
        run(["sync", "--root", str(repo)], url=server.url, env=env)
        first = run(["plan", "--root", str(repo)], url=server.url, env=env)
        second = run(["plan", "--root", str(repo)], url=server.url, env=env)
    rows.append(f"| plan with {commits:,} commits of history: first run (every blob read) / "
                f"second (cached by blob id) | {first:.2f} s / {second:.2f} s |")
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--templates", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--only-models", action="store_true",
                        help="Only the models scenario (4).")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    env = {**os.environ, "TEMPLATE_REGISTRY_CACHE_DIR": str(work / "cache")}
    try:
        rows = ["| scenario | time |", "|---|---|"]
        if not args.only_models:
            rows += parallelism(work, args.templates, env)
            rows += plan_versus_validate(work, args.large, env)
            rows += history(work, args.commits, env)
        rows += with_models(work, args.large, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
