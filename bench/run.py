"""Benchmark `template-registry validate` against check-jsonschema, side by side in one run.

Both tools run as pre-commit runs them: each installed in a virtualenv of its own under
bench/out/ (ours from this checkout, reinstalled at each run; check-jsonschema at the
version of the development environment).

For registries of generated templates (bench/generate.py; 1,000, 10,000 and 100,000 by
default) it times:
- check-jsonschema validating every file against our exported schema, in invocations of
  at most CJ_CHUNK paths (one below that size; pre-commit splits long lists likewise);
  from CJ_ONCE_FROM templates on it runs once (it takes minutes there);
- `template-registry validate` on the whole registry, every rule, with an empty cache
  (cold: a fresh CI machine) and again with the cache filled (warm: a developer's laptop);
- the hook's real case: after a full run filled the cache, one template's `storage` is
  edited (a value no run has seen) and `template-registry validate THAT_FILE` runs, every
  rule on it, uniqueness against every template; check-jsonschema on that one file and
  `python -c pass` (the floor of any Python hook), `python -c 'import yaml'` and a Python
  loop that stats every template (what any correct uniqueness check must do) are timed
  right after it, each time;
- the unchanged-file case: `validate ONE_FILE` on a file the cache already knows;
- peak memory (max RSS of the largest single process) of the whole-registry runs.
Each time is the median of REPEAT runs (at least 9 for the one-file cases). Prints
markdown tables for the README: the figures, then their growth from size to size.

    .venv/bin/python bench/run.py [--sizes 1000 10000 100000] [--repeat 3]

With --importtime SIZE it profiles instead the imports of the hook's edited-file case in
a registry of SIZE templates (`python -X importtime`, median of 9 runs): what each
package costs, the costliest imports, and the time that is not importing.

    .venv/bin/python bench/run.py --importtime 10000
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = CJ_BIN = Path(sys.executable).parent  # set by main to the installed environments
CJ_CHUNK = 10_000  # paths per check-jsonschema invocation (the command line has a limit)
CJ_ONCE_FROM = 50_000  # at this size and above, check-jsonschema on every file runs once
ONE_FILE_REPEAT = 9
STORAGE_LINE = re.compile(r"^    storage: .+$", re.MULTILINE)
# `import time: self [us] | cumulative | imported package`, nesting shown by indentation.
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")

Command = list[str]
# What any correct check of the edited file's uniqueness must do at least: find every
# template and stat it (a file may have changed since the last run), as git status does.
STAT_EVERY_TEMPLATE = ("import os\nfor folder, _, names in os.walk('templates'):\n"
                       "    for name in names: os.stat(os.path.join(folder, name))")


class Timing(NamedTuple):
    seconds: float  # wall clock
    cpu: float  # user + system seconds of every process the commands ran
    rss: int  # MiB, the largest single process


def timed(commands: Sequence[Command], *, cwd: Path, env: dict[str, str]) -> Timing:
    """One run of COMMANDS, one after the other; fails loudly on a non-zero exit."""
    # The commands go on stdin: one argument holding 10,000 paths would be too long.
    script = ("import json, resource, subprocess, sys, time; commands = json.load(sys.stdin); "
              "t = time.perf_counter(); "
              "codes = [subprocess.run(c, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)"
              ".returncode for c in commands]; "
              "seconds = time.perf_counter() - t; "
              "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
              "print(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, max(codes))")
    out = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, check=True,
                         input=json.dumps([list(c) for c in commands]), capture_output=True,
                         text=True)
    seconds, cpu, rss_kib, code = out.stdout.split()
    if code != "0":
        raise SystemExit(f"{' '.join(commands[0][:3])} ... exited {code}")
    return Timing(float(seconds), float(cpu), int(rss_kib) // 1024)


def median_run(commands: Sequence[Command], *, cwd: Path, env: dict[str, str], repeat: int,
               before: Callable[[], None] | None = None) -> Timing:
    """The median times and the largest peak RSS of REPEAT runs (BEFORE runs before each)."""
    runs = []
    for _ in range(repeat):
        if before is not None:
            before()
        runs.append(timed(commands, cwd=cwd, env=env))
    return combined(runs)


def combined(runs: Sequence[Timing]) -> Timing:
    return Timing(statistics.median(r.seconds for r in runs),
                  statistics.median(r.cpu for r in runs), max(r.rss for r in runs))


def chunks(command: Command, paths: list[str]) -> list[Command]:
    return [[*command, *paths[i:i + CJ_CHUNK]] for i in range(0, len(paths), CJ_CHUNK)]


def edit_storage(path: Path, run: int) -> None:
    """Give the template a `storage` no earlier run has seen (a new value each RUN): a real
    content change, so the result cache cannot know it."""
    text = path.read_text()
    new, count = STORAGE_LINE.subn(f"    storage: {11 + run}Gi", text, count=1)
    if count != 1:
        raise SystemExit(f"{path}: no `storage:` line to edit")
    path.write_text(new)


class Registry:
    """A generated registry of SIZE templates, its exported schema and a private cache."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.root = OUT / f"registry-{size}"
        started = time.perf_counter()
        self.rel = [str(f.relative_to(self.root)) for f in generate(self.root, size)]
        self.generated = time.perf_counter() - started
        self.schema = self.root / "schema.json"
        self.schema.write_text(subprocess.run([str(BIN / "template-registry"), "schema"],
                                              check=True, capture_output=True,
                                              text=True).stdout)
        self.cache = Path(tempfile.mkdtemp(prefix="bench-cache-"))
        self.env = {**os.environ, "TEMPLATE_REGISTRY_CACHE_DIR": str(self.cache)}
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.ours: Command = [str(BIN / "template-registry"), "validate"]
        self.cj: Command = [str(CJ_BIN / "check-jsonschema"), "--schemafile",
                            str(self.schema)]
        time.sleep(2.1)  # let the files age past the cache's racy-clean window, as in a repo

    def run(self, commands: Sequence[Command], repeat: int = 1,
            before: Callable[[], None] | None = None) -> Timing:
        return median_run(commands, cwd=self.root, env=self.env, repeat=repeat, before=before)

    def empty_cache(self) -> None:
        shutil.rmtree(self.cache, ignore_errors=True)

    def close(self) -> None:
        self.empty_cache()


