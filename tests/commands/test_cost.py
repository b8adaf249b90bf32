"""`template-registry cost` end to end: the real CLI on a real git repository."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import edit, git, init_repo, named

ROOT = Path(__file__).resolve().parents[2]
MISTRAL = (ROOT / "templates/genai/mistral-7b-streaming.yaml").read_text()
CPU = named("ner", "acct-cpu")  # cpus 2, 4Gi, 1-2 workers: an m6i.xlarge


def cost(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "registry", "cost", "--root", str(repo), *args],
                          capture_output=True, text=True, timeout=120)


def make_repo(path: Path, config: str = "") -> Path:
    init_repo(path)
    (path / "pyproject.toml").write_text(f"[tool.template-registry]\n{config}")
    (path / "templates").mkdir()
    (path / "templates/mistral.yaml").write_text(MISTRAL)
    (path / "templates/ner.yaml").write_text(CPU)
    git(path, "add", "-A")
    git(path, "commit", "-qm", "templates")
    return path


def test_text(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "templates/broken.yaml").write_text("name: [unclosed\n")
    done = cost(repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Monthly cost of the templates in the working tree",
        "ACCOUNT          NAME                             INSTANCE    WORKERS  FLOOR   CEILING"
        "  PATH",
        "acct-cpu         ner                              m6i.xlarge  1-2      $140    $280"
        "     templates/ner.yaml",
        "acct-genai-apps  mistral-7b-completion-streaming  g5.4xlarge  1-8      $1,186  $9,484"
        "   templates/mistral.yaml",
        "acct-cpu: $140 to $280 a month",
        "acct-genai-apps: $1,186 to $9,484 a month",
        "Total: $1,326 to $9,764 a month",
        "AWS on-demand, us-east-1, Linux prices, 730 hours a month: the floor at each "
        "template's min_workers, the ceiling at max_workers. A deployment may set its own "
        "worker counts, so real cost is set per deployment.",
    ]
    assert done.stderr == ("template-registry: templates/broken.yaml: not listed, it does not "
                           "load (run validate)\n")


def test_json_from_a_commit_with_overrides(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", '[tool.template-registry.prices]\n"g5.4xlarge" = false\n'
                                        '"m6i.xlarge" = 0.1\n')
    (repo / "templates/ner.yaml").write_text(edit(CPU, "max_workers: 2", "max_workers: 9"))
    done = cost(repo, "--ref", "HEAD", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["ref"], data["unreadable"]) == ("HEAD", [])
    assert [(t["name"], t["instance"], t["hourly"], t["max_workers"], t["ceiling"])
            for t in data["templates"]] == [
        ("ner", "m6i.xlarge", 0.1, 2, 146.0),  # the commit's 2 workers, not the tree's 9
        ("mistral-7b-completion-streaming", "g5.8xlarge", 2.448, 8, 14296.32)]
    assert data["accounts"] == {"acct-cpu": {"floor": 73.0, "ceiling": 146.0, "unpriced": 0},
                                "acct-genai-apps": {"floor": 1787.04, "ceiling": 14296.32,
                                                    "unpriced": 0}}
    assert data["total"] == {"floor": 1860.04, "ceiling": 14442.32, "unpriced": 0}


def test_markdown_says_no_price(tmp_path: Path) -> None:
    every_g5 = "".join(f'"g5.{size}" = false\n' for size in (
        "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge", "12xlarge", "24xlarge",
        "48xlarge"))
    repo = make_repo(tmp_path / "repo", f"[tool.template-registry.prices]\n{every_g5}")
    done = cost(repo, "--format", "markdown")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "### Monthly cost of the templates in the working tree"
    assert lines[4:] == [
        "| account | name | instance | workers | floor | ceiling |",
        "|---|---|---|---|---|---|",
        "| <code>acct-cpu</code> | <code>ner</code> | <code>m6i.xlarge</code> | 1-2 | &#36;140 "
        "| &#36;280 |",
        "| <code>acct-genai-apps</code> | <code>mistral-7b-completion-streaming</code> | "
        "no&#32;price&#58;&#32;no&#32;nvidia-ampere-a10&#32;instance&#32;in&#32;the&#32;price"
        "&#32;table | - | no price | no price |",
        "",
        "| account | floor | ceiling | without a price |",
        "|---|---|---|---|",
        "| <code>acct-cpu</code> | &#36;140 | &#36;280 | 0 |",
        "| <code>acct-genai-apps</code> | &#36;0 | &#36;0 | 1 |",
        "| **total** | &#36;140 | &#36;280 | 1 |",
    ]


def test_a_bad_price_override_is_a_configuration_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", '[tool.template-registry.prices]\n"g5.4xlarg" = 1.2\n')
    done = cost(repo)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"template-registry: {repo.resolve() / 'pyproject.toml'} "
                           "[tool.template-registry]: prices: unknown instance 'g5.4xlarg'; "
                           "did you mean 'g5.4xlarge'?\n")
