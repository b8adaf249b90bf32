"""Hostile names, ids, values and file names, end to end: the real CLI, server and git.

Templates are planted on the server over HTTP (in an account the repository manages) and
files with hostile names are committed; every output of plan, sync and validate is then
checked: no raw control character, no line that starts a workflow command (but the
deliberate annotations of `validate --format github`), markdown that only our own tags
and table pipes structure, JSON that gives back every string exactly, and no credential.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.commands.test_sync import KEY, cli, commit, make_repo, remote_state, write
from tests.helpers import edit, named
from tests.live_server import LiveServer, running_server, template_body

NAMES = ["x\n::error::pwned", "a\x1b[2Jb", "</details><img src=x onerror=alert(1)>",
         "a|b\r\nc", "tick`tick", "\u202egnp.exe"]
VALUE = "</details>|`v\x1b[2J\r\n::error::v\u202e"
FILES = {"templates/::error::x.yaml": named("good", "acct-1"),
         "templates/nl\n::error::y.yaml": named("nl", "acct-1"),
         "templates/esc\x1b[2J.yaml": named("esc", "acct-1"),
         "templates/\u202egnp.yaml": named("bidi", "acct-1")}
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
COMMAND = re.compile(r"^\s*(::|##\[)")
ANNOTATION = re.compile(r"::(error|warning) file=[^:,]*,line=\d+,col=\d+,title=[a-z-]+::.*")


@pytest.fixture
def server() -> Iterator[LiveServer]:
    with running_server(api_key=KEY) as live:
        yield live


def plant(server: LiveServer) -> None:
    """The hostile templates, made by hand on the server: deleted by --prune, and a
    `good` whose values differ from its file's (a replacement showing them)."""
    good = template_body("good", "acct-1")
    good["vendor_configuration"]["bundle_config"].update(env={"MODE": VALUE},
                                                         command=["serve", VALUE])
    with server.client() as client:
        for body in [template_body(name, "acct-1") for name in NAMES] + [good]:
            client.post("/v4/model-templates", json=body).raise_for_status()


def assert_safe(text: str, *, annotations: int = 0) -> None:
    """No raw control character; no command line, but ANNOTATIONS escaped ones."""
    assert UNSAFE.search(text) is None, text
    commands = [line for line in text.split("\n") if COMMAND.match(line)]
    assert len(commands) == annotations, commands
    assert all(ANNOTATION.fullmatch(line) for line in commands), commands


def assert_markdown_safe(text: str) -> None:
    """Only our own tags; every table row has its header's cells; no backtick at all."""
    assert_safe(text)
    assert re.search(r"[<>]", re.sub(r"</?(?:code|details|summary)>", "", text)) is None
    assert "`" not in text
    widths = []
    for line in text.split("\n"):
        if not line.startswith("|"):
            widths = []
            continue
        widths.append(line.count("|"))
        assert widths[-1] == widths[0], line
    assert "&#60;/details&#62;&#60;img" in text  # the value is shown, encoded


