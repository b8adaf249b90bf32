"""The plan as a pull-request comment, and the drift issue, through GitHub's REST API.

The action (action.yml) runs it after `plan --format markdown`:

    python -m registry.github comment --plan-file PLAN.md
    python -m registry.github drift --plan-file PLAN.md --exit-code N

Why it works the way it does:
- One comment per pull request, updated in place on every push, so a busy pull request
  does not collect a plan per push. It is found by a hidden marker on its first line,
  never by its author (the token may belong to a bot, an app or a person).
- GitHub refuses a body over 65,536 characters. A longer plan is split at line breaks
  into parts, each its own comment whose second line says which part it is; a run makes
  part i from part i's comment, creates the parts that are new and deletes the parts no
  longer needed, in that order, so the same plan always gives the same comments. Sizes
  are counted in UTF-8 bytes, which is never less than the characters GitHub counts.
- A pull request from a fork runs with a read-only token (or none): nothing is posted,
  and the line printed (for the job summary) says why. So does an answer 403.
- Drift: exit code 2 of `plan --detailed-exitcode` (the API differs from git) opens one
  issue, or updates the open one found by its marker; exit code 0 closes it with a
  comment. Any other code is the plan's own failure and touches nothing.
- Environments (`--env NAME`): each environment has its own comment and its own issue,
  their marker naming it (`<!-- template-registry-plan env=staging -->`), so the plans of
  staging and production on one pull request never overwrite each other.
- The token comes from GITHUB_TOKEN and goes only into the Authorization header; no
  message built here contains it. The API is GITHUB_API_URL (GitHub Enterprise), the
  repository GITHUB_REPOSITORY, the pull request GITHUB_EVENT_PATH's event.

This module speaks to GitHub only; registry/client.py stays the one module speaking to
the model-templates API.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry import __version__
from registry.errors import ApiError, ConfigError, RegistryError
from registry.extras import missing_extra
from registry.render.terminal import escape

if TYPE_CHECKING:
    import httpx

PLAN_MARKER = "<!-- template-registry-plan -->"
DRIFT_MARKER = "<!-- template-registry-drift -->"
# The environment names registry.config accepts: nothing that could end an HTML comment.
_ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_BODY = 65_536
PER_PAGE = 100
DRIFT_TITLE = "Model templates: the API differs from git"
DEFAULT_API_URL = "https://api.github.com"
_PART = re.compile(r"<!-- part (\d+)/(\d+) -->\n")
_MESSAGE_LIMIT = 300


# --- the REST calls --------------------------------------------------------------------


class GitHub:
    """The few REST calls this module makes, on one repository."""

    def __init__(self, api_url: str, repository: str, token: str, *,
                 timeout: float = 30.0) -> None:
        # Imported here, inside main's error handling: without the `sync` extra the user
        # reads the ConfigError that names it (registry.extras), not a traceback.
        try:
            import httpx
        except ModuleNotFoundError as exc:
            raise missing_extra("sync", exc) from None
        from registry.client import check_url_safe_for_key

        check_url_safe_for_key(api_url)
        self.repo = f"/repos/{repository}"
        self._http = httpx.Client(
            base_url=api_url.rstrip("/"), timeout=timeout,
            headers={"Authorization": f"Bearer {token}",
                     "Accept": "application/vnd.github+json",
                     "X-GitHub-Api-Version": "2022-11-28",
                     "User-Agent": f"template-registry/{__version__}"})

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             params: dict[str, Any] | None = None) -> Any:
        """One call; its JSON answer (None when empty); ApiError for any other status."""
        import httpx

        try:
            answer = self._http.request(method, path, json=body, params=params)
        except httpx.HTTPError as exc:
            raise ApiError(f"GitHub: {method} {path} failed: {type(exc).__name__}") from None
        if answer.status_code >= 300:
            raise ApiError(f"GitHub answered {answer.status_code} to {method} {path}: "
                           f"{_message(answer)}", status=answer.status_code)
        if not answer.content:
            return None
        try:
            return answer.json()
        except ValueError:
            raise ApiError(f"GitHub answered {method} {path} with no JSON") from None

    def paged(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a listing, page by page, until a page is not full."""
        page = 1
        while True:
            items = self.call("GET", path, params={**params, "per_page": PER_PAGE,
                                                   "page": page})
            if not isinstance(items, list):
                raise ApiError(f"GitHub answered GET {path} with no list")
            yield from (item for item in items if isinstance(item, dict))
            if len(items) < PER_PAGE:
                return
            page += 1


