"""import end to end: the real CLI, real git repositories, the real local server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from registry.commands.import_ import (
    IGNORE_REASON,
    NotWritten,
    Outcome,
    Remote,
    _header_line,
    _remotes,
    file_slug,
    header,
    import_command,
    select,
    with_ignore_comments,
)
from registry.loader import load_document
from registry.yamlout import create_fields
from tests.commands.test_sync import cli, make_repo
from tests.helpers import git
from tests.live_server import LiveServer, running_server, template_body

KEY = "key-DO-NOT-PRINT-import-77e1"
HEADER = re.compile(r"# Imported by template-registry import from http://127\.0\.0\.1:\d+ on "
                    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(account (\S+), id ([0-9a-f]{32})\)")


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    """One server for the module: every test uses accounts of its own."""
    with running_server(api_key=KEY) as live:
        yield live


def create(server: LiveServer, body: dict[str, Any]) -> dict[str, Any]:
    with server.client() as client:
        answer = client.post("/v4/model-templates", json=body)
    assert answer.status_code == 200, answer.text
    created: dict[str, Any] = answer.json()
    return created


def run_json(server: LiveServer, repo: Path, *args: str) -> dict[str, Any]:
    done = cli(server, repo, "import", "--format", "json", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def body_of(path: Path) -> dict[str, Any]:
    loaded = load_document(path.read_bytes(), str(path))
    assert loaded.findings == []
    assert loaded.document is not None
    return loaded.document.data


def yaml_files(repo: Path) -> list[str]:
    return sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*.yaml"))


# Every value YAML would misread, or that needs care, somewhere in the 40 templates.
NAMES = [
    "1.10", "yes", "on", "off", "y", "null", "~", "2024-01-31", "0x1F", "0o17", "1_000", "1:20",
    ".inf", "- a", "#x", "a: b", "a #b", " lead", "trail ", "*x", "&x", "!x", "%x", "@x", "`x",
    "'", '"', "{x}", "[x]", "|", ">", "?", "-", "multi\nline\n", "Name With Spaces",
    "Capitals.And.Dots/and/slashes", "ünïcødé 😀 שלום مرحبا", "ctl \x01 \x1b \x7f \x85",
    "sep \u2028 \ufeff end", "tab\there",
]
VALUES = [
    "1.10", "yes", "on", "off", "y", "null", "~", "", "2024-01-31", "0x1F", "0o17", "1_000",
    "1:20", ".inf", "- a", "#x", "a: b", "a #b", " lead", "trail ", "*x", "&x", "!x", "%x",
    "@x", "`x", "'", '"', "{x}", "[x]", "|", ">", "?", "-", "two\nlines\n", "no final\nbreak",
    "  indented\n    lines\n", "\ttab", "😀 שלום", "\x01\x1b\x7f\x85\u2028\ufeff",
]


def tricky_body(index: int) -> dict[str, Any]:
    account = "acct-a" if index % 2 == 0 else "acct-b"
    value = VALUES[index]
    tag = value if value.strip() else "1.0.0"  # an empty tag is an error (rightly)
    description = value if value.strip() else "Most tokens."
    return template_body(NAMES[index], account, vendor_configuration={
        "vendor": "LAUNCH",
        "bundle_config": {
            "registry": "registry.example.com", "image": "models/echo", "tag": tag,
            "command": ["python", "-m", "server", value, "--port", "5005"],
            "env": {"MODE": value, "HASH": "a #b", "COLON": "x: y", "EMPTY": "",
                    value or "BLANK": "key"},
            "readiness_initial_delay_seconds": index,
            "healthcheck_route": "/healthz", "predict_route": "/predict",
        },
        "endpoint_config": {"cpus": 2, "memory": "4Gi", "storage": "10Gi", "min_workers": 1,
                            "max_workers": 2, "per_worker": 4, "high_priority": index % 3 == 0},
    }, model_request_parameters_schema={"parameters": [
        {"name": "max_tokens", "type": "int", "description": description, "required": False},
    ]})


@pytest.mark.parametrize("accounts_table", [False, True])
def test_import_forty_templates_then_plan_has_no_changes(tmp_path: Path, server: LiveServer,
                                                         accounts_table: bool) -> None:
    suffix = "-table" if accounts_table else ""
    bodies = []
    for index in range(40):
        body = tricky_body(index)
        body["account_id"] += suffix
        bodies.append(body)
    ids = {create(server, body)["id"]: body for body in bodies}
    pyproject = "[tool.template-registry]\n"
    if accounts_table:
        pyproject += ('[tool.template-registry.accounts]\n"acct-a-table" = ["templates/team-a/**"]'
                      '\n"acct-b-table" = ["templates/b/models/*.yaml", "templates/other/**"]\n')
    repo = make_repo(tmp_path / "repo", {"pyproject.toml": pyproject})
    args = () if accounts_table else ("--account", "acct-a", "--account", "acct-b")

    result = run_json(server, repo, *args)

    folders = {"acct-a": "templates/acct-a", "acct-b": "templates/acct-b",
               "acct-a-table": "templates/team-a", "acct-b-table": "templates/b/models"}
    written = result["written"]
    assert len(written) == 40
    assert sorted(w["id"] for w in written) == sorted(ids)
    assert yaml_files(repo) == sorted(w["path"] for w in written)
    assert (result["skipped"], result["duplicates"], result["failed"]) == ([], [], [])
    for entry in written:
        body = ids[entry["id"]]
        assert (entry["account_id"], entry["name"]) == (body["account_id"], body["name"])
        assert entry["path"].rsplit("/", 1)[0] == folders[body["account_id"]]
        path = repo / entry["path"]
        match = HEADER.fullmatch(path.read_text(encoding="utf-8").split("\n", 1)[0])
        assert match is not None and match.groups() == (body["account_id"], entry["id"])
        assert body_of(path) == create_fields(body)
    # The only findings are the ones these templates really have (none).
    assert result["findings"] == []
    checked = cli(server, repo, "validate", "--format", "json")
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout) == {"files": 40, "findings": []}

    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "import hand-made templates")
    plan = cli(server, repo, "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert plan.stdout.splitlines()[-1] == "Plan: 0 to create, 0 to replace, 0 to delete."

    again = run_json(server, repo, *args)
    assert again["written"] == []
    assert sorted(s["reason"] for s in again["skipped"]) == sorted(
        f"already defined in {w['path']}" for w in written)


def test_colliding_file_names_get_suffixes_and_no_file_is_overwritten(
        tmp_path: Path, server: LiveServer) -> None:
    mine = template_body("mine", "acct-names")
    existing = json.dumps(mine) + "\n"  # JSON is YAML: an existing, valid template file
    repo = make_repo(tmp_path / "repo", {"templates/acct-names/my-model.yaml": existing,
                                         "templates/acct-names/my-model-3.yaml": existing
                                         .replace('"mine"', '"mine too"')})
    created = [create(server, template_body(name, "acct-names"))
               for name in ("My Model", "my--model", "My/Model")]

    result = run_json(server, repo, "--account", "acct-names")

    assert [(w["path"], w["name"]) for w in result["written"]] == [
        ("templates/acct-names/my-model-2.yaml", "My Model"),
        ("templates/acct-names/my-model-4.yaml", "My/Model"),
        ("templates/acct-names/my-model-5.yaml", "my--model"),
    ]
    assert (repo / "templates/acct-names/my-model.yaml").read_text() == existing
    assert [w["id"] for w in result["written"]] == [created[0]["id"], created[2]["id"],
                                                    created[1]["id"]]


def test_a_file_made_after_the_check_is_not_overwritten(tmp_path: Path, server: LiveServer,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    create(server, template_body("race", "acct-race"))
    repo = make_repo(tmp_path / "repo", {})
    target = repo / "templates/acct-race/race.yaml"
    target.parent.mkdir(parents=True)
    target.write_text("made meanwhile\n")
    monkeypatch.setenv("SGP_API_KEY", server.api_key)
    monkeypatch.setenv("SGP_CLIENT_BASE_URL", server.url)
    # As if another process made the file between the check and the write.
    monkeypatch.setattr(os.path, "lexists", lambda path: False)

    assert import_command(["acct-race"], root=str(repo)) == 0

    assert target.read_text() == "made meanwhile\n"
    assert capsys.readouterr().out.startswith("wrote templates/acct-race/race-2.yaml ")
    assert body_of(repo / "templates/acct-race/race-2.yaml")["name"] == "race"


def test_file_slug() -> None:
    assert file_slug("My Model") == "my-model"
    assert file_slug("  v1.2_final--RC  ") == "v1.2_final-rc"
    assert file_slug("../../etc/passwd") == "etc-passwd"
    assert file_slug(".hidden") == "hidden"
    assert file_slug("-.-x-.-") == "x"
    assert file_slug("שלום 😀") == "template"
    assert file_slug("") == "template"
    assert file_slug("a\nb\x00c") == "a-b-c"
    assert file_slug("x" * 300) == "x" * 100


def test_name_glob_dry_run_and_json(tmp_path: Path, server: LiveServer) -> None:
    for name in ("chat-a", "chat-b", "embed-a"):
        create(server, template_body(name, "acct-glob"))
    repo = make_repo(tmp_path / "repo", {})

    dry = cli(server, repo, "import", "--account", "acct-glob", "--name", "chat-*", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert yaml_files(repo) == []
    lines = dry.stdout.splitlines()
    assert lines[0].startswith("would write templates/acct-glob/chat-a.yaml (acct-glob "
                               "'chat-a', id ")
    assert HEADER.fullmatch(lines[1].removeprefix("  | "))
    assert lines[2:4] == ["  | name: chat-a", "  | account_id: acct-glob"]
    assert lines[-1] == ("Import: 2 to write, 0 skipped, 0 duplicate(s), 0 failed; 0 "
                         "finding(s). Dry run: nothing was written.")
    planned = run_json(server, repo, "--account", "acct-glob", "--name", "chat-*", "--dry-run")
    assert yaml_files(repo) == []
    assert planned["dry_run"] is True

    done = run_json(server, repo, "--account", "acct-glob", "--name", "chat-*")

    assert yaml_files(repo) == ["templates/acct-glob/chat-a.yaml",
                                "templates/acct-glob/chat-b.yaml"]
    assert [sorted(w) for w in done["written"]] == [["account_id", "id", "name", "path"]] * 2
    assert [(w["path"], w["name"]) for w in done["written"]] == [
        ("templates/acct-glob/chat-a.yaml", "chat-a"), ("templates/acct-glob/chat-b.yaml",
                                                        "chat-b")]
    for before, after in zip(planned["written"], done["written"], strict=True):
        assert {k: v for k, v in before.items() if k != "content"} == after
        content = (repo / after["path"]).read_text(encoding="utf-8")
        assert content.split("\n", 1)[1] == before["content"].split("\n", 1)[1]


def test_duplicates_import_the_oldest_and_report_the_others(tmp_path: Path,
                                                            server: LiveServer) -> None:
    copies = [create(server, template_body("dup", "acct-dup", vendor_configuration={
        "bundle_config": {"registry": "registry.example.com", "image": "models/echo",
                          "tag": tag}})) for tag in ("1.0.0", "2.0.0", "3.0.0")]
    repo = make_repo(tmp_path / "repo", {})

    result = run_json(server, repo, "--account", "acct-dup")

    assert [(w["path"], w["id"]) for w in result["written"]] == [
        ("templates/acct-dup/dup.yaml", copies[0]["id"])]
    assert body_of(repo / "templates/acct-dup/dup.yaml")["vendor_configuration"][
        "bundle_config"]["tag"] == "1.0.0"
    assert result["duplicates"] == [
        {"account_id": "acct-dup", "name": "dup", "id": copy["id"],
         "imported_id": copies[0]["id"]} for copy in copies[1:]]
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "import")
    plan = cli(server, repo, "plan", "--format", "json")
    actions = json.loads(plan.stdout)["actions"]
    assert [(a["kind"], a["kept_id"], sorted(a["remote_ids"])) for a in actions] == [
        ("dedupe", copies[0]["id"], sorted(c["id"] for c in copies[1:]))]


def test_oldest_by_created_at_then_id_and_odd_listings_are_skipped() -> None:
    items = [
        {"name": "n", "account_id": "a", "id": "b", "created_at": "2024-01-01T00:00:00+00:00"},
        {"name": "n", "account_id": "a", "id": "a", "created_at": "2024-01-01T00:00:00Z"},
        {"name": "n", "account_id": "a", "id": "0", "created_at": "not a date"},
        {"name": "n", "account_id": "a", "id": "c", "created_at": "2023-12-31T23:00:00-02:00"},
        {"name": "n", "account_id": "a", "id": "d", "created_at": "2023-12-31T23:30:00"},
        {"name": None, "account_id": "a", "id": "x"},
        {"name": "m", "account_id": "other", "id": "y"},
    ]
    outcome = Outcome()
    chosen = select(_remotes("a", items, outcome), {}, outcome)
    assert [r.id for r in chosen] == ["d"]
    assert [(d.id, d.imported_id) for d in outcome.duplicates] == [
        ("a", "d"), ("b", "d"), ("c", "d"), ("0", "d")]
    assert outcome.skipped == [
        NotWritten("a", "None", "x", "the API gave it no name (name is None)"),
        NotWritten("a", "m", "y", "the API listed it for account 'a', but its account_id is "
                                  "'other'"),
    ]


def test_templates_defined_in_the_working_tree_are_skipped(tmp_path: Path,
                                                           server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", {})
    # Not committed: import compares with the working tree, and takes its accounts from it.
    (repo / "templates").mkdir()
    (repo / "templates/one.yaml").write_text(json.dumps(template_body("Model One", "acct-wt")))
    same = create(server, template_body("Model One", "acct-wt"))
    case = create(server, template_body(" MODEL one", "acct-wt"))
    first = create(server, template_body("Case", "acct-wt"))
    second = create(server, template_body("case", "acct-wt"))

    result = run_json(server, repo)

    assert [(w["path"], w["name"]) for w in result["written"]] == [
        ("templates/acct-wt/case.yaml", "Case")]
    assert result["skipped"] == [
        {"account_id": "acct-wt", "name": "Model One", "id": same["id"],
         "reason": "already defined in templates/one.yaml"},
        {"account_id": "acct-wt", "name": " MODEL one", "id": case["id"],
         "reason": "its name differs only in case or spaces from 'Model One' in "
                   "templates/one.yaml; validate allows one of them in an account"},
        {"account_id": "acct-wt", "name": "case", "id": second["id"],
         "reason": f"its name differs only in case or spaces from 'Case' (id {first['id']}), "
                   "which is imported; validate allows one of them in an account"},
    ]
    text = cli(server, repo, "import")
    assert text.returncode == 0
    assert text.stdout.splitlines()[0] == (
        f"skipped acct-wt 'Model One' (id {same['id']}): already defined in templates/one.yaml")


BREAKS_RULES = """\
name: breaks-rules
account_id: acct-rules
endpoint_type: SYNC
model_type: GENERIC
vendor_configuration:
  bundle_config:
    registry: registry.example.com
    image: models/echo
    tag: latest
  endpoint_config:
    cpus: 2
    memory: 4Gi
    min_workers: 0
    max_workers: 2
    endpoint_type: SYNC