def installed(name: str, *requirements: str, force: bool = False) -> Path:
    """The bin folder of a virtualenv OUT/NAME holding REQUIREMENTS, as pre-commit installs
    a hook: its own environment, the package installed (not editable: an editable install
    adds ~20 ms of import hooks to every start) and byte-compiled. Made once; with FORCE
    the requirements are installed again (this checkout's code may have changed)."""
    env_dir = OUT / name
    python = env_dir / "bin" / "python"
    fresh = not python.exists()
    if fresh:
        subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    if fresh or force:
        extra = [] if fresh else ["--no-deps", "--force-reinstall"]
        subprocess.run([str(python), "-m", "pip", "install", "-q", *extra, *requirements],
                       check=True, stdout=subprocess.DEVNULL)
    return python.parent


def environments() -> tuple[Path, Path]:
    """(ours, check-jsonschema's) bin folders: this checkout, and the check-jsonschema
    version of the development environment, each in an environment of its own."""
    version = subprocess.run([str(Path(sys.executable).parent / "check-jsonschema"),
                              "--version"], check=True, capture_output=True,
                             text=True).stdout.split()[-1]
    ours = installed("env-ours", str(ROOT), force=True)
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # what pip's build leaves
    return ours, installed("env-check-jsonschema", f"check-jsonschema=={version}")


