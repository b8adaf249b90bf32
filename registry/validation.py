"""Validation as a stage: per-file results (cached by content) and the registry-wide rules.

Used by `validate` on the working tree and by `plan`/`sync` on the blobs of a commit. The
content rules run only for content the cache has not seen, in parallel on a large
registry; the cross-file rule (uniqueness) and the path rules (accounts) always run on
the small identities, so they see every template at every run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from registry import cache as cache_mod
from registry import files as files_mod
from registry.config import Config
from registry.findings import Finding
from registry.results import FileResult

PARALLEL_THRESHOLD = 400


def check_files(root: Path, rel_paths: Sequence[str], *,
                use_cache: bool = True) -> dict[str, FileResult]:
    """The content-rule result of each file, from the cache or freshly checked."""
    cache = cache_mod.ResultCache(root) if use_cache else None
    results: dict[str, FileResult] = {}
    pending: list[tuple[str, bytes, bytes]] = []
    base = str(root)
    for rel in rel_paths:
        path = os.path.join(base, rel)
        try:
            stat = os.stat(path)
            key = cache.known_digest(rel, stat) if cache is not None else None
            hit = cache.get(key) if cache is not None and key is not None else None
            if hit is not None:
                cache.remember(rel, stat, key)  # type: ignore[union-attr,arg-type]
                results[rel] = hit
                continue
            raw = files_mod.read_limited(path)
        except OSError as exc:
            results[rel] = FileResult([(1, 1, "error", "yaml-unsafe",
                                        f"cannot read the file: {exc.strerror}")], None)
            continue
        key = cache_mod.digest(raw)
        if cache is not None:
            cache.remember(rel, stat, key)
            hit = cache.get(key)
            if hit is not None:
                results[rel] = hit
                continue
        pending.append((rel, key, raw))
    _check_pending(pending, results, cache)
    if cache is not None:
        cache.save()
    return results


def check_contents(root: Path, contents: Sequence[tuple[str, bytes]], *,
                   use_cache: bool = True) -> dict[str, FileResult]:
    """The content-rule result of in-memory files (e.g. blobs of a commit), by path."""
    cache = cache_mod.ResultCache(root) if use_cache else None
    results: dict[str, FileResult] = {}
    pending: list[tuple[str, bytes, bytes]] = []
    for rel, raw in contents:
        key = cache_mod.digest(raw)
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            results[rel] = hit
        else:
            pending.append((rel, key, raw))
    _check_pending(pending, results, cache)
    if cache is not None:
        cache.save()
    return results


def _check_pending(pending: list[tuple[str, bytes, bytes]], results: dict[str, FileResult],
                   cache: cache_mod.ResultCache | None) -> None:
    if not pending:
        return  # everything came from the cache: the rules (and pydantic) are not imported
    for (rel, key, _), result in zip(pending, _check_all(pending), strict=True):
        results[rel] = result
        if cache is not None:
            cache.put(key, result)


def _check_all(pending: list[tuple[str, bytes, bytes]]) -> list[FileResult]:
    from registry.checks import check_content

    workers = min(os.cpu_count() or 1, 8)
    if len(pending) < PARALLEL_THRESHOLD or workers < 2:
        return [check_content(raw) for _, _, raw in pending]
    import multiprocessing

    global _PENDING
    _PENDING = pending
    chunk = max(1, len(pending) // (workers * 4))
    ranges = [(start, min(start + chunk, len(pending))) for start in range(0, len(pending), chunk)]
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_check_range, ranges)
    finally:
        _PENDING = []
    return [FileResult.from_plain(plain) for part in parts for plain in part]


_PENDING: list[tuple[str, bytes, bytes]] = []


def _check_range(bounds: tuple[int, int]) -> list[Any]:
    """In a forked worker: check a slice of the pending files (inherited, not pickled)."""
    from registry.checks import check_content

    return [check_content(raw).to_plain() for _, _, raw in _PENDING[bounds[0]:bounds[1]]]


def registry_findings(config: Config, results: dict[str, FileResult],
                      targets: Sequence[str]) -> list[Finding]:
    """Per-file findings of TARGETS plus the cross-file and path rules, sorted."""
    findings: list[Finding] = []
    for rel in targets:
        findings += results[rel].findings(rel)
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
    findings.sort()
    return findings
