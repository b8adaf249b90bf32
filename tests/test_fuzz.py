"""Seeded fuzzing of `validate`: no input raises, hangs, balloons, or misplaces a finding.

Mutants of the example templates (byte flips, deletions, duplicated lines, YAML special
characters, tags, huge numbers, deep nesting, non-ASCII text, bytes that are not UTF-8)
plus every input that once crashed, hung or ballooned go through the content rules in
process; a sample of them, and the worst inputs one by one, through the real CLI.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from registry.checks import check_content
from registry.results import Row

ROOT = Path(__file__).resolve().parents[1]
SEED = 20240611
MUTANTS = 300
SECONDS = 5.0  # of CPU per input, in process: the slowest (100k unknown keys) takes 1.5 s
EXAMPLES = [p.read_bytes() for p in sorted((ROOT / "templates").rglob("*.yaml"))]
BASE = (ROOT / "templates" / "genai" / "mistral-7b-streaming.yaml").read_bytes()

SPECIAL = [b":", b": ", b"- ", b"? ", b"[", b"]", b"{", b"}", b",", b"#", b"&a ", b"*a", b"|",
           b">-", b"'", b'"', b"\t", b"\\", b"%YAML 1.1\n", b"---\n", b"...\n", b"<<: ", b"=",
           b"\x00", b"\x07", b"\x1b", b"\n", b"\r\n", b"  "]
TAGS = [b"!!int ", b"!!float ", b"!!bool ", b"!!null ", b"!!str ", b"!!timestamp ",
        b"!!binary ", b"!!map ", b"!!seq ", b"!!set ", b"!custom ", b"! ",
        b"!<tag:yaml.org,2002:int> ", b"!!python/object:os.system "]
NUMBERS = [b"1" * 5000, b"-" + b"9" * 4400, b"0x" + b"f" * 5000, b"0b" + b"1" * 3000,
           b"0" + b"7" * 4000, b"1:" * 3000 + b"1", b"1:" * 300 + b"1.5", b"1e99999999",
           b"1" * 400 + b".5e-999", b"1_" * 2000 + b"1", b"2001-02-30", b"2001-13-01",
           b"1:30", b"190:20:30", b"yes", b"off", b"~", b".inf", b"-.NaN", b"0o17", b"1.10",
           b"2024-01-31", b"2001-12-14t21:59:43.10-05:00", b"99999999999999999999"]
NESTING = [b"[" * 40, b"{a: " * 40, b"- " * 40, b"[" * 1200 + b"]" * 1200, b"{" * 50]
TEXT = ["é", "日本語", "💥", "\u2028", "\u2029", "\x85", "\r", "\ufeff", "\u00a0", "\u200b"]
INVALID = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf"]


def _insert(raw: bytes, rng: random.Random, piece: bytes) -> bytes:
    at = rng.randrange(len(raw) + 1)
    return raw[:at] + piece + raw[at:]


def _replace_value(raw: bytes, rng: random.Random, piece: bytes) -> bytes:
    """PIECE instead of the value of one `key: value` line."""
    lines = raw.split(b"\n")
    candidates = [i for i, line in enumerate(lines) if b": " in line]
    if not candidates:
        return _insert(raw, rng, piece)
    index = rng.choice(candidates)
    key = lines[index].split(b": ", 1)[0]
    lines[index] = key + b": " + piece
    return b"\n".join(lines)


def mutate(raw: bytes, rng: random.Random) -> bytes:
    """RAW with one to four random edits."""
    for _ in range(rng.randint(1, 4)):
        operator = rng.randrange(10)
        if operator == 0 and raw:  # flip one bit
            at = rng.randrange(len(raw))
            raw = raw[:at] + bytes([raw[at] ^ (1 << rng.randrange(8))]) + raw[at + 1:]
        elif operator == 1 and raw:  # delete a few bytes
            at = rng.randrange(len(raw))
            raw = raw[:at] + raw[at + rng.randint(1, 20):]
        elif operator == 2:  # duplicate a line, maybe indented differently
            lines = raw.split(b"\n")
            index = rng.randrange(len(lines))
            copy = lines[index] if rng.random() < 0.5 else b"  " + lines[index]
            lines.insert(index + rng.randint(0, 1), copy)
            raw = b"\n".join(lines)
        elif operator == 3:
            raw = _insert(raw, rng, rng.choice(SPECIAL))
        elif operator == 4:
            raw = _replace_value(raw, rng, rng.choice(TAGS) + rng.choice([b"1", b"x", b"", b"no"]))
        elif operator == 5:
            raw = _replace_value(raw, rng, rng.choice(NUMBERS))
        elif operator == 6:
            raw = _replace_value(raw, rng, rng.choice(NESTING))
        elif operator == 7:
            raw = _insert(raw, rng, rng.choice(TEXT).encode())
        elif operator == 8:
            raw = _insert(raw, rng, rng.choice(INVALID))
        else:  # a key the model does not know, or the same key twice
            raw = _insert(raw, rng, rng.choice([b"\nextra: 1\n", b"\nname: again\n",
                                                b"\n  ? [a]\n  : 1\n", b"\n{[a]: 1}\n"]))
    return raw


def _mutants() -> list[bytes]:
    rng = random.Random(SEED)
    return [mutate(rng.choice(EXAMPLES), rng) for _ in range(MUTANTS)]


def _unknown_keys(count: int) -> bytes:
    return "".join(f"k{i}: 1\n" for i in range(count)).encode()


def _with(old: bytes, new: bytes) -> bytes:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


# Every input that once gave a traceback, took seconds or ballooned, by name.
LISTED: dict[str, bytes] = {
    "bool-maybe": b"a: !!bool maybe\n",
    "int-empty": b"a: !!int\n",
    "int-empty-quoted": b'a: !!int ""\n',
    "base60-float-overflow": b"a: " + b"1:" * 300 + b"1.5\n",
    "huge-hex-endpoint-type": _with(b"\nendpoint_type: STREAMING",
                                    b"\nendpoint_type: 0x" + b"f" * 5000),
    "huge-gpus": _with(b"    gpus: 1\n", b"    gpus: " + b"9" * 5000 + b"\n"),
    "huge-cpus": _with(b"    cpus: 8\n", b"    cpus: " + b"9" * 5000 + b"\n"),
    "huge-max-workers": _with(b"    max_workers: 8\n", b"    max_workers: " + b"9" * 5000 + b"\n"),
    "base60-400k": b"a: " + b"1:" * 200_000 + b"1\n",
    "base60-1m": b"a: " + b"1:" * 520_000 + b"1\n",
    "invalid-date": _with(b"name: mistral-7b-completion-streaming", b"name: 2001-02-30"),
    "5000-digits": _with(b"name: mistral-7b-completion-streaming", b"name: " + b"1" * 5000),
    "100k-unknown-keys": _unknown_keys(100_000),
    "control-after-multibyte": b"# \xc3\xa9\xc3\xa9\na\n\x01\n",
    "value-after-multibyte": _with(b"    image: text-generation-inference\n",
                                   "    image: text-generation-inference\n"
                                   "    env: {É: 1.5}\n".encode()),
    "list-as-key": b"? [a]\n: 1\n",
    "flow-list-as-key": b"{[a]: 1}\n",
    "quantity-overflow": _with(b"    memory: 48Gi\n", b"    memory: 1e99999999\n"),
    "secret-scan-of-a-long-value": _with(b"    image: text-generation-inference\n",
                                         b"    image: text-generation-inference\n"
                                         b"    env: {API_KEY: eyJ" + b"a-" * 300_000
                                         + b" AKIAIOSFODNN7EXAMPLE}\n"),
}
# The inputs that cost the most memory, each checked in its own CLI process; the last one
# (a million YAML events, 2 s of CPU) only there.
WORST = {name: LISTED[name] for name in ("100k-unknown-keys", "base60-1m")} | {
    "500k-duplicate-keys": b"{" + b"a," * 500_000 + b"}\n"}
PEAK_MIB = 500


def assert_sane(raw: bytes) -> list[Row]:
    """Check RAW in process: no exception, quick, and every finding inside the file."""
    started = time.process_time()  # CPU time: other processes on the machine do not count
    rows = check_content(raw, "f.yaml").rows
    assert time.process_time() - started < SECONDS
    assert_inside(raw, rows)
    return rows


def assert_inside(raw: bytes, rows: list[Row]) -> None:
    """Each finding's line and column exist in RAW (lines end at LF, columns count characters)."""
    lines = raw.decode("utf-8", "replace").removeprefix("\ufeff").split("\n")
    for line, column, _, _, message in rows:
        assert 1 <= line <= len(lines), (line, column, message)
        assert 1 <= column <= len(lines[line - 1]) + 1, (line, column, message)
        assert len(message) <= 1000, message[:100]