def _message(answer: httpx.Response) -> str:
    """GitHub's error message, escaped and cut short (it is untrusted text)."""
    try:
        message = str(answer.json().get("message", ""))
    except (ValueError, AttributeError):
        message = answer.text
    return escape(message[:_MESSAGE_LIMIT]) or "(no message)"


# --- bodies ----------------------------------------------------------------------------


def marker(base: str, env: str | None) -> str:
    """BASE (PLAN_MARKER or DRIFT_MARKER), naming environment ENV when there is one."""
    if env is None:
        return base
    if not _ENV_NAME.fullmatch(env):
        raise ConfigError(f"--env {env}: not an environment name (letters, digits, "
                          "'.', '_', '-')")
    return base.replace(" -->", f" env={env} -->")


def _in(env: str | None) -> str:
    """' in ENV' for the lines printed, '' without an environment."""
    return f" in {env}" if env is not None else ""


def size(text: str) -> int:
    """A body's size as counted against MAX_BODY: UTF-8 bytes (>= GitHub's characters)."""
    return len(text.encode("utf-8"))


def _header(marker: str, index: int, count: int) -> str:
    visible = f"*Part {index} of {count}.*\n\n" if count > 1 else ""
    return f"{marker}\n<!-- part {index}/{count} -->\n{visible}"


def split_body(text: str, marker: str, limit: int = MAX_BODY) -> list[str]:
    """TEXT as one or more bodies of at most LIMIT, each starting with MARKER and its
    part number; cut at line breaks, and inside a line only when one line is too long."""
    budget = limit - size(_header(marker, 10**6, 10**6))
    if budget <= 0:
        raise ValueError(f"a limit of {limit} leaves no room for text")
    chunks: list[str] = []
    current = ""
    for line in _pieces(text.splitlines(keepends=True), budget):
        if current and size(current) + size(line) > budget:
            chunks.append(current)
            current = ""
        current += line
    chunks.append(current)
    return [_header(marker, i, len(chunks)) + chunk for i, chunk in enumerate(chunks, 1)]


def _pieces(lines: list[str], budget: int) -> Iterator[str]:
    """The lines, a line longer than BUDGET bytes cut into pieces that fit."""
    for line in lines:
        while size(line) > budget:
            cut = len(line.encode("utf-8")[:budget].decode("utf-8", "ignore"))
            yield line[:cut]
            line = line[cut:]
        yield line


def part_of(body: str, marker: str) -> int | None:
    """The part number of a body this module wrote with MARKER, else None."""
    if not body.startswith(marker + "\n"):
        return None
    match = _PART.match(body, len(marker) + 1)
    return int(match.group(1)) if match else 1


# --- the pull-request comment ----------------------------------------------------------


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def __str__(self) -> str:
        done = [f"{n} {what}" for n, what in ((self.created, "created"),
                                              (self.updated, "updated in place"),
                                              (self.unchanged, "unchanged"),
                                              (self.deleted, "deleted")) if n]
        return ", ".join(done) or "nothing to do"


def post_plan(github: GitHub, number: int, plan: str, mark: str = PLAN_MARKER
              ) -> tuple[Tally, str]:
    """Make pull request NUMBER's plan comments (those starting with MARK) hold PLAN;
    (what was done, first URL)."""
    path = f"{github.repo}/issues/{number}/comments"
    mine: dict[int, list[dict[str, Any]]] = {}
    for comment in github.paged(path):
        index = part_of(str(comment.get("body") or ""), mark)
        if index is not None:
            mine.setdefault(index, []).append(comment)
    tally, first_url = Tally(), ""
    stale: list[dict[str, Any]] = []
    for index, body in enumerate(split_body(plan, mark), 1):
        found = sorted(mine.pop(index, []), key=_id)
        stale += found[1:]  # the same part twice (two runs at once): keep the oldest
        if not found:
            made = github.call("POST", path, {"body": body})
            tally.created += 1
        elif found[0].get("body") != body:
            made = github.call("PATCH", f"{github.repo}/issues/comments/{found[0]['id']}",
                               {"body": body})
            tally.updated += 1
        else:
            made = found[0]
            tally.unchanged += 1
        first_url = first_url or str(made.get("html_url", ""))
    stale += [comment for index in sorted(mine) for comment in sorted(mine[index], key=_id)]
    for comment in stale:  # duplicates, then the parts a shorter plan no longer needs
        github.call("DELETE", f"{github.repo}/issues/comments/{comment['id']}")
        tally.deleted += 1
    return tally, first_url


