"""`template-registry import`: write the templates made by hand (UI or API) into files.

Every team that adopts the registry already has live templates; this brings them into
git, as Terraform's `import` does, so that the next `plan` finds them equal to their
files instead of leaving them unmanaged. Each live template that no file of the working
tree defines (same account and name, compared as `validate`'s uniqueness rule compares)
is written as it is live, through registry.yamlout, into the folder `new` would use.
A file is never overwritten: files are opened with exclusive create.

Exit codes: 0 done (also when there was nothing to import); 1 a template could not be
written; usage, configuration and authentication problems raise registry.errors classes.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from registry.config import Config, load_config
from registry.errors import ConfigError
from registry.findings import Finding
from registry.results import Row

IGNORE_REASON = "imported from the API with this finding; fix it, then remove this comment"
MAX_SLUG = 100  # file names stay well under the 255-byte limit of common file systems
_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Remote:
    """One live template, as listed."""

    account_id: str
    name: str
    id: str
    created_at: datetime  # _NEVER when the API gave none: such templates sort last
    body: dict[str, Any] = field(repr=False, compare=False)

    @property
    def age(self) -> tuple[datetime, str]:
        return (self.created_at, self.id)


@dataclass(frozen=True)
class Written:
    path: str
    account_id: str
    name: str
    id: str
    content: str = field(repr=False)


@dataclass(frozen=True)
class NotWritten:
    """A live template left out (skipped) or that could not be written (failed), and why."""

    account_id: str
    name: str
    id: str
    reason: str


@dataclass(frozen=True)
class Duplicate:
    account_id: str
    name: str
    id: str
    imported_id: str


@dataclass
class Outcome:
    written: list[Written] = field(default_factory=list)
    skipped: list[NotWritten] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    failed: list[NotWritten] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def import_command(accounts: Sequence[str] = (), *, name_glob: str | None = None,
                   root: str | None = None, api_url: str | None = None, dry_run: bool = False,
                   fmt: str = "text", ignore_findings: bool = False,
                   now: datetime | None = None, env: str | None = None) -> int:
    """List the accounts, write what git lacks, print the outcome; 1 if a file failed.

    With ENV, the accounts are listed in that environment (its ids, URL and key), and the
    files are written with the files' account ids (the mapping reversed).
    """
    from registry.commands.plan import Options, connect
    from registry.environments import environment, map_account

    config = load_config(root)
    existing = _working_tree(config)
    chosen = _accounts(config, accounts, existing)
    target = environment(config, env) if env is not None else None
    with connect(config, Options(root=root, api_url=api_url, env=env)) as client:
        with ThreadPoolExecutor(max_workers=min(8, len(chosen))) as pool:
            listed = list(pool.map(client.list_templates,
                                   [map_account(a, target) if target else a for a in chosen]))
        source = client.base_url
    if target is not None:  # back to the files' account ids
        listed = [[{**item, "account_id": account} for item in items]
                  for account, items in zip(chosen, listed, strict=True)]
    outcome = Outcome()
    remotes = []
    for account, items in zip(chosen, listed, strict=True):
        remotes += _remotes(account, items, outcome)
    selected = [r for r in remotes if name_glob is None or fnmatchcase(r.name, name_glob)]
    header = _header_line(source, now or datetime.now(UTC))
    taken: set[Path] = set()
    for remote in select(selected, existing, outcome):
        _write(config, remote, header, taken, outcome, dry_run=dry_run,
               ignore_findings=ignore_findings)
    from registry.render.imports import render_import

    print(render_import(outcome, fmt, dry_run=dry_run))
    return 1 if outcome.failed else 0


# --- what to import --------------------------------------------------------------------


def _working_tree(config: Config) -> dict[tuple[str, str], tuple[str, str, str]]:
    """normal key -> (account, name, path) of the working tree's templates (first path)."""
    from registry.files import scan
    from registry.validation import check_files
    from validators.unique_name import normal_key

    found: dict[tuple[str, str], tuple[str, str, str]] = {}
    stats = scan(config.templates_dir, config.root)
    results = check_files(config.root, list(stats), settings=config.content,
                          stats=stats).all()
    for rel, result in sorted(results.items()):
        ident = result.identity
        if ident is not None:
            found.setdefault(normal_key(ident.account_id, ident.name),
                             (ident.account_id, ident.name, rel))
    return found