def bench_size(size: int, repeat: int) -> dict[str, float]:
    reg = Registry(size)
    print(f"  generated in {reg.generated:.1f} s", file=sys.stderr, flush=True)
    result: dict[str, float] = {"size": size, "cj_repeat": 1 if size >= CJ_ONCE_FROM else repeat}
    cj_all = reg.run(chunks(reg.cj, reg.rel), int(result["cj_repeat"]))
    result["cj_all"] = cj_all.seconds
    cold = reg.run([reg.ours], repeat, before=reg.empty_cache)
    result["cold"], result["cold_rss"] = cold.seconds, cold.rss
    reg.run([reg.ours])  # fill the cache
    warm = reg.run([reg.ours], repeat)
    result["warm"], result["warm_rss"] = warm.seconds, warm.rss
    one_file = max(repeat, ONE_FILE_REPEAT)
    one = reg.rel[len(reg.rel) // 2]
    reg.run([[*reg.ours, one]])  # the first run remembers it
    result["unchanged"] = reg.run([[*reg.ours, one]], one_file).seconds
    edited = reg.rel[len(reg.rel) // 3]
    hook, cj_one, floor, floor_yaml, floor_stat = [], [], [], [], []
    for run in range(one_file):  # side by side, each time
        edit_storage(reg.root / edited, run)
        hook.append(reg.run([[*reg.ours, edited]]))
        cj_one.append(reg.run([[*reg.cj, edited]]))
        floor.append(reg.run([[str(BIN / "python"), "-c", "pass"]]))
        floor_yaml.append(reg.run([[str(BIN / "python"), "-c", "import yaml"]]))
        floor_stat.append(reg.run([[str(BIN / "python"), "-c", STAT_EVERY_TEMPLATE]]))
    for key, runs in (("hook", hook), ("cj_one", cj_one), ("floor", floor),
                      ("floor_yaml", floor_yaml), ("floor_stat", floor_stat)):
        timing = combined(runs)
        result[key], result[f"{key}_cpu"], result[f"{key}_rss"] = timing
    reg.close()
    return result


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def report(rows: list[dict[str, float]]) -> str:
    """The figures, one row per size."""
    lines = [
        "| templates | check-jsonschema, all files | validate, cold cache | ratio | "
        "validate, warm cache | ratio | peak RSS (cold / warm / hook) | hook, edited file | "
        "check-jsonschema, that file | ratio | `python -c pass` | hook, unchanged file |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        once = "" if r["cj_repeat"] > 1 else " (1 run)"
        lines.append(
            f"| {int(r['size']):,} | {r['cj_all']:.2f} s{once} | {r['cold']:.2f} s | "
            f"{r['cj_all'] / r['cold']:.1f}x | {r['warm']:.2f} s | "
            f"{r['cj_all'] / r['warm']:.1f}x | {int(r['cold_rss'])} / {int(r['warm_rss'])} / "
            f"{int(r['hook_rss'])} MiB | {_ms(r['hook'])} | {_ms(r['cj_one'])} | "
            f"{r['cj_one'] / r['hook']:.2f}x | {_ms(r['floor'])} | {_ms(r['unchanged'])} |")
    return "\n".join(lines)


def floor_report(rows: list[dict[str, float]]) -> str:
    """What bounds the hook from below, timed beside it: starting Python, importing PyYAML
    (the hook parses the edited file), and finding and stat-ing every template."""
    lines = ["| templates | hook, edited file | `python -c pass` | `python -c 'import yaml'` | "
             "python, stat every template |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {int(r['size']):,} | {_ms(r['hook'])} | {_ms(r['floor'])} | "
                     f"{_ms(r['floor_yaml'])} | {_ms(r['floor_stat'])} |")
    return "\n".join(lines)


def cpu_report(rows: list[dict[str, float]]) -> str:
    """The edited-file case in CPU time (user + system): on a machine shared with other
    work, waiting for a core inflates the wall clock, not this."""
    lines = ["| templates | hook, edited file, CPU | check-jsonschema, that file, CPU | ratio | "
             "`python -c pass`, CPU |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {int(r['size']):,} | {_ms(r['hook_cpu'])} | {_ms(r['cj_one_cpu'])} | "
                     f"{r['cj_one_cpu'] / r['hook_cpu']:.2f}x | {_ms(r['floor_cpu'])} |")
    return "\n".join(lines)


GROWTH = (("validate, cold cache", "cold"), ("validate, warm cache", "warm"),
          ("hook, edited file", "hook"), ("hook, unchanged file", "unchanged"),
          ("check-jsonschema, all files", "cj_all"), ("peak RSS, cold", "cold_rss"))


def growth(rows: list[dict[str, float]]) -> str:
    """How each figure grows from one size to the next (x10 templates: x10 is linear)."""
    if len(rows) < 2:
        return ""
    steps = list(itertools.pairwise(rows))
    head = " | ".join(f"{int(a['size']):,} -> {int(b['size']):,}" for a, b in steps)
    lines = [f"| growth | {head} |", "|---|" + "---|" * len(steps)]
    for name, key in GROWTH:
        cells = " | ".join(f"x{b[key] / a[key]:.1f}" if a[key] else "-" for a, b in steps)
        lines.append(f"| {name} | {cells} |")
    return "\n".join(lines)


def parse_importtime(stderr: str) -> list[tuple[str, int, int, int]]:
    """(module, depth, self us, cumulative us) of each line `python -X importtime` wrote."""
    found = []
    for line in stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            self_us, cumulative, indent, module = match.groups()
            found.append((module, (len(indent) - 1) // 2, int(self_us), int(cumulative)))
    return found


def importtime(size: int, runs: int = ONE_FILE_REPEAT, top: int = 15) -> str:
    """Where the hook's edited-file case spends its time at SIZE templates, by import."""
    reg = Registry(size)
    reg.run([reg.ours])  # fill the cache
    edited = reg.rel[len(reg.rel) // 3]
    script = str(BIN / "template-registry")
    walls: list[float] = []
    self_us: dict[str, list[int]] = defaultdict(list)
    cumulative: dict[str, list[int]] = defaultdict(list)
    totals: list[int] = []
    for run in range(runs):
        edit_storage(reg.root / edited, run)
        started = time.perf_counter()
        done = subprocess.run([str(BIN / "python"), "-X", "importtime", script, "validate",
                               edited],
                              cwd=reg.root, env=reg.env, capture_output=True, text=True)
        walls.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"validate exited {done.returncode}: {done.stdout}{done.stderr}")
        lines = parse_importtime(done.stderr)
        totals.append(sum(line[2] for line in lines))
        for module, _, own, cum in lines:
            self_us[module].append(own)
            cumulative[module].append(cum)
    reg.close()
    packages: dict[str, float] = defaultdict(float)
    for module, values in self_us.items():
        packages[module.split(".")[0]] += statistics.median(values)
    wall = statistics.median(walls) * 1000
    imports = statistics.median(totals) / 1000
    out = [f"hook, edited file, {size:,} templates, `python -X importtime` "
           f"(median of {runs} runs): {wall:.0f} ms in all, {imports:.0f} ms importing, "
           f"{wall - imports:.0f} ms not importing (interpreter start, reading the cache and "
           "the files, the rules, uniqueness, output)", "",
           "| package (self time of its modules) | ms |", "|---|---|"]
    for name, us in sorted(packages.items(), key=lambda item: -item[1])[:top]:
        out.append(f"| {name} | {us / 1000:.1f} |")
    for title, table in (("costliest imports (cumulative)", cumulative),
                         ("costliest modules (self)", self_us)):
        out += ["", f"| {title} | ms |", "|---|---|"]
        ranked = sorted(table.items(), key=lambda item: -statistics.median(item[1]))
        out += [f"| {module} | {statistics.median(values) / 1000:.1f} |"
                for module, values in ranked[:top]]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--importtime", type=int, metavar="SIZE",
                        help="profile the imports of the hook's edited-file case instead")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    global BIN, CJ_BIN
    BIN, CJ_BIN = environments()
    header = (f"python {sys.version.split()[0]}, {os.cpu_count()} cores, "
              f"{resource.getpagesize()}-byte pages")
    if args.importtime:
        print(header)
        print(importtime(args.importtime))
        return 0
    rows = []
    for size in args.sizes:
        print(f"benchmarking {size:,} templates...", file=sys.stderr, flush=True)
        rows.append(bench_size(size, args.repeat))
    print(header)
    print(report(rows))
    print()
    print(cpu_report(rows))
    print()
    print(floor_report(rows))
    print()
    print(growth(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
