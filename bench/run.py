"""Benchmark `template-registry validate` against check-jsonschema, side by side in one run.

For registries of 1,000 and 10,000 generated templates (bench/generate.py) it times:
- check-jsonschema validating every file against our exported schema (one invocation);
- `template-registry validate` on the whole registry, every rule, with an empty cache
  (cold: a fresh CI machine) and again with the cache filled (warm: a developer's laptop);
- the pre-commit case: one file passed, uniqueness still checked against all files, from
  the second run on, against check-jsonschema checking that one file alone;
- peak memory (max RSS, children included) of the whole-registry runs.
Each time is the median of REPEAT runs. Prints a markdown table for the README.

    .venv/bin/python bench/run.py [--sizes 1000 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

BIN = Path(sys.executable).parent
OUT = Path(__file__).resolve().parent / "out"


def timed(command: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    """(seconds, peak RSS in MiB) of one run of COMMAND; fails loudly on a non-zero exit."""
    wrapper = [sys.executable, "-c",
               "import resource, subprocess, sys, time; t = time.perf_counter(); "
               "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
               "print(time.perf_counter() - t, "
               "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)", *command]
    out = subprocess.run(wrapper, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    seconds, rss_kib, code = out.stdout.split()
    if code != "0":
        raise SystemExit(f"{' '.join(command[:3])} ... exited {code}")
    return float(seconds), int(rss_kib) // 1024


def median_run(command: list[str], *, cwd: Path, env: dict[str, str], repeat: int,
               before: object = None) -> tuple[float, int]:
    times, peaks = [], []
    for _ in range(repeat):
        if callable(before):
            before()
        seconds, peak = timed(command, cwd=cwd, env=env)
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def bench_size(size: int, repeat: int) -> dict[str, float]:
    root = OUT / f"registry-{size}"
    files = generate(root, size)
    rel = [str(f.relative_to(root)) for f in files]
    schema = root / "schema.json"
    schema.write_text(subprocess.run([str(BIN / "template-registry"), "schema"], check=True,
                                     capture_output=True, text=True).stdout)
    cache = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    env = {**os.environ, "TEMPLATE_REGISTRY_CACHE_DIR": str(cache)}
    time.sleep(2.1)  # let the files age past the cache's racy-clean window, as in a real repo
    ours = [str(BIN / "template-registry"), "validate"]
    cj = [str(BIN / "check-jsonschema"), "--schemafile", str(schema)]

    def empty_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    result: dict[str, float] = {"size": size}
    result["cj_all"], result["cj_rss"] = median_run([*cj, *rel], cwd=root, env=env,
                                                    repeat=repeat)
    result["cold"], result["cold_rss"] = median_run(ours, cwd=root, env=env, repeat=repeat,
                                                    before=empty_cache)
    timed(ours, cwd=root, env=env)  # fill the cache
    result["warm"], result["warm_rss"] = median_run(ours, cwd=root, env=env, repeat=repeat)
    one = rel[len(rel) // 2]
    timed([*ours, one], cwd=root, env=env)  # the first pre-commit run fills the cache
    result["hook"], _ = median_run([*ours, one], cwd=root, env=env, repeat=max(repeat, 5))
    result["cj_one"], _ = median_run([*cj, one], cwd=root, env=env, repeat=max(repeat, 5))
    shutil.rmtree(cache, ignore_errors=True)
    return result


def report(rows: list[dict[str, float]]) -> str:
    lines = [
        "| templates | check-jsonschema, all files | validate, cold cache | ratio | "
        "validate, warm cache | ratio | peak RSS (cold / warm) | hook, 1 file (warm) | "
        "check-jsonschema, 1 file | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {int(r['size']):,} | {r['cj_all']:.2f} s | {r['cold']:.2f} s | "
            f"{r['cj_all'] / r['cold']:.1f}x | {r['warm']:.2f} s | {r['cj_all'] / r['warm']:.1f}x"
            f" | {int(r['cold_rss'])} / {int(r['warm_rss'])} MiB | {r['hook'] * 1000:.0f} ms | "
            f"{r['cj_one'] * 1000:.0f} ms | {r['cj_one'] / r['hook']:.2f}x |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    rows = []
    for size in args.sizes:
        print(f"benchmarking {size:,} templates...", file=sys.stderr, flush=True)
        rows.append(bench_size(size, args.repeat))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"{resource.getpagesize()}-byte pages")
    print(report(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
