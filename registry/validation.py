"""Validation as a stage: per-file results (cached by content) and the registry-wide rules.

Used by `validate` on the working tree and by `plan`/`sync` on the blobs of a commit. The
content rules run only for content the cache has not seen, in parallel on a large
registry; the cross-file rule (uniqueness) and the path rules (accounts) always run on
the small identities, so they see every template at every run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from registry import cache as cache_mod
from registry import files as files_mod
from registry.config import DEFAULT_CONTENT, Config, ContentSettings
from registry.findings import Finding
from registry.results import FileResult
from registry.rules import BY_ID, IGNORE_COMMENT, YAML_UNSAFE

PARALLEL_THRESHOLD = 400


def check_files(root: Path, rel_paths: Sequence[str], *, use_cache: bool = True,
                settings: ContentSettings = DEFAULT_CONTENT) -> dict[str, FileResult]:
    """The content-rule result of each file, from the cache or freshly checked."""
    cache = cache_mod.ResultCache(root, settings=settings.key()) if use_cache else None
    results: dict[str, FileResult] = {}
    pending: list[tuple[str, bytes, bytes]] = []
    base = str(root)
    for rel in rel_paths:
        path = os.path.join(base, rel)
        try:
            stat = os.stat(path)
            if cache is not None:
                known = cache.known_digest(rel, stat)
                if known is not None and (hit := cache.get(known)) is not None:
                    cache.remember(rel, stat, known)
                    results[rel] = hit
                    continue
            raw = files_mod.read_limited(path)
        except OSError as exc:
            unreadable = YAML_UNSAFE.at(rel, 1, 1, f"cannot read the file: {exc.strerror}")
            results[rel] = FileResult([unreadable.as_tuple()], None)
            continue
        key = cache_mod.digest(raw)
        if cache is not None:
            cache.remember(rel, stat, key)
            hit = cache.get(key)
            if hit is not None:
                results[rel] = hit
                continue
        pending.append((rel, key, raw))
    _check_pending(pending, results, cache, settings)
    if cache is not None:
        cache.save()
    return results


def _check_pending(pending: list[tuple[str, bytes, bytes]], results: dict[str, FileResult],
                   cache: cache_mod.ResultCache | None, settings: ContentSettings) -> None:
    if not pending:
        return  # everything came from the cache: the rules (and pydantic) are not imported
    checked = check_many([raw for _, _, raw in pending], settings=settings)
    for (rel, key, _), (result, _body) in zip(pending, checked, strict=True):
        results[rel] = result
        if cache is not None:
            cache.put(key, result)


def check_many(raws: Sequence[bytes], *, with_body: bool = False,
               settings: ContentSettings = DEFAULT_CONTENT
               ) -> list[tuple[FileResult, dict[str, Any] | None]]:
    """Check each file's bytes (and keep its data if WITH_BODY), in forked workers when many.

    Workers inherit the bytes through fork instead of receiving them pickled.
    """
    from registry.checks import check_and_load

    workers = min(os.cpu_count() or 1, 8)
    if len(raws) < PARALLEL_THRESHOLD or workers < 2:
        return [_keep(check_and_load(raw, "", settings), with_body) for raw in raws]
    import multiprocessing

    global _PENDING
    _PENDING = (list(raws), with_body, settings)
    chunk = max(1, len(raws) // (workers * 4))
    ranges = [(start, min(start + chunk, len(raws))) for start in range(0, len(raws), chunk)]
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_check_range, ranges)
    finally:
        _PENDING = ([], False, settings)
    return [(FileResult.from_plain(plain), body) for part in parts for plain, body in part]


_PENDING: tuple[list[bytes], bool, ContentSettings] = ([], False, DEFAULT_CONTENT)


def _keep(checked: tuple[FileResult, dict[str, Any] | None], with_body: bool
          ) -> tuple[FileResult, dict[str, Any] | None]:
    return checked if with_body else (checked[0], None)


def _check_range(bounds: tuple[int, int]) -> list[Any]:
    """In a forked worker: check a slice of the pending files."""
    from registry.checks import check_and_load

    raws, with_body, settings = _PENDING
    out = []
    for raw in raws[bounds[0]:bounds[1]]:
        result, body = _keep(check_and_load(raw, "", settings), with_body)
        out.append((result.to_plain(), body))
    return out


def registry_findings(config: Config, results: dict[str, FileResult],
                      targets: Sequence[str]) -> list[Finding]:
    """Per-file findings of TARGETS plus the cross-file and path rules, with the inline
    ignores and the configured severities applied, sorted."""
    findings: list[Finding] = []
    for rel in targets:
        findings += results[rel].findings(rel)
    findings += _across(config, results, targets)
    findings = _ignored(config, results, findings, targets)
    findings = configured(findings, config.rules)
    findings.sort()
    return findings


def _ignored(config: Config, results: dict[str, FileResult], findings: list[Finding],
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
        result = results[rel]
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
            finding = replace(finding, severity="error" if wanted == "error" else "warning")
        out.append(finding)
    return out


def _across(config: Config, results: dict[str, FileResult],
            targets: Sequence[str]) -> list[Finding]:
    """The registry-wide rules: uniqueness over every file, accounts for TARGETS."""
    findings: list[Finding] = []
    from validators import unique_name

    identities = [
        unique_name.Identity(rel, r.identity.account_id, r.identity.name, r.identity.name_line,
                             r.identity.name_column)
        for rel, r in results.items() if r.identity is not None
    ]
    findings += unique_name.check(identities, report=set(targets))
    if config.accounts:
        from validators import accounts

        placements = [
            accounts.Placement(rel, ident.account_id, ident.account_line, ident.account_column)
            for rel in targets if (ident := results[rel].identity) is not None
        ]
        findings += accounts.check(placements, accounts.compile_accounts(config.accounts),
                                   config.accounts)
    return findings