def _id(item: dict[str, Any]) -> int:
    value = item.get("id")
    return value if isinstance(value, int) else 0


def comment_command(plan_file: Path, number: int | None, env: str | None = None) -> str:
    """Post the plan (of environment ENV) on the run's pull request, or say why not; the
    line to print."""
    mark = marker(PLAN_MARKER, env)
    event = _event()
    pull = event.get("pull_request")
    if number is None and not isinstance(pull, dict):
        return "Plan comment skipped: this run is not for a pull request."
    if isinstance(pull, dict) and _from_fork(pull):
        return ("Plan comment skipped: a pull request from a fork gets a read-only token. "
                "The plan is in this job summary.")
    token = os.environ.get("GITHUB_TOKEN", "")
    if not token:
        return "Plan comment skipped: no token in this run. The plan is in this job summary."
    number = number if number is not None else _pull_number(pull)
    plan = _read(plan_file)
    github = _connect(token)
    try:
        tally, url = post_plan(github, number, plan, mark)
    except ApiError as exc:
        if exc.status == 403:
            return ("Plan comment skipped: the token may not write comments (a fork's token "
                    "is read-only; otherwise give the job `pull-requests: write`). The plan "
                    "is in this job summary.")
        raise
    finally:
        github.close()
    label = f"Plan comment for {env}" if env is not None else "Plan comment"
    return f"{label} on pull request #{number}: {tally}. {escape(url)}".rstrip()


def _from_fork(pull: dict[str, Any]) -> bool:
    head = (pull.get("head") or {}).get("repo") or {}
    base = (pull.get("base") or {}).get("repo") or {}
    return bool(head.get("full_name") != base.get("full_name"))


def _pull_number(pull: Any) -> int:
    number = pull.get("number") if isinstance(pull, dict) else None
    if not isinstance(number, int) or isinstance(number, bool):
        raise ConfigError("the event has no pull request number")
    return number


# --- the drift issue -------------------------------------------------------------------


def drift_title(env: str | None) -> str:
    return DRIFT_TITLE if env is None else DRIFT_TITLE.replace(" the API ", f" the {env} API ")


def drift_body(plan: str, run_url: str, limit: int = MAX_BODY, env: str | None = None) -> str:
    """The issue body: marker, what this is, the plan (cut at a line if too long)."""
    api = "model-templates API" if env is None else f"model-templates API of {env}"
    head = (f"{marker(DRIFT_MARKER, env)}\nThe {api} no longer holds exactly the templates "
            "of git: someone changed it outside git (the UI, a script), or a sync failed. "
            "The plan below is what `template-registry sync` would do to make the API equal "
            "git again; templates listed as not managed were made by hand and are left "
            "alone. This issue is updated by each check and closed when the API and git "
            "agree again.\n\n")
    tail = f"\n\nChecked by {run_url}\n" if run_url else "\n"
    if size(head + plan + tail) <= limit:
        return head + plan + tail
    note = ("\n\n(The plan is cut here: it is longer than an issue can hold. The whole plan "
            "is in the run's job summary.)")
    room = limit - size(head + note + tail)
    kept = ""
    for line in _pieces(plan.splitlines(keepends=True), room):
        if size(kept) + size(line) > room:
            break
        kept += line
    return head + kept.rstrip("\n") + note + tail