"""
TAG_MESSAGE = ("tag 'latest' moves: the image behind this template can change without a change "
               "in git; pin a version (e.g. '1.4.2') or a digest")


def test_live_template_that_breaks_rules_is_written_as_live(tmp_path: Path,
                                                            server: LiveServer) -> None:
    body = template_body("breaks-rules", "acct-rules", vendor_configuration={
        "bundle_config": {"registry": "registry.example.com", "image": "models/echo",
                          "tag": "latest"},
        "endpoint_config": {"cpus": 2, "memory": "4Gi", "min_workers": 0, "max_workers": 2,
                            "endpoint_type": "SYNC"}})
    create(server, body)
    repo = make_repo(tmp_path / "repo", {})

    result = run_json(server, repo, "--account", "acct-rules")

    path = repo / "templates/acct-rules/breaks-rules.yaml"
    assert path.read_text().split("\n", 1)[1] == BREAKS_RULES
    rel = "templates/acct-rules/breaks-rules.yaml"
    assert result["findings"] == [
        {"path": rel, "line": 10, "column": 10, "severity": "warning", "rule": "image-tag",
         "message": TAG_MESSAGE},
        {"path": rel, "line": 14, "column": 18, "severity": "error", "rule": "launch-resources",
         "message": "min_workers 0 is allowed only for ASYNC endpoints (this one is SYNC) "
                    "unless the Launch cluster scales HTTP endpoints from zero; set it to 1 or "
                    "more"},
    ]
    checked = cli(server, repo, "validate", "--format", "json")
    assert checked.returncode == 1
    assert json.loads(checked.stdout)["findings"] == result["findings"]

    path.unlink()
    ignored = run_json(server, repo, "--account", "acct-rules", "--ignore-findings")

    lines = path.read_text().split("\n")
    assert lines[9:13] == [
        f"    # template-registry: ignore[image-tag] {IGNORE_REASON}",
        "    tag: latest",
        "  endpoint_config:",
        "    cpus: 2",
    ]
    assert lines[14:16] == [
        f"    # template-registry: ignore[launch-resources] {IGNORE_REASON}",
        "    min_workers: 0",
    ]
    assert body_of(path) == create_fields(body)
    assert [(f["line"], f["rule"]) for f in ignored["findings"]] == [
        (11, "image-tag"), (16, "launch-resources")]
    # The ignores are honoured: validate passes today, the findings wait in the file.
    passing = cli(server, repo, "validate", "--format", "json")
    assert passing.returncode == 0, passing.stdout
    assert json.loads(passing.stdout)["findings"] == []


def test_ignore_comments_one_per_line_and_rule_indented_like_the_line() -> None:
    text = "a: 1\nb:\n  - c: x\n  - d\n"
    rows = [(3, 5, "error", "r1", "m"), (3, 8, "error", "r1", "m2"),
            (3, 5, "warning", "r2", "m"), (1, 1, "error", "r3", "m")]
    assert with_ignore_comments(text, rows) == ((
        f"# template-registry: ignore[r3] {IGNORE_REASON}\n"
        "a: 1\n"
        "b:\n"
        f"  # template-registry: ignore[r1] {IGNORE_REASON}\n"
        f"  # template-registry: ignore[r2] {IGNORE_REASON}\n"
        "  - c: x\n"
        "  - d\n"), [(6, 5, "error", "r1", "m"), (6, 8, "error", "r1", "m2"),
                     (6, 5, "warning", "r2", "m"), (2, 1, "error", "r3", "m")])


def test_hostile_values_cannot_inject_lines_into_the_header() -> None:
    first = _header_line("https://user:secret@api.example.com/v1\u2028\x85evil\r\n?token=x#f",
                         datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    remote = Remote("acct\n# injected: true", "name", "0a1b\u2028\x85\x1b[2Jid",
                    datetime(2026, 1, 1, tzinfo=UTC), {})
    line = header(first, remote)
    assert line == (
        "# Imported by template-registry import from https://api.example.com/v1\\u2028\\x85"
        "evil on 2026-11-27T10:00:00Z (account acct\\x0a# injected: true, id "
        "0a1b\\u2028\\x85\\x1b[2Jid)\n")
    assert "secret" not in line and "token" not in line
    loaded = load_document((line + "name: x\n").encode(), "t.yaml")
    assert loaded.document is not None and loaded.document.data == {"name": "x"}


def test_hostile_names_stay_on_one_line_and_in_the_file(tmp_path: Path,
                                                        server: LiveServer) -> None:
    name = "evil\n# injected: true\r\x1b[31m\u2028../../x"
    made = create(server, template_body(name, "acct-evil"))
    repo = make_repo(tmp_path / "repo", {})

    done = cli(server, repo, "import", "--account", "acct-evil")

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "wrote templates/acct-evil/evil-injected-true-31m-..-..-x.yaml (acct-evil "
        f"'evil\\n# injected: true\\r\\x1b[31m\\u2028../../x', id {made['id']})",
        "Import: 1 written, 0 skipped, 0 duplicate(s), 0 failed; 0 finding(s).",
    ]
    path = repo / "templates/acct-evil/evil-injected-true-31m-..-..-x.yaml"
    first, second = path.read_text().split("\n")[:2]
    assert HEADER.fullmatch(first)
    assert second == 'name: "evil\\n# injected: true\\r\\u001b[31m\\u2028../../x"'
    assert body_of(path)["name"] == name


def test_an_account_that_cannot_be_a_folder_fails_with_exit_1(tmp_path: Path,
                                                               server: LiveServer) -> None:
    create(server, template_body("escape", "../escape"))
    repo = make_repo(tmp_path / "repo", {})

    done = cli(server, repo, "import", "--account", "../escape", "--format", "json")

    assert done.returncode == 1
    failed = json.loads(done.stdout)["failed"]
    assert [(f["name"], f["reason"]) for f in failed] == [
        ("escape", "its folder templates/../escape is not inside the templates folder "
                   "templates, where validate and plan read templates")]
    assert yaml_files(tmp_path) == []


def test_usage_errors_exit_2(tmp_path: Path, server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", {})
    nothing = cli(server, repo, "import")
    assert nothing.returncode == 2
    assert nothing.stderr == (
        "template-registry: no account to import from: pass --account ID, list the accounts "
        "in [tool.template-registry.accounts], or add a template of the account\n")
    env = {k: v for k, v in os.environ.items() if k != "SGP_API_KEY"}
    no_key = subprocess.run([sys.executable, "-m", "registry", "import", "--account", "a",
                             "--root", str(repo)], env={**env, "SGP_CLIENT_BASE_URL": server.url},
                            capture_output=True, text=True, timeout=60)
    assert no_key.returncode == 2
    assert no_key.stderr == ("template-registry: no API key: set the environment variable "
                             "SGP_API_KEY\n")
    (repo / "pyproject.toml").write_text(
        '[tool.template-registry.accounts]\n"acct-1" = ["templates/one/**"]\n')
    outside = cli(server, repo, "import", "--account", "acct-2")
    assert outside.returncode == 2
    assert outside.stderr == (
        "template-registry: account 'acct-2' is not in [tool.template-registry.accounts]; add "
        "it with its folder first, or validate would refuse its files\n")
    wrong = cli(server, repo, "import", "--account", "acct-1", key="wrong-key")
    assert wrong.returncode == 2
    assert "the API key was refused (401)" in wrong.stderr
    assert KEY not in wrong.stdout + wrong.stderr
