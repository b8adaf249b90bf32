"""Write requirements/sync.txt (`make lock`): the hash-pinned install of the CI jobs.

The job that holds the API key installs the tool with `pip install --require-hashes -r
requirements/sync.txt` (ci/install.sh): the base dependencies, the `sync` extra and the
build backend, every one pinned with `==` and the hashes of its files, made by pip-tools
(`pip-compile --generate-hashes`). The lock's first line records a digest of the
specification it was made from (pyproject.toml's dependencies, the `sync` extra, the
build requirements, requires-python); tests/test_lean_install.py recomputes it, offline,
and fails when pyproject.toml changed since: run `make lock` then.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements" / "sync.txt"
EXTRA = "sync"
DIGEST_PREFIX = "# spec-sha256: "


def specification(pyproject: dict[str, Any]) -> dict[str, Any]:
    """What the lock is made from (order within a list does not matter)."""
    project = pyproject["project"]
    return {
        "requires-python": project.get("requires-python", ""),
        "dependencies": sorted(project.get("dependencies", [])),
        EXTRA: sorted(project.get("optional-dependencies", {}).get(EXTRA, [])),
        "build-system": sorted(pyproject.get("build-system", {}).get("requires", [])),
    }


def spec_digest(pyproject_text: str) -> str:
    """The digest the lock records: sha256 of the specification as canonical JSON."""
    spec = specification(tomllib.loads(pyproject_text))
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def compile_lock(output: Path) -> None:
    """Resolve and hash with pip-compile (from the dev install) into OUTPUT."""
    command = [str(Path(sys.executable).with_name("pip-compile")), "--quiet",
               "--extra", EXTRA, "--generate-hashes", "--allow-unsafe",
               "--build-deps-for", "wheel", "--strip-extras", "--no-emit-index-url",
               "--no-emit-find-links", "--no-emit-trusted-host", "--newline", "LF",
               "--output-file", str(output), "pyproject.toml"]
    subprocess.run(command, cwd=ROOT, check=True)


def main() -> int:
    digest = spec_digest(PYPROJECT.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as scratch:
        made = Path(scratch) / "sync.txt"
        compile_lock(made)
        body = made.read_text(encoding="utf-8").replace(str(made), LOCK.relative_to(ROOT)
                                                        .as_posix())
    LOCK.parent.mkdir(exist_ok=True)
    LOCK.write_text(f"{DIGEST_PREFIX}{digest}\n"
                    "# The tool's dependencies (base and the `sync` extra) and its build backend,\n"
                    "# pinned with hashes for `pip install --require-hashes` (ci/install.sh).\n"
                    "# Made by `make lock` (scripts/lock.py); do not edit by hand.\n"
                    f"{body}", encoding="utf-8")
    print(f"wrote {LOCK.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