def report_drift(github: GitHub, exit_code: int, plan: str, run_url: str,
                 env: str | None = None) -> str:
    """Open, update or close the drift issue (of environment ENV) after a plan; the line
    to print."""
    if exit_code not in (0, 2):
        raise ConfigError(f"--exit-code must be 0 (no changes) or 2 (changes), not {exit_code}")
    issue = _open_drift_issue(github, marker(DRIFT_MARKER, env))
    drift, where = f"Drift{_in(env)}", _in(env)
    if exit_code == 2:
        body = drift_body(plan, run_url, env=env)
        if issue is None:
            made = github.call("POST", f"{github.repo}/issues",
                               {"title": drift_title(env), "body": body})
            return (f"{drift}: opened issue #{made.get('number')}. "
                    f"{escape(made.get('html_url', ''))}")
        if issue.get("body") != body:
            github.call("PATCH", f"{github.repo}/issues/{issue['number']}", {"body": body})
            return f"{drift}: updated issue #{issue['number']}."
        return f"{drift}: issue #{issue['number']} already shows this plan."
    if issue is None:
        return f"No drift{where}: the API holds the templates of git."
    checked = f" ({run_url})" if run_url else ""
    api = "The API" if env is None else f"The API of {env}"
    github.call("POST", f"{github.repo}/issues/{issue['number']}/comments",
                {"body": f"{api} holds the templates of git again{checked}. Closing."})
    github.call("PATCH", f"{github.repo}/issues/{issue['number']}",
                {"state": "closed", "state_reason": "completed"})
    return f"No drift{where}: closed issue #{issue['number']}."


def _open_drift_issue(github: GitHub, mark: str) -> dict[str, Any] | None:
    """The oldest open issue (not a pull request) whose body starts with MARK."""
    for issue in github.paged(f"{github.repo}/issues", state="open", direction="asc"):
        if "pull_request" not in issue and str(issue.get("body") or "").startswith(
                mark + "\n"):
            return issue
    return None


def drift_command(plan_file: Path, exit_code: int, env: str | None = None) -> str:
    token = os.environ.get("GITHUB_TOKEN", "")
    if not token:
        raise ConfigError("drift needs a token with `issues: write` in GITHUB_TOKEN")
    marker(DRIFT_MARKER, env)  # a bad name fails before any call
    plan = _read(plan_file)
    github = _connect(token)
    try:
        return report_drift(github, exit_code, plan, _run_url(), env)
    finally:
        github.close()


# --- the run's context -----------------------------------------------------------------


def _connect(token: str) -> GitHub:
    if any(not 0x21 <= ord(char) <= 0x7E for char in token):  # httpx would quote it
        raise ConfigError("GITHUB_TOKEN contains spaces or invalid characters")
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repository):
        raise ConfigError("GITHUB_REPOSITORY must be OWNER/NAME")
    api_url = os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    return GitHub(api_url, repository, token)


def _event() -> dict[str, Any]:
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the event file {path}: {type(exc).__name__}") from None
    return event if isinstance(event, dict) else {}


def _run_url() -> str:
    parts = [os.environ.get(name, "") for name in
             ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    return f"{parts[0]}/{parts[1]}/actions/runs/{parts[2]}" if all(parts) else ""


def _read(plan_file: Path) -> str:
    try:
        return plan_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the plan {plan_file}: {type(exc).__name__}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run `comment` or `drift`; errors become a message and an exit code (as cli.main)."""
    parser = argparse.ArgumentParser(prog="python -m registry.github")
    commands = parser.add_subparsers(dest="command", required=True)
    comment = commands.add_parser("comment", help="post the plan on the pull request")
    comment.add_argument("--plan-file", type=Path, required=True)
    comment.add_argument("--number", type=int, default=None,
                         help="the pull request (default: the event's)")
    comment.add_argument("--env", default=None, help="the environment the plan is of")
    drift = commands.add_parser("drift", help="open, update or close the drift issue")
    drift.add_argument("--plan-file", type=Path, required=True)
    drift.add_argument("--exit-code", type=int, required=True,
                       help="plan --detailed-exitcode's: 0 no changes, 2 changes")
    drift.add_argument("--env", default=None, help="the environment the plan is of")
    args = parser.parse_args(argv)
    try:
        line = (comment_command(args.plan_file, args.number, args.env)
                if args.command == "comment"
                else drift_command(args.plan_file, args.exit_code, args.env))
    except RegistryError as exc:
        print(f"template-registry: {escape(str(exc))}", file=sys.stderr)
        return int(exc.exit_code)
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
