"""The demo behind `make demo`: the whole path on one machine, against the local server.

It starts `template-registry serve` on a free port with a throw-away database, validates
the example templates, plans and syncs them from a temporary clone of this repository,
changes one template in a throw-away commit there, plans and syncs again (a replacement),
and lists what the server holds. Then the same templates go to two environments, staging
and production, each its own server with its own key: validate per environment, plan and
sync staging, diff the two, sync production, and what each server holds. It stops every
server at the end. Nothing in this checkout changes and no process is left behind,
whatever happens on the way.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CLI = str(BIN / "template-registry")
DEMO_KEY = "demo-key-local-only"
STAGING_KEY, PRODUCTION_KEY = "demo-staging-key-local-only", "demo-production-key-local-only"
CHANGED = "templates/search/bge-large-embedding.yaml"
PATCH = "overlays/production/genai/batch-summarizer-async.yaml"


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def run(*args: str, cwd: Path, env: dict[str, str], codes: Sequence[int] = (0,)) -> None:
    print(f"$ template-registry {' '.join(args)}", flush=True)
    done = subprocess.run([CLI, *args], cwd=cwd, env=env)
    if done.returncode not in codes:
        raise SystemExit(f"demo: `template-registry {' '.join(args)}` exited {done.returncode}")


def start_server(db: Path, env: dict[str, str], key: str = DEMO_KEY
                 ) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen([CLI, "serve", "--port", "0", "--db", str(db)],
                              env={**env, "TEMPLATE_REGISTRY_SERVE_API_KEY": key},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert server.stdout is not None
    for line in server.stdout:
        match = re.search(r"(http://\S+)", line)
        if match:
            return server, match.group(1)
    server.wait()
    raise SystemExit("demo: the server did not start")


def stop_server(server: subprocess.Popen[str]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# Templates someone made by hand in the UI before the team adopted the registry.
HAND_MADE = (
    ("acct-search-team", "bm25-reranker-legacy", "nvidia-tesla-t4", "2.1.0"),
    ("acct-genai-apps", "summarizer-v0", "nvidia-ampere-a10", "0.9.3"),
    ("acct-genai-apps", "Chat Assistant (beta)", "nvidia-ampere-a10", "1.10"),
)


def make_by_hand(url: str) -> None:
    """Create the HAND_MADE templates over the API, as someone using the UI would."""
    import httpx

    for account, name, gpu, tag in HAND_MADE:
        body = {"name": name, "account_id": account, "endpoint_type": "SYNC",
                "model_type": "GENERIC", "vendor_configuration": {
                    "bundle_config": {"registry": "registry.example.com", "image": "legacy",
                                      "tag": tag, "command": ["serve", "--port", "5005"],
                                      "healthcheck_route": "/health",
                                      "predict_route": "/predict"},
                    "endpoint_config": {"cpus": 4, "memory": "16Gi", "storage": "40Gi",
                                        "gpus": 1, "gpu_type": gpu, "min_workers": 1,
                                        "max_workers": 2, "per_worker": 4}}}
        answer = httpx.post(f"{url}/v4/model-templates", json=body,
                            headers={"x-api-key": DEMO_KEY})
        answer.raise_for_status()
        print(f"  made by hand: {account}/{name} (id {answer.json()['id']})")


def list_remote(url: str, key: str = DEMO_KEY, which: str = "the server") -> None:
    """Each template the server at URL holds: account, name, id, and its workers."""
    import httpx

    answer = httpx.get(f"{url}/v4/model-templates", params={"limit": 1000},
                       headers={"x-api-key": key})
    answer.raise_for_status()
    items = answer.json()["items"]
    for item in sorted(items, key=lambda i: (i["account_id"], i["name"])):
        config = item["vendor_configuration"].get("endpoint_config") or {}
        gpu = config.get("gpu_type") or "cpu"
        print(f"  {item['account_id']:<19} {item['name']:<34} id {item['id'][:8]}  "
              f"cpus {config.get('cpus')!s:>2}  {gpu} x {config.get('min_workers')}-"
              f"{config.get('max_workers')}")
    print(f"  {len(items)} template(s) on {which}")


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="template-registry-demo-"))
    outside = {k: v for k, v in os.environ.items() if not k.startswith("SGP_")}
    env = {**outside, "TEMPLATE_REGISTRY_CACHE_DIR": str(work / "cache"),
           "SGP_API_KEY": DEMO_KEY}
    servers: list[subprocess.Popen[str]] = []
    try:
        step("Starting the local model-templates API (template-registry serve)")
        server, url = start_server(work / "api.db", env)
        servers.append(server)
        env["SGP_CLIENT_BASE_URL"] = url
        print(f"listening on {url}, database {work / 'api.db'} (thrown away at the end)")

        step("Cloning this repository into a temporary folder (this checkout stays as it is)")
        repo = work / "registry"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(repo)], check=True)
        # No `origin`: sync keeps its last-synced record in the clone, not in this checkout.
        subprocess.run(["git", "remote", "remove", "origin"], cwd=repo, check=True)
        for key, value in (("user.email", "demo@example.com"), ("user.name", "demo")):
            subprocess.run(["git", "config", key, value], cwd=repo, check=True)

        step("Someone made templates by hand in the UI before the registry existed")
        make_by_hand(url)

        step("Planning: the hand-made templates are listed as not managed, and left alone")
        run("plan", cwd=repo, env=env)

        step("Importing them: one file each, exactly as they are live")
        run("import", cwd=repo, env=env)
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        subprocess.run(["git", "commit", "-qm", "demo: import the hand-made templates"],
                       cwd=repo, check=True)

        step("Status: the imported templates are in sync; the examples are still missing")
        run("status", cwd=repo, env=env, codes=(1,))

        step("Validating every template (the examples and the imported ones)")
        run("validate", cwd=repo, env=env)

        step("Planning: what would sync change? (the examples are not on the server yet)")
        run("plan", cwd=repo, env=env)

        step("Syncing the templates of HEAD to the server")
        run("sync", cwd=repo, env=env)

        step(f"Changing one template in a throw-away commit: {CHANGED} (cpus 4 -> 6)")
        path = repo / CHANGED
        path.write_text(path.read_text().replace("cpus: 4\n", "cpus: 6\n", 1))
        subprocess.run(["git", "commit", "-qam", "demo: more CPUs for the embedding model"],
                       cwd=repo, check=True)

        step("Planning again: the change is a replacement (the API has no update call)")
        run("plan", "--detailed-exitcode", cwd=repo, env=env, codes=(2,))

        step("Syncing again: create the new template, then delete the old one")
        run("sync", cwd=repo, env=env)

        step("What the server holds now")
        list_remote(url)

        environments(repo, work, env, servers)
    finally:
        # Stop first, print after: a closed stdout (`make demo | head`) must not leave
        # a server running.
        for server in servers:
            stop_server(server)
        shutil.rmtree(work, ignore_errors=True)
        if servers:
            step(f"Stopped the {len(servers)} server(s)")
    step("Done: the servers are stopped and the temporary folder removed.")
    return 0


def environments(repo: Path, work: Path, env: dict[str, str],
                 servers: list[subprocess.Popen[str]]) -> None:
    """Staging and production (pyproject.toml's environments), each on a server of its own
    with its own key: the key goes in the environment's own variable, and `--api-url`
    points each command at its server (as the workflows' URL variables do)."""
    step("Two environments from the same files: staging and production (pyproject.toml)")
    run("environments", cwd=repo, env=env)
    staging_server, staging = start_server(work / "staging.db", env, STAGING_KEY)
    servers.append(staging_server)
    production_server, production = start_server(work / "production.db", env, PRODUCTION_KEY)
    servers.append(production_server)
    print(f"staging on {staging}, production on {production}, each with its own key")
    keys = {**env, "SGP_STAGING_API_KEY": STAGING_KEY, "SGP_API_KEY": PRODUCTION_KEY}
    keys.pop("SGP_CLIENT_BASE_URL", None)

    step("validate checks what each environment receives: a throw-away edit makes "
         f"production's patch ({PATCH}) ask for 12 warm workers")
    path = repo / PATCH
    kept = path.read_text()
    path.write_text(kept.replace("min_workers: 2", "min_workers: 12"))
    run("validate", cwd=repo, env=keys, codes=(1,))
    path.write_text(kept)
    run("validate", cwd=repo, env=keys)

    step("Planning staging: its patches, its account ids, its server, its key")
    run("plan", "--env", "staging", "--api-url", staging, cwd=repo, env=keys)

    step("Syncing staging (in CI: on every merge to main)")
    run("sync", "--env", "staging", "--api-url", staging, cwd=repo, env=keys)

    step("How production differs from staging, field by field")
    run("diff", "--env", "staging", "--env", "production", cwd=repo, env=keys)

    step("Syncing production (in CI: the same commit, once a reviewer approves)")
    run("sync", "--env", "production", "--api-url", production, cwd=repo, env=keys)

    step("What each server holds: staging's patched values and account ids, and production's")
    list_remote(staging, STAGING_KEY, "the staging server")
    list_remote(production, PRODUCTION_KEY, "the production server")


if __name__ == "__main__":
    raise SystemExit(main())