def _accounts(config: Config, given: Sequence[str],
              existing: dict[tuple[str, str], tuple[str, str, str]]) -> list[str]:
    """--account, else the accounts table, else the working tree's accounts."""
    if any(not account.strip() for account in given):
        raise ConfigError("--account needs a non-empty account ID")
    unknown = [account for account in given if config.accounts and account not in config.accounts]
    if unknown:
        raise ConfigError(f"account {unknown[0]!r} is not in [tool.template-registry.accounts]; "
                          "add it with its folder first, or validate would refuse its files")
    chosen = list(dict.fromkeys(given)) or list(config.accounts) or sorted(
        {account for account, _, _ in existing.values()})
    if not chosen:
        raise ConfigError("no account to import from: pass --account ID, list the accounts in "
                          "[tool.template-registry.accounts], or add a template of the account")
    return chosen


def _remotes(account: str, items: list[dict[str, Any]], outcome: Outcome) -> list[Remote]:
    """The listed templates of ACCOUNT that can be imported; the others reported skipped."""
    remotes = []
    for item in items:
        name, owner, ident = item.get("name"), item.get("account_id"), str(item.get("id", ""))
        if not isinstance(name, str):
            problem = f"the API gave it no name (name is {name!r})"
        elif owner != account:
            problem = f"the API listed it for account {account!r}, but its account_id is {owner!r}"
        else:
            remotes.append(Remote(account, name, ident, _created(item.get("created_at")), item))
            continue
        outcome.skipped.append(NotWritten(account, str(name), ident, problem))
    return remotes