@pytest.fixture(scope="module")
def mutants() -> list[bytes]:
    return _mutants()


@pytest.mark.parametrize("index", range(MUTANTS), ids=lambda i: f"mutant-{i:03d}")
def test_mutant(index: int, mutants: list[bytes]) -> None:
    assert_sane(mutants[index])


@pytest.mark.parametrize("name", LISTED)
def test_listed_input(name: str) -> None:
    rows = assert_sane(LISTED[name])
    assert any(row[2] == "error" for row in rows), rows


def run_cli(root: Path, *files: Path) -> tuple[int, str, str, int]:
    """(exit code, stdout, stderr, peak RSS in MiB) of `validate FILES` in its own process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "registry", "validate", *map(str, files), "--root", str(root),
             "--no-cache", "--format", "json"], stdout=out, stderr=err, cwd=root)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (process.returncode, out.read().decode(), err.read().decode(),
                usage.ru_maxrss // 1024)


def write(root: Path, files: dict[str, bytes]) -> list[Path]:
    (root / "templates").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.template-registry]\n")
    paths = []
    for name, raw in files.items():
        path = root / "templates" / f"{name}.yaml"
        path.write_bytes(raw)
        paths.append(path)
    return paths


def test_cli_on_the_listed_inputs_and_a_sample_of_mutants(tmp_path: Path,
                                                          mutants: list[bytes]) -> None:
    # One process for all of them (the worst ones get their own, below): any traceback
    # would end it, so a clean exit with a report of every file covers each input.
    files = {name: raw for name, raw in LISTED.items() if name not in WORST}
    files |= {f"mutant-{i:03d}": mutants[i] for i in range(0, MUTANTS, 25)}
    paths = write(tmp_path, files)
    code, out, err, _ = run_cli(tmp_path, *paths)
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert report["files"] == len(files)
    by_file: dict[str, list[Row]] = {}
    for f in report["findings"]:
        by_file.setdefault(f["path"], []).append(
            (f["line"], f["column"], f["severity"], f["rule"], f["message"]))
    for name, raw in files.items():
        rows = by_file.get(f"templates/{name}.yaml", [])
        assert rows or name.startswith("mutant-"), name
        assert_inside(raw, rows)


@pytest.mark.parametrize("name", WORST)
def test_cli_memory_on_the_worst_inputs(tmp_path: Path, name: str) -> None:
    [path] = write(tmp_path, {name: WORST[name]})
    code, out, err, peak = run_cli(tmp_path, path)
    assert (code, err) == (1, "")
    assert peak < PEAK_MIB
    findings = json.loads(out)["findings"]
    assert 1 <= len(findings) <= 51  # capped: the first 50 and one counting the rest
    assert_inside(WORST[name], [(f["line"], f["column"], f["severity"], f["rule"],
                                  f["message"]) for f in findings])