def run(server: LiveServer, repo: Path, *args: str) -> tuple[str, str]:
    done = cli(server, repo, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, done.stderr


def test_plan_and_sync_output_is_safe(tmp_path: Path, server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", FILES)
    plant(server)

    text, err = run(server, repo, "plan", "--prune", "--adopt")
    assert_safe(text + err)
    assert "  - delete  acct-1/x\\n::error::pwned id " in text
    assert "  + create  acct-1/nl (templates/nl\\n::error::y.yaml)" in text
    assert ("      vendor_configuration.bundle_config.env.MODE: "
            '"</details>|`v\\u001b[2J\\r\\n::error::v\\u202e" -> (absent)') in text.split("\n")

    markdown, err = run(server, repo, "plan", "--prune", "--adopt", "--format", "markdown")
    assert_safe(err)
    assert_markdown_safe(markdown)

    plan_json, err = run(server, repo, "plan", "--prune", "--adopt", "--format", "json")
    assert_safe(plan_json + err)
    actions = json.loads(plan_json)["actions"]
    assert sorted(a["name"] for a in actions if a["kind"] == "delete") == sorted(NAMES)
    assert sorted(a["path"] for a in actions if a["kind"] == "create") == sorted(
        p for p in FILES if p != "templates/::error::x.yaml")
    (replace,) = [a for a in actions if a["kind"] == "replace"]
    changes = {c["field"]: c["before"] for c in replace["changes"]}
    assert changes["vendor_configuration.bundle_config.env.MODE"] == VALUE
    assert changes["vendor_configuration.bundle_config.command"] == ["serve", VALUE]

    out, err = run(server, repo, "sync", "--prune", "--adopt", "--report",
                   str(tmp_path / "text.json"))
    assert_safe(out + err)
    assert "ok     - delete  acct-1/a|b\\r\\nc id " in out
    assert out.split("\n")[-2] == "Sync: 10 applied, 0 failed."
    report = (tmp_path / "text.json").read_text()
    assert_safe(report)
    outcomes = json.loads(report)["outcomes"]
    assert sorted(o["action"]["name"] for o in outcomes if o["action"]["kind"] == "delete") == (
        sorted(NAMES))

    plant(server)
    out, err = run(server, repo, "sync", "--prune", "--adopt", "--format", "json",
                   "--report", str(tmp_path / "json.json"))
    assert_safe(out + err)
    assert json.loads(out) == json.loads((tmp_path / "json.json").read_text())
    names = sorted(o["action"]["name"] for o in json.loads(out)["outcomes"])
    assert names == sorted([*NAMES, "good"])  # the planted good is a duplicate now: dedupe
    assert sorted(t["name"] for t in remote_state(server)) == ["bidi", "esc", "good", "nl"]


def test_validate_and_error_output_is_safe(tmp_path: Path, server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", FILES)
    bad = f"{json.dumps(VALUE)}: 1\n"
    write(repo, {"::error::bad.yaml": named("bad1", "acct-1") + bad,
                 "templates/::warning::bad.yaml": named("bad2", "acct-1") + bad})
    paths = [str(repo / "::error::bad.yaml"), str(repo / "templates/::warning::bad.yaml"),
             *(str(repo / p) for p in FILES)]

    text = cli(server, repo, "validate", *paths)
    assert text.returncode == 1
    assert_safe(text.stdout + text.stderr)
    assert text.stdout.startswith("\\x3a:error::bad.yaml:21:1: error schema: unknown field "
                                  "'</details>|`v\\\\x1b[2J\\\\r\\\\n::error::v\\\\u202e'")
    github = cli(server, repo, "validate", "--format", "github", *paths)
    assert github.returncode == 1
    assert_safe(github.stdout + github.stderr, annotations=2)
    assert github.stdout.startswith("::error file=%3A%3Aerror%3A%3Abad.yaml,line=21,col=1,"
                                    "title=schema::unknown field '</details>")
    as_json = cli(server, repo, "validate", "--format", "json", *paths)
    assert_safe(as_json.stdout + as_json.stderr)
    findings = json.loads(as_json.stdout)["findings"]
    assert [f["path"] for f in findings] == ["::error::bad.yaml", "templates/::warning::bad.yaml"]
    assert findings[0]["message"].startswith(f"unknown field {VALUE!r}; allowed fields: name,")

    missing = cli(server, repo, "validate", "nl\n::error::gone.yaml")
    assert missing.returncode == 2
    assert_safe(missing.stdout + missing.stderr)
    assert missing.stderr == "template-registry: nl\\n::error::gone.yaml: no such file\n"

    commit(repo, "an invalid template with a hostile name")
    refused = cli(server, repo, "plan")
    assert refused.returncode == 2
    assert_safe(refused.stdout + refused.stderr)
    assert "\ntemplates/::warning::bad.yaml:21:1: error schema: unknown field" in refused.stderr


def test_credentials_never_shown(tmp_path: Path, server: LiveServer) -> None:
    token = "hf_" + "".join(secrets.choice(string.ascii_letters + string.digits)
                            for _ in range(34))
    env = '    env:\n      HF_TOKEN: "${HF_TOKEN}"\n      DB_PASSWORD: "hunter3"\n'
    text = edit(named("tok", "acct-1"), "    image: server\n", "    image: server\n" + env)
    repo = make_repo(tmp_path / "repo", {"templates/tok.yaml": text})
    old: dict[str, Any] = yaml.safe_load(text)
    old["vendor_configuration"]["bundle_config"]["env"] = {"HF_TOKEN": token,
                                                           "DB_PASSWORD": "hunter2"}
    with server.client() as client:
        client.post("/v4/model-templates", json=old).raise_for_status()

    plan_text, _ = run(server, repo, "plan", "--adopt")
    assert plan_text.split("\n")[1:4] == [
        "  ~ replace acct-1/tok (templates/tok.yaml) id " + remote_state(server)[0]["id"] +
        " (made by hand, adopted): changes vendor_configuration.bundle_config.env.DB_PASSWORD, "
        "vendor_configuration.bundle_config.env.HF_TOKEN",
        "      vendor_configuration.bundle_config.env.DB_PASSWORD: [REDACTED] -> "
        "[REDACTED] (changed)",
        '      vendor_configuration.bundle_config.env.HF_TOKEN: [REDACTED] -> "${HF_TOKEN}"',
    ]
    markdown, _ = run(server, repo, "plan", "--adopt", "--format", "markdown")
    assert ("| <code>vendor&#95;configuration.bundle&#95;config.env.HF&#95;TOKEN</code> | "
            "<code>&#91;REDACTED&#93;</code> | "
            "<code>&#34;&#36;&#123;HF&#95;TOKEN&#125;&#34;</code> |") in markdown.split("\n")
    plan_json, _ = run(server, repo, "plan", "--adopt", "--format", "json")
    assert json.loads(plan_json)["actions"][0]["changes"] == [
        {"field": "vendor_configuration.bundle_config.env.DB_PASSWORD", "before": "[REDACTED]",
         "after": "[REDACTED] (changed)"},
        {"field": "vendor_configuration.bundle_config.env.HF_TOKEN", "before": "[REDACTED]",
         "after": "${HF_TOKEN}"}]
    out, err = run(server, repo, "sync", "--adopt", "--report", str(tmp_path / "report.json"))
    report = (tmp_path / "report.json").read_text()
    assert json.loads(report)["plan"]["actions"][0]["changes"][1]["before"] == "[REDACTED]"
    everything = plan_text + markdown + plan_json + out + err + report
    for secret in (token, "hunter2", "hunter3"):
        assert secret not in everything