def _created(value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else _NEVER
    except ValueError:
        return _NEVER
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def select(remotes: list[Remote], existing: dict[tuple[str, str], tuple[str, str, str]],
           outcome: Outcome) -> list[Remote]:
    """The remotes to write: per account and name the oldest, unless a file defines it.

    Younger copies are duplicates (the next sync dedupes them); a name equal to a file's
    or an imported one's but for case or spaces is skipped, since validate allows one.
    """
    from validators.unique_name import normal_key

    groups: dict[tuple[str, str], list[Remote]] = defaultdict(list)
    for remote in remotes:
        groups[(remote.account_id, remote.name)].append(remote)
    chosen: dict[tuple[str, str], Remote] = {}
    for group in sorted(groups.values(), key=lambda g: min(r.age for r in g)):
        group.sort(key=lambda r: r.age)
        oldest = group[0]
        key = normal_key(oldest.account_id, oldest.name)
        reason = _clash(oldest, existing.get(key), chosen.get(key))
        if reason:
            outcome.skipped += [NotWritten(r.account_id, r.name, r.id, reason) for r in group]
            continue
        chosen[key] = oldest
        outcome.duplicates += [Duplicate(r.account_id, r.name, r.id, oldest.id)
                               for r in group[1:]]
    return sorted(chosen.values(), key=lambda r: (r.account_id, r.name, r.id))


def _clash(remote: Remote, in_file: tuple[str, str, str] | None,
           imported: Remote | None) -> str:
    if in_file is not None:
        account, name, path = in_file
        if (account, name) == (remote.account_id, remote.name):
            return f"already defined in {path}"
        return (f"its name differs only in case or spaces from {name!r} in {path}; "
                "validate allows one of them in an account")
    if imported is not None:
        return (f"its name differs only in case or spaces from {imported.name!r} (id "
                f"{imported.id}), which is imported; validate allows one of them in an account")
    return ""


# --- where and what to write -----------------------------------------------------------


def file_slug(name: str) -> str:
    """A file name stem from a template name: lowercase `[a-z0-9._-]`, no leading dots."""
    slug = _UNSAFE.sub("-", name.lower())
    slug = re.sub(r"-{2,}", "-", slug).lstrip(".-")[:MAX_SLUG].rstrip(".-")
    return slug or "template"


def _folder(config: Config, account_id: str) -> Path:
    """`new`'s folder for the account; ValueError when it would leave the templates folder
    (an account id such as `../x`) or hide from validate (`.x`, control characters)."""
    from registry.commands.new import account_folder

    folder = account_folder(config, account_id)
    inside = config.templates_dir
    if os.path.normpath(folder) != str(folder) or not folder.is_relative_to(inside):
        shown = folder.relative_to(config.root) if folder.is_relative_to(config.root) else folder
        raise ValueError(f"its folder {shown} is not inside the templates folder "
                         f"{config.templates}, where validate and plan read templates")
    parts = folder.relative_to(inside).parts
    if any(part.startswith(".") or not part.isprintable() for part in parts):
        raise ValueError(f"account {account_id!r} cannot name a folder (hidden or control "
                         "characters); list the account in [tool.template-registry.accounts] "
                         "with a glob")
    return folder


def _header_line(base_url: str, when: datetime) -> str:
    """The first line of every file; the URL loses any user:password and query part."""
    parts = urlsplit(base_url)
    host = parts.netloc.rpartition("@")[2]
    where = f"{parts.scheme}://{host}{parts.path}"
    return (f"# Imported by template-registry import from {visible(where)} on "
            f"{when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}")


def header(first: str, remote: Remote) -> str:
    """The header comment: one line, whatever the account and id hold."""
    return f"{first} (account {visible(remote.account_id)}, id {visible(remote.id)})\n"


def visible(text: str) -> str:
    """TEXT with every character that is not printable escaped (`\\x0a`, `\\u2028`), so that
    untrusted text can neither end a line nor hide itself."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        code = ord(char)
        if char.isprintable():
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return "".join(out)


def with_ignore_comments(text: str, rows: Sequence[Row]) -> tuple[str, list[Row]]:
    """TEXT with `# template-registry: ignore[RULE] ...` above each finding's line, one
    per line and rule, indented like that line; and ROWS moved to their new lines."""
    wanted: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        line_number, rule = row[0], row[3]
        if rule not in wanted[line_number]:
            wanted[line_number].append(rule)
    out: list[str] = []
    moved: dict[int, int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        indent = line[: len(line) - len(line.lstrip(" "))]
        out += [f"{indent}# template-registry: ignore[{rule}] {IGNORE_REASON}"
                for rule in wanted.get(number, ())]
        out.append(line)
        moved[number] = len(out)
    return "\n".join(out), [(moved[row[0]], *row[1:]) for row in rows]


def _write(config: Config, remote: Remote, first_line: str, taken: set[Path], outcome: Outcome,
           *, dry_run: bool, ignore_findings: bool) -> None:
    """Render, check and write one template (or record why it could not be written)."""
    from registry.checks import check_and_load
    from registry.yamlout import create_fields, dump_template

    def fail(reason: str) -> None:
        outcome.failed.append(NotWritten(remote.account_id, remote.name, remote.id, reason))

    try:
        folder = _folder(config, remote.account_id)
        text = header(first_line, remote) + dump_template(remote.body)
    except (ValueError, TypeError) as exc:
        fail(str(exc))
        return
    result, data = check_and_load(text.encode(), "", config.content)
    rows = result.rows
    if ignore_findings:  # the findings stay listed, at their lines in the commented file
        text, rows = with_ignore_comments(text, rows)
        result, data = check_and_load(text.encode(), "", config.content)
    if data != create_fields(remote.body):
        fail("the YAML written for it does not load back to the live template")
        return
    stem = file_slug(remote.name)
    for number in range(1, 10_000):
        target = folder / (f"{stem}.yaml" if number == 1 else f"{stem}-{number}.yaml")
        if target in taken or os.path.lexists(target):
            continue
        rel = target.relative_to(config.root).as_posix()
        if not dry_run:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                with open(target, "xb") as handle:
                    handle.write(text.encode())
            except FileExistsError:
                continue  # made since we looked: never overwrite, take the next name
            except OSError as exc:
                fail(f"cannot write {rel}: {exc.strerror}")
                return
        taken.add(target)
        outcome.written.append(Written(rel, remote.account_id, remote.name, remote.id, text))
        outcome.findings += [Finding.from_tuple(rel, row) for row in rows]
        return
    fail(f"every file name for it in {folder} is taken")
