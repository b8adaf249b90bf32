"""Validation as a stage: per-file results (cached by content) and the registry-wide rules.

Used by `validate` on the working tree and by `plan`/`sync` on the blobs of a commit. The
content rules run only for content the cache has not seen, in parallel on a large
registry; the cross-file rule (uniqueness) and the path rules (accounts) always run on
the small identities, so they see every template at every run. With environments, the
same holds per rendering (registry.rendering): `check_environments` reads the working
tree for it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from registry import cache as cache_mod
from registry import files as files_mod
from registry.config import DEFAULT_CONTENT, Config, ContentSettings, Environment
from registry.findings import Finding
from registry.results import FileResult, Identity
from registry.rules import BY_ID, IGNORE_COMMENT, YAML_UNSAFE

if TYPE_CHECKING:
    from registry.rendering import Rendered, Renderings

PARALLEL_THRESHOLD = 400
T = TypeVar("T")
R = TypeVar("R")


class Checked:
    """The content rules' results of a registry's files: every file's identity key (see
    validators.unique_name.identity_key; None without an identity), and each file's result
    on demand, this run's or the cache's. A run that needs few results, such as the hook's
    on one edited file, never loads the others: uniqueness compares the keys."""

    def __init__(self, keys: dict[str, str | None], results: dict[str, FileResult],
                 rows: dict[str, int] | None = None, cache: cache_mod.ResultCache | None = None,
                 root: Path | None = None, settings: ContentSettings = DEFAULT_CONTENT) -> None:
        self.keys, self._results = keys, results
        self._rows, self._cache = rows or {}, cache
        self._root, self._settings = root, settings

    @classmethod
    def of(cls, results: Mapping[str, FileResult]) -> Checked:
        """Checked for RESULTS already at hand (a commit's blobs)."""
        return cls({rel: key_of(result) for rel, result in results.items()}, dict(results))

    def result(self, rel: str) -> FileResult:
        """REL's result: this run's, else the cache's (the file did not change)."""
        found = self._results.get(rel)
        if found is None:
            assert self._cache is not None, "only the cache's files lack a result of this run"
            found = self._cache.get(self._cache.digest_at(self._rows[rel]))
            if found is None:  # dropped from the cache since (by another run): check again
                assert self._root is not None, "results come from a cache of a root"
                found = check_files(self._root, [rel], use_cache=False,
                                    settings=self._settings).result(rel)
            self._results[rel] = found
        return found

    def all(self) -> dict[str, FileResult]:
        """Every file's result, by path."""
        return {rel: self.result(rel) for rel in self.keys}


def key_of(result: FileResult) -> str | None:
    """The identity key of RESULT's template (None without an identity)."""
    from validators.unique_name import identity_key

    ident = result.identity
    return identity_key(ident.account_id, ident.name) if ident is not None else None


def check_files(root: Path, rel_paths: Sequence[str], *, use_cache: bool = True,
                settings: ContentSettings = DEFAULT_CONTENT,
                stats: Mapping[str, os.stat_result | OSError] | None = None) -> Checked:
    """The content-rule result of each file, from the cache or freshly checked. STATS: the
    files' stats when the caller took them already (registry.files.scan)."""
    cache = cache_mod.ResultCache(root, settings=settings.key()) if use_cache else None
    base = str(root)
    entries: list[tuple[str, os.stat_result | OSError]] = []
    for rel in rel_paths:
        stat = stats.get(rel) if stats is not None else None
        if stat is None:
            try:
                stat = os.stat(os.path.join(base, rel))
            except OSError as exc:
                stat = exc
        entries.append((rel, stat))
    keys: dict[str, str | None] = {}
    rows: dict[str, int] = {}
    rest = entries
    if cache is not None:
        keys, rows, rest = cache.unchanged(entries)
    results: dict[str, FileResult] = {}
    examine = partial(_examine, base=base, cache=cache, settings=settings)
    for (rel, stat), (digest, plain, known) in zip(rest, map_forked(examine, rest, load_rules),
                                                   strict=True):
        if digest is None or isinstance(stat, OSError):
            unreadable = YAML_UNSAFE.at(rel, 1, 1, f"cannot read the file: {plain}")
            results[rel], keys[rel] = FileResult([unreadable.as_tuple()], None), None
            continue
        result = results[rel] = FileResult.from_plain(plain)
        keys[rel] = key_of(result)
        if cache is not None:
            if not known:
                cache.put_plain(digest, plain)
            cache.remember(rel, stat, digest, keys[rel])
    if cache is not None:
        cache.save()
    in_order = {rel: keys[rel] for rel, _ in entries}
    return Checked(in_order, results, rows, cache, root, settings)


def _examine(entry: tuple[str, os.stat_result | OSError], *, base: str,
             cache: cache_mod.ResultCache | None, settings: ContentSettings
             ) -> tuple[bytes | None, Any, bool]:
    """Read one file and find its result: (digest, plain result, whether the cache knew
    it), or (None, the reason, False) when it cannot be read. Runs in a forked worker when
    many files are to be read (a fresh CI machine reads them all), so that reading them
    is parallel too."""
    rel, stat = entry
    try:
        if isinstance(stat, OSError):
            raise stat
        raw = files_mod.read_limited(os.path.join(base, rel), stat.st_size)
    except OSError as exc:
        return None, exc.strerror, False
    digest = cache_mod.digest(raw)
    known = cache.get_plain(digest, _plain) if cache is not None else None
    if known is not None:
        return digest, known, True
    return digest, load_rules()(raw, "", settings)[0].to_plain(), False


@functools.cache
def load_rules() -> Callable[..., tuple[FileResult, Any]]:
    """registry.checks.check_and_load, imported when first needed: a run served by the
    cache imports no rule."""
    from registry.checks import check_and_load

    return check_and_load


def _plain(plain: Any) -> Any:
    """A cached result as stored, once it proves to decode."""
    FileResult.from_plain(plain)
    return plain


def check_many(raws: Sequence[bytes], *, with_body: bool = False,
               settings: ContentSettings = DEFAULT_CONTENT
               ) -> list[tuple[FileResult, dict[str, Any] | None]]:
    """Check each file's bytes (and keep its data if WITH_BODY), in forked workers when many."""
    checked = list(map_forked(partial(_check_one, with_body=with_body, settings=settings),
                              raws))
    return [(FileResult.from_plain(plain), body) for plain, body in checked]


def _check_one(raw: bytes, *, with_body: bool, settings: ContentSettings) -> tuple[Any, Any]:
    from registry.checks import check_and_load

    result, body = check_and_load(raw, "", settings)
    return result.to_plain(), (body if with_body else None)


def map_forked(function: Callable[[T], R], items: Sequence[T],
               before_fork: Callable[[], object] | None = None) -> Iterator[R]:
    """FUNCTION over ITEMS, in order, as the results come: in forked worker processes when
    there are many (the caller handles the first results while the workers do the rest).

    Workers inherit the items (file bytes) and the function through fork instead of
    receiving them pickled; only the results travel back. BEFORE_FORK runs first when
    there are workers: what it imports, the workers need not import each.
    """
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_THRESHOLD or workers < 2:
        yield from map(function, items)
        return
    import multiprocessing

    if before_fork is not None:
        before_fork()
    global _PENDING
    _PENDING = (function, items)
    chunk = max(1, len(items) // (workers * 4))
    ranges = [(start, min(start + chunk, len(items))) for start in range(0, len(items), chunk)]
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for part in pool.imap(_run_range, ranges):
                yield from part
    finally:
        _PENDING = None


_PENDING: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def _run_range(bounds: tuple[int, int]) -> list[Any]:
    """In a forked worker: a slice of the pending items."""
    assert _PENDING is not None, "set by map_forked before the fork"
    function, items = _PENDING
    return [function(item) for item in items[bounds[0]:bounds[1]]]


def registry_findings(config: Config, checked: Checked,
                      targets: Sequence[str]) -> list[Finding]:
    """Per-file findings of TARGETS plus the cross-file and path rules, with the inline
    ignores and the configured severities applied, sorted."""
    findings: list[Finding] = []
    for rel in targets:
        findings += checked.result(rel).findings(rel)
    findings += _across(config, checked, targets)
    findings = _ignored(config, checked, findings, targets)
    findings = configured(findings, config.rules)
    findings.sort()
    return findings


def _ignored(config: Config, checked: Checked, findings: list[Finding],
             targets: Sequence[str]) -> list[Finding]:
    """The inline ignores of TARGETS applied to the registry-wide findings (the per-file
    ones were applied when the file was checked), then the ignores that matched nothing."""
    from registry import ignores

    off = config.content.off
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    out: list[Finding] = []
    for rel in targets:
        mine = by_path.pop(rel, [])
        result = checked.result(rel)
        if not result.ignores:
            out += mine
            continue
        directives = [ignores.Directive(*d) for d in result.ignores]
        own = [f for f in mine if BY_ID.get(f.rule, IGNORE_COMMENT).scope == "file"]
        kept, used = ignores.suppress([f for f in mine if f not in own], directives)
        out += own + kept + ignores.problems(directives, used | set(result.used), rel, off)
    for rest in by_path.values():
        out += rest
    return out


def configured(findings: list[Finding], severities: dict[str, str]) -> list[Finding]:
    """FINDINGS with the severities of `[tool.template-registry.rules]`: "off" drops."""
    if not severities:
        return findings
    out = []
    for finding in findings:
        wanted = severities.get(finding.rule)
        if wanted == "off":
            continue
        if wanted in ("error", "warning") and wanted != finding.severity:
            finding = finding._replace(severity="error" if wanted == "error" else "warning")
        out.append(finding)
    return out


def _across(config: Config, checked: Checked, targets: Sequence[str]) -> list[Finding]:
    """The registry-wide rules: uniqueness of TARGETS against every file (by identity key:
    only the files sharing a target's key are looked at), accounts for TARGETS."""
    wanted = {checked.keys.get(rel) for rel in targets}
    wanted.discard(None)
    candidates = [(rel, key) for rel, key in checked.keys.items() if key in wanted] \
        if wanted else []
    seen: dict[str | None, int] = {}
    for _, key in candidates:
        seen[key] = seen.get(key, 0) + 1
    identities = {rel: ident for rel, key in candidates if seen[key] > 1
                  and (ident := checked.result(rel).identity) is not None}
    own = {rel: ident for rel in targets if (ident := checked.result(rel).identity) is not None} \
        if config.accounts else {}
    return uniqueness(identities, set(targets)) + ownership(config, own, targets)


def uniqueness(identities: Mapping[str, Identity], report: set[str],
               account: Callable[[str], str] | None = None) -> list[Finding]:
    """`unique-name` over every identity (path -> identity), reported for REPORT; ACCOUNT
    maps each account id first (an environment's mapping)."""
    from validators import unique_name

    return unique_name.check(
        [unique_name.Identity(rel, account(i.account_id) if account else i.account_id, i.name,
                              i.name_line, i.name_column) for rel, i in identities.items()],
        report=report)


def ownership(config: Config, identities: Mapping[str, Identity],
              targets: Sequence[str]) -> list[Finding]:
    """`account-unknown` and `account-path` for TARGETS, with an `accounts` table."""
    if not config.accounts:
        return []
    from validators import accounts

    placements = [accounts.Placement(rel, ident.account_id, ident.account_line,
                                     ident.account_column)
                  for rel in targets if (ident := identities.get(rel)) is not None]
    return accounts.check(placements, accounts.compile_accounts(config.accounts),
                          config.accounts)


def check_environments(config: Config, templates: Sequence[str], *, use_cache: bool = True,
                       settings: ContentSettings = DEFAULT_CONTENT) -> Renderings:
    """Every template of TEMPLATES rendered in every environment from the working tree,
    each rendering's result from the cache when its inputs were checked before (a file
    whose inode, size and times did not change is not even read)."""
    from registry.environments import patch_path, template_of
    from registry.rendering import (
        Rendered,
        Renderings,
        check_jobs,
        environment_key,
        rendering_key,
    )

    cache = cache_mod.ResultCache(config.root, settings=settings.key()) if use_cache else None
    files = _Files(config.root, cache)
    renderings = Renderings()
    pending: list[tuple[str, str, bytes]] = []
    jobs: list[tuple[bytes, bytes | None, Environment, ContentSettings, bool]] = []
    known = set(templates)
    for env in config.environments.values():
        renderings.environments.append(env)
        overlay = config.root / env.overlay if env.overlay else None
        listed = set(files_mod.discover(overlay, config.root)) \
            if overlay is not None and overlay.is_dir() else set()
        results = renderings.results[env.name] = {}
        patches = renderings.patches[env.name] = {}
        renderings.orphans[env.name] = sorted(
            p for p in listed if template_of(config, env, p) not in known)
        context = environment_key(env, settings)
        for template in templates:
            patch = patch_path(config, env, template)
            patch = patch if patch in listed else None
            if patch is not None:
                patches[template] = patch
            base_digest = files.digest(template)
            patch_digest = files.digest(patch) if patch is not None else None
            if (failed := _failed(files, template, patch)) is not None:
                results[template] = failed
                continue
            assert base_digest is not None, "a file that cannot be read has failed"
            key = rendering_key(base_digest, patch_digest, context)
            hit = cache.get_plain(key, Rendered.from_plain) if cache is not None else None
            if hit is not None:
                results[template] = hit
                continue
            base_raw, patch_raw = files.read(template), files.read(patch) if patch else None
            if (failed := _failed(files, template, patch)) is not None:  # gone since
                results[template] = failed
                continue
            assert base_raw is not None, "a file that cannot be read has failed"
            pending.append((env.name, template, key))
            jobs.append((base_raw, patch_raw, env, settings, False))
    for (name, template, key), (plain, _) in zip(pending, check_jobs(jobs), strict=True):
        renderings.results[name][template] = Rendered.from_plain(plain)
        if cache is not None:
            cache.put_plain(key, plain)
    if cache is not None:
        cache.save()
    return renderings


def _failed(files: _Files, template: str, patch: str | None) -> Rendered | None:
    """The result of a rendering whose template or patch cannot be read, else None."""
    from registry.rendering import BASE, PATCH, unreadable

    for source, rel in ((BASE, template), (PATCH, patch)):
        if rel is not None and rel in files.errors:
            return unreadable(source, files.errors[rel])
    return None


class _Files:
    """The working tree's files of one run: each digest found once (from the cache's
    record when the file provably did not change), the bytes read at most once."""

    def __init__(self, root: Path, cache: cache_mod.ResultCache | None) -> None:
        self.root, self.cache = str(root), cache
        self.digests: dict[str, bytes | None] = {}
        self.raws: dict[str, bytes] = {}
        self.errors: dict[str, str] = {}

    def digest(self, rel: str) -> bytes | None:
        """REL's content digest; None when it cannot be read (see `errors`)."""
        if rel in self.digests:
            return self.digests[rel]
        path = os.path.join(self.root, rel)
        found: bytes | None = None
        try:
            stat = os.stat(path)
            if self.cache is not None:
                found = self.cache.known_digest(rel, stat)  # kept for the next run
            if found is None:
                raw = self.raws[rel] = files_mod.read_limited(path)
                found = cache_mod.digest(raw)
                if self.cache is not None:
                    self.cache.remember(rel, stat, found)
        except OSError as exc:
            self.errors[rel] = str(exc.strerror)
        self.digests[rel] = found
        return found

    def read(self, rel: str) -> bytes | None:
        """REL's bytes (a file whose digest was known unread is read now); None when it
        cannot be read (see `errors`)."""
        if rel not in self.raws and rel not in self.errors:
            try:
                self.raws[rel] = files_mod.read_limited(os.path.join(self.root, rel))
            except OSError as exc:
                self.errors[rel] = str(exc.strerror)
        return self.raws.get(rel)
