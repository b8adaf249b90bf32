"""registry/github.py through its command line (`python -m registry.github`) against a
local stand-in of GitHub's REST API: the plan comment (create, update in place, split,
shrink back, duplicates, forks, read-only tokens) and the drift issue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from registry.github import DRIFT_MARKER, MAX_BODY, PLAN_MARKER, drift_body, part_of, split_body
from tests.github_standin import REPOSITORY, GitHubStandIn

PR = 7
COMMENTS = f"/repos/{REPOSITORY}/issues/{PR}/comments"


def event(tmp_path: Path, *, fork: bool = False) -> Path:
    head = "someone/registry" if fork else REPOSITORY
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"pull_request": {
        "number": PR, "head": {"repo": {"full_name": head}},
        "base": {"repo": {"full_name": REPOSITORY}}}}))
    return path


def run(github: GitHubStandIn, tmp_path: Path, plan: str, *args: str, token: str | None = None,
        fork: bool = False, command: str = "comment") -> subprocess.CompletedProcess[str]:
    plan_file = tmp_path / "plan.md"
    plan_file.write_text(plan, encoding="utf-8")
    env = {**os.environ, "GITHUB_API_URL": github.url, "GITHUB_REPOSITORY": REPOSITORY,
           "GITHUB_TOKEN": github.token if token is None else token,
           "GITHUB_EVENT_PATH": str(event(tmp_path, fork=fork)),
           "GITHUB_SERVER_URL": "https://github.test", "GITHUB_RUN_ID": "42"}
    return subprocess.run([sys.executable, "-m", "registry.github", command, "--plan-file",
                           str(plan_file), *args], env=env, capture_output=True, text=True,
                          timeout=60)


def parts_of(github: GitHubStandIn) -> list[tuple[int, str]]:
    """(id, body) of the plan comments, oldest first."""
    return [(c["id"], c["body"]) for c in github.comments_on(PR)
            if part_of(c["body"], PLAN_MARKER) is not None]


def text_of(bodies: list[str]) -> str:
    """The plan the parts hold, without their headers."""
    out = []
    for body in bodies:
        lines = body.split("\n")
        skip = 4 if lines[2].startswith("*Part ") else 2
        out.append("\n".join(lines[skip:]))
    return "".join(out)


def big_plan(lines: int) -> str:
    return "".join(f"| + | create | <code>acct</code> | <code>model-{i:05d}</code> | "
                   f"<code>templates/acct/model-{i:05d}.yaml</code> | |\n"
                   for i in range(lines))


def test_one_comment_created_then_updated_in_place(tmp_path: Path) -> None:
    with GitHubStandIn() as github:
        github.add_pull_request(PR)
        github.add_comment(PR, "Looks good to me")
        first = run(github, tmp_path, "### Plan: 1 to create\n")
        assert first.returncode == 0, first.stderr
        ((ident, body),) = parts_of(github)
        assert body == f"{PLAN_MARKER}\n<!-- part 1/1 -->\n### Plan: 1 to create\n"
        assert first.stdout == (f"Plan comment on pull request #{PR}: 1 created. "
                                f"https://github.test/{REPOSITORY}/pull/{PR}"
                                f"#issuecomment-{ident}\n")

        second = run(github, tmp_path, "### Plan: 2 to create\n")
        assert second.returncode == 0, second.stderr
        assert parts_of(github) == [(ident, f"{PLAN_MARKER}\n<!-- part 1/1 -->\n"
                                            "### Plan: 2 to create\n")]
        assert second.stdout.startswith(f"Plan comment on pull request #{PR}: 1 updated "
                                        "in place. ")
        third = run(github, tmp_path, "### Plan: 2 to create\n")
        assert third.stdout.startswith(f"Plan comment on pull request #{PR}: 1 unchanged. ")
        assert github.writes() == [("POST", COMMENTS),
                                   ("PATCH", f"/repos/{REPOSITORY}/issues/comments/{ident}")]
        assert github.comments_on(PR)[0]["body"] == "Looks good to me"
        assert github.token not in first.stdout + second.stdout + third.stdout


def test_a_long_plan_is_split_then_shrinks_back(tmp_path: Path) -> None:
    plan = big_plan(1500)  # about 180,000 characters: three comments
    assert len(plan) > 2 * MAX_BODY
    with GitHubStandIn() as github:
        github.add_pull_request(PR)
        done = run(github, tmp_path, plan)
        assert done.returncode == 0, done.stderr
        parts = parts_of(github)
        assert len(parts) == 3 and all(len(body) <= MAX_BODY for _, body in parts)
        assert [body.split("\n")[1:3] for _, body in parts] == [
            ["<!-- part 1/3 -->", "*Part 1 of 3.*"], ["<!-- part 2/3 -->", "*Part 2 of 3.*"],
            ["<!-- part 3/3 -->", "*Part 3 of 3.*"]]
        assert text_of([body for _, body in parts]) == plan  # cut at line breaks only
        assert all(body.endswith("|\n") for _, body in parts)

        longer = run(github, tmp_path, big_plan(2000))  # four parts: three updated, one new
        assert longer.stdout.startswith(f"Plan comment on pull request #{PR}: 1 created, "
                                        "3 updated in place. ")
        four = parts_of(github)
        assert [i for i, _ in four[:3]] == [i for i, _ in parts]

        short = run(github, tmp_path, "### Plan: 1 to create\n")
        assert short.returncode == 0, short.stderr
        assert short.stdout.startswith(f"Plan comment on pull request #{PR}: 1 updated in "
                                       "place, 3 deleted. ")
        assert parts_of(github) == [(parts[0][0], f"{PLAN_MARKER}\n<!-- part 1/1 -->\n"
                                                  "### Plan: 1 to create\n")]
        deletes = [path for method, path in github.writes() if method == "DELETE"]
        assert deletes == [f"/repos/{REPOSITORY}/issues/comments/{i}" for i, _ in four[1:]]


def test_comments_are_found_past_the_first_page_and_duplicates_removed(tmp_path: Path) -> None:
    with GitHubStandIn() as github:
        github.add_pull_request(PR)
        for n in range(150):
            github.add_comment(PR, f"comment {n}")
        older = github.add_comment(PR, f"{PLAN_MARKER}\n<!-- part 1/1 -->\nold plan\n")
        twin = github.add_comment(PR, f"{PLAN_MARKER}\n<!-- part 1/1 -->\nold plan\n")
        quoted = github.add_comment(PR, f"> {PLAN_MARKER}\nquoting the bot")
        done = run(github, tmp_path, "new plan\n")
        assert done.returncode == 0, done.stderr
        assert parts_of(github) == [(older, f"{PLAN_MARKER}\n<!-- part 1/1 -->\nnew plan\n")]
        assert github.writes() == [
            ("PATCH", f"/repos/{REPOSITORY}/issues/comments/{older}"),
            ("DELETE", f"/repos/{REPOSITORY}/issues/comments/{twin}")]
        assert quoted in github.comments
        pages = [r for r in github.requests if r.method == "GET"]
        assert len(pages) == 2  # 153 comments: a full page of 100, then 53


@pytest.mark.parametrize(("fork", "token", "said"), [
    (True, None, "Plan comment skipped: a pull request from a fork gets a read-only token. "
                 "The plan is in this job summary.\n"),
    (False, "", "Plan comment skipped: no token in this run. The plan is in this job "
                "summary.\n"),
])
def test_forks_and_runs_without_token_post_nothing(tmp_path: Path, fork: bool,
                                                   token: str | None, said: str) -> None:
    with GitHubStandIn() as github:
        github.add_pull_request(PR)
        done = run(github, tmp_path, "plan\n", token=token, fork=fork)
        assert (done.returncode, done.stdout, done.stderr) == (0, said, "")
        assert github.requests == []


def test_a_read_only_token_is_told_not_failed(tmp_path: Path) -> None:
    with GitHubStandIn() as github:
        github.add_pull_request(PR)
        done = run(github, tmp_path, "plan\n", token=github.read_only_token)
        assert done.returncode == 0, done.stderr
        assert done.stdout == ("Plan comment skipped: the token may not write comments (a "
                               "fork's token is read-only; otherwise give the job "
                               "`pull-requests: write`). The plan is in this job summary.\n")
        assert github.writes() == [("POST", COMMENTS)]


def test_other_failures_are_one_message_without_the_token(tmp_path: Path) -> None:
    with GitHubStandIn() as github:  # pull request 7 does not exist: 404
        done = run(github, tmp_path, "plan\n")
        assert (done.returncode, done.stdout) == (1, "")
        assert done.stderr == (f"template-registry: GitHub answered 404 to GET {COMMENTS}: "
                               "Not Found\n")
        bad = run(github, tmp_path, "plan\n", token="wrong")
        assert bad.stderr == (f"template-registry: GitHub answered 401 to GET {COMMENTS}: "
                              "Bad credentials\n")
        odd = run(github, tmp_path, "plan\n", token="gh token\u00e9-secret")
        assert (odd.returncode, odd.stderr) == (
            2, "template-registry: GITHUB_TOKEN contains spaces or invalid characters\n")
        assert len(github.requests) == 2  # the two calls above; none with the odd token


def test_split_body_cuts_a_line_too_long_and_counts_bytes() -> None:
    text = "é" * 100 + "\n" + "x" * 10 + "\n"
    parts = split_body(text, "<!--m-->", limit=120)
    assert all(len(p.encode()) <= 120 for p in parts)
    assert text_of(parts) == text
    assert split_body("", "<!--m-->") == ["<!--m-->\n<!-- part 1/1 -->\n"]
    assert part_of("<!--m-->\n<!-- part 2/3 -->\n*Part 2 of 3.*\n\nx", "<!--m-->") == 2
    assert part_of("<!--m-->\nno part line", "<!--m-->") == 1
    assert part_of("text <!--m-->\n", "<!--m-->") is None


def test_drift_opens_one_issue_updates_it_and_closes_it(tmp_path: Path) -> None:
    with GitHubStandIn() as github:
        github.add_pull_request(1)  # pull requests are issues: never taken for the drift one
        opened = run(github, tmp_path, "### Plan: 1 to create\n", "--exit-code", "2",
                     command="drift")
        assert (opened.returncode, opened.stderr) == (0, "")
        assert opened.stdout == ("Drift: opened issue #2. "
                                 f"https://github.test/{REPOSITORY}/issues/2\n")
        issue = github.issues[2]
        assert (issue["title"], issue["state"]) == ("Model templates: the API differs from git",
                                                    "open")
        assert issue["body"].startswith(DRIFT_MARKER + "\nThe model-templates API no longer")
        assert issue["body"].endswith("### Plan: 1 to create\n\n\nChecked by "
                                      f"https://github.test/{REPOSITORY}/actions/runs/42\n")

        same = run(github, tmp_path, "### Plan: 1 to create\n", "--exit-code", "2",
                   command="drift")
        assert same.stdout == "Drift: issue #2 already shows this plan.\n"
        changed = run(github, tmp_path, "### Plan: 2 to create\n", "--exit-code", "2",
                      command="drift")
        assert changed.stdout == "Drift: updated issue #2.\n"
        assert "### Plan: 2 to create" in github.issues[2]["body"]
        assert sorted(github.issues) == [1, 2]

        closed = run(github, tmp_path, "### No changes\n", "--exit-code", "0", command="drift")
        assert closed.stdout == "No drift: closed issue #2.\n"
        assert (github.issues[2]["state"], github.issues[2]["state_reason"]) == ("closed",
                                                                                 "completed")
        assert [c["body"] for c in github.comments_on(2)] == [
            f"The API holds the templates of git again (https://github.test/{REPOSITORY}/"
            "actions/runs/42). Closing."]
        again = run(github, tmp_path, "### No changes\n", "--exit-code", "0", command="drift")
        assert again.stdout == "No drift: the API holds the templates of git.\n"
        refused = run(github, tmp_path, "x\n", "--exit-code", "1", command="drift")
        assert (refused.returncode, refused.stderr) == (
            2, "template-registry: --exit-code must be 0 (no changes) or 2 (changes), not 1\n")
        assert github.writes() == [("POST", f"/repos/{REPOSITORY}/issues"),
                                   ("PATCH", f"/repos/{REPOSITORY}/issues/2"),
                                   ("POST", f"/repos/{REPOSITORY}/issues/2/comments"),
                                   ("PATCH", f"/repos/{REPOSITORY}/issues/2")]


def test_a_drift_issue_holds_at_most_the_limit() -> None:
    plan = big_plan(1000)
    body = drift_body(plan, "https://github.test/run/1")
    assert len(body.encode()) <= MAX_BODY < len(plan)
    assert body.endswith("|\n\n(The plan is cut here: it is longer than an issue can hold. The "
                         "whole plan is in the run's job summary.)\n\nChecked by "
                         "https://github.test/run/1\n")


STAGING = "<!-- template-registry-plan env=staging -->"
PRODUCTION = "<!-- template-registry-plan env=production -->"


def test_each_environment_has_its_own_comment(tmp_path: Path) -> None:
    with GitHubStandIn() as github:
        github.add_pull_request(PR)
        staging = run(github, tmp_path, "staging plan 1\n", "--env", "staging")
        production = run(github, tmp_path, "production plan 1\n", "--env", "production")
        plain = run(github, tmp_path, "plan without environments\n")
        assert [d.returncode for d in (staging, production, plain)] == [0, 0, 0]
        first = [c["id"] for c in github.comments_on(PR)]
        assert staging.stdout == (f"Plan comment for staging on pull request #{PR}: 1 created. "
                                  f"https://github.test/{REPOSITORY}/pull/{PR}"
                                  f"#issuecomment-{first[0]}\n")
        assert production.stdout.startswith(f"Plan comment for production on pull request "
                                            f"#{PR}: 1 created. ")
        again = run(github, tmp_path, "staging plan 2\n", "--env", "staging")
        assert again.stdout.startswith(f"Plan comment for staging on pull request #{PR}: 1 "
                                       "updated in place. ")
        assert [(c["id"], c["body"]) for c in github.comments_on(PR)] == [
            (first[0], f"{STAGING}\n<!-- part 1/1 -->\nstaging plan 2\n"),
            (first[1], f"{PRODUCTION}\n<!-- part 1/1 -->\nproduction plan 1\n"),
            (first[2], f"{PLAN_MARKER}\n<!-- part 1/1 -->\nplan without environments\n")]
        assert [part_of(c["body"], STAGING) for c in github.comments_on(PR)] == [1, None, None]


def test_each_environment_has_its_own_drift_issue(tmp_path: Path) -> None:
    with GitHubStandIn() as github:
        opened = [run(github, tmp_path, f"### {env} plan\n", "--exit-code", "2", "--env", env,
                      command="drift") for env in ("staging", "production")]
        assert [d.stdout for d in opened] == [
            f"Drift in staging: opened issue #1. https://github.test/{REPOSITORY}/issues/1\n",
            f"Drift in production: opened issue #2. https://github.test/{REPOSITORY}/issues/2\n"]
        assert [github.issues[n]["title"] for n in (1, 2)] == [
            "Model templates: the staging API differs from git",
            "Model templates: the production API differs from git"]
        assert github.issues[1]["body"].startswith(
            "<!-- template-registry-drift env=staging -->\nThe model-templates API of staging "
            "no longer holds exactly the templates of git")
        same = run(github, tmp_path, "### staging plan\n", "--exit-code", "2", "--env",
                   "staging", command="drift")
        assert same.stdout == "Drift in staging: issue #1 already shows this plan.\n"
        plain = run(github, tmp_path, "x\n", "--exit-code", "0", command="drift")
        assert plain.stdout == "No drift: the API holds the templates of git.\n"
        closed = run(github, tmp_path, "x\n", "--exit-code", "0", "--env", "production",
                     command="drift")
        assert closed.stdout == "No drift in production: closed issue #2.\n"
        assert [c["body"] for c in github.comments_on(2)] == [
            f"The API of production holds the templates of git again (https://github.test/"
            f"{REPOSITORY}/actions/runs/42). Closing."]
        assert [github.issues[n]["state"] for n in (1, 2)] == ["open", "closed"]
        quiet = run(github, tmp_path, "x\n", "--exit-code", "0", "--env", "production",
                    command="drift")
        assert quiet.stdout == "No drift in production: the API holds the templates of git.\n"


@pytest.mark.parametrize("command", ["comment", "drift"])
def test_an_environment_name_that_could_break_the_marker_is_refused(tmp_path: Path,
                                                                   command: str) -> None:
    with GitHubStandIn() as github:
        github.add_pull_request(PR)
        extra = ["--exit-code", "2"] if command == "drift" else []
        done = run(github, tmp_path, "plan\n", "--env", "a -->\x1b", *extra, command=command)
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr == ("template-registry: --env a -->\\x1b: not an environment name "
                               "(letters, digits, '.', '_', '-')\n")
        assert github.requests == []
