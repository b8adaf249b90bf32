"""Environments, checked: every template as each environment receives it, with every rule.

An environment renders a template file (the base) with its patch, if it has one, then
maps the account (registry.environments). Here both files are loaded, the rendered
Document is built with each value's position in the file it came from (a base value at
the base, a patched one at the patch: a finding points at the line to edit), every
content rule runs on it, and the `environment` rule is added. One rendering's result is
path-free (its rows say "base" or "patch"), so it is cached under a key of its inputs:
the bytes of both files, the environment's account mapping and the content settings.
The registry-wide stage then adds uniqueness in the mapped accounts, folder ownership
(on the base files, once), patches without a template, inline ignores and configured
severities, and prints a finding that several environments share once, naming them.

The plain base is not validated on its own when environments exist: it is deployed
nowhere by itself, and an environment without a patch for it checks it as it is.

`render_environment` is the entry point for callers that hold file contents (plan and
sync read them from a commit); validate reads the working tree through
registry.validation.check_environments. Nothing here does I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from registry import ignores
from registry.cache import blake2b, digest
from registry.config import Config, ContentSettings, Environment
from registry.environments import IDENTITY_FIELDS, map_account, patch_path, render, template_of
from registry.errors import ConfigError
from registry.findings import Finding, shown
from registry.results import Identity, PlainDirective
from registry.rules import ENVIRONMENT, YAML_UNSAFE

if TYPE_CHECKING:
    from registry.loader import Document, LoadResult

BASE, PATCH = 0, 1
# (BASE or PATCH, line, column, severity, rule, message): a finding of one rendering.
RenderedRow = tuple[int, int, int, str, str, str]
# The names the two files are loaded under: rows are path-free, as the cache needs.
_NAMES = ("", "\0patch")
# The loader's wording for a top level that is not a mapping (a patch must be one).
_NOT_A_MAPPING = ("the top level is ", "the file holds no YAML document")
_ABSENT = object()
T = TypeVar("T")


class Rendered(NamedTuple):
    """One template's rendering in one environment: its findings (the inline ignores of
    both files applied, capped per file), the base's identity (account unmapped), and the
    ignores of both files with those the findings used."""

    rows: list[RenderedRow]
    identity: Identity | None
    base_ignores: list[PlainDirective] = []
    base_used: list[int] = []
    patch_ignores: list[PlainDirective] = []
    patch_used: list[int] = []

    def findings(self, template: str, patch: str | None) -> list[Finding]:
        paths = (template, patch or template)
        return [Finding.from_tuple(paths[row[0]], row[1:]) for row in self.rows]

    def to_plain(self) -> tuple[Any, ...]:
        """As plain tuples and lists (the cache is written with marshal)."""
        return (self.rows, self.identity.plain() if self.identity else None,
                self.base_ignores, self.base_used, self.patch_ignores, self.patch_used)

    @classmethod
    def from_plain(cls, plain: tuple[Any, ...]) -> Rendered:
        rows, identity, base_ignores, base_used, patch_ignores, patch_used = plain
        return cls(rows, Identity._make(identity) if identity else None, base_ignores,
                   base_used, patch_ignores, patch_used)


class Renderings:
    """Every template rendered in each environment, for the registry-wide stage (filled
    by registry.validation.check_environments)."""

    def __init__(self) -> None:
        self.environments: list[Environment] = []  # the configuration's order
        self.results: dict[str, dict[str, Rendered]] = {}  # env -> template -> rendering
        self.patches: dict[str, dict[str, str]] = {}  # env -> template -> patch
        self.orphans: dict[str, list[str]] = {}  # env -> patches without a template

    def patch_files(self) -> set[str]:
        """Every patch file of every environment (with a template or not)."""
        found = {p for by_template in self.patches.values() for p in by_template.values()}
        return found | {p for orphans in self.orphans.values() for p in orphans}


class Selection(NamedTuple):
    """What to report on (PATHS): these templates in every environment, and the
    templates of these patches in the patch's environment (with the patch's findings)."""

    templates: frozenset[str]
    patches: frozenset[str]


class PlainStore(Protocol):
    """Where results are kept between runs (registry.cache.ResultCache is one)."""

    def get_plain(self, key: bytes, decode: Callable[[Any], T]) -> T | None: ...

    def put_plain(self, key: bytes, plain: Any) -> None: ...


def check_layout(config: Config) -> None:
    """An overlay inside the templates folder (or around it) would make its patches
    templates too: a configuration error."""
    templates = config.templates.strip("/")
    for env in config.environments.values():
        if env.overlay is None:
            continue
        overlay = env.overlay.strip("/")
        if templates in (".", "") or _inside(overlay, templates) or _inside(templates, overlay):
            raise ConfigError(
                f"[tool.template-registry.environments.{env.name}] overlay {overlay!r} and "
                f"the templates folder {templates!r} must not contain one another: its patches "
                "would be read as templates")


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")


def environment_key(env: Environment, settings: ContentSettings) -> bytes:
    """What every rendering of ENV depends on besides its two files: the environment's
    account mapping and the content settings (not its name, URL or overlay: environments
    that map alike share results)."""
    context = repr(sorted(env.accounts.items())).encode() + b"\0" + settings.key()
    return blake2b(context, digest_size=16).digest()


def rendering_key(base: bytes, patch: bytes | None, context: bytes) -> bytes:
    """The cache key of one rendering: the digests of the base's and the patch's bytes
    (registry.cache.digest) and its environment's `environment_key`."""
    return blake2b(b"rendering\0" + context + base +
                           (b"\1" + patch if patch is not None else b"\0"),
                           digest_size=16).digest()


def render_document(base: Document, patch: Document | None, env: Environment) -> Document:
    """BASE rendered with PATCH for ENV, as one Document whose positions stand in the file
    each part came from (`Document.sources` names the patch's file where it did).

    A value the patch sets, whole (a scalar, a list, or a mapping where the base had
    none), is the patch's with everything under it; a mapping in both is merged key by
    key and stays the base's, unless the patch removes one of its keys: then it is the
    patch's, so that a finding about what it lacks points at the patch.
    """
    from registry.loader import Document

    data = render(base.data, patch.data if patch is not None else None, env)
    rendered = Document(base.path, data)
    _place(rendered, data, (), base, base.data, patch, patch.data if patch else _ABSENT)
    return rendered


def _place(rendered: Document, node: Any, path: tuple[str | int, ...], base: Document,
           base_node: Any, patch: Document | None, patch_node: Any) -> None:
    """Positions (and sources) of NODE, the rendered value at PATH, and all under it."""
    if patch is None or patch_node is _ABSENT:
        _copy(rendered, node, path, base, None)
        return
    if not (isinstance(patch_node, dict) and isinstance(base_node, dict)):
        _copy(rendered, node, path, patch, patch.path)
        return
    removes = any(value is None and key in base_node for key, value in patch_node.items())
    _copy_one(rendered, path, patch if removes else base, patch.path if removes else None)
    for key, child in node.items():
        _place(rendered, child, (*path, key), base, base_node.get(key, _ABSENT), patch,
               patch_node.get(key, _ABSENT))


def _copy(rendered: Document, node: Any, path: tuple[str | int, ...], source: Document,
          name: str | None) -> None:
    """Positions of NODE at PATH and under it, taken from SOURCE (a file named NAME, or
    the base when None)."""
    stack = [(path, node)]
    while stack:
        at, value = stack.pop()
        _copy_one(rendered, at, source, name)
        if isinstance(value, dict):
            stack.extend(((*at, key), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend(((*at, index), item) for index, item in enumerate(value))


def _copy_one(rendered: Document, path: tuple[str | int, ...], source: Document,
              name: str | None) -> None:
    for positions, own in ((source.keys, rendered.keys), (source.values, rendered.values)):
        found = positions.get(path)
        if found is not None:
            own[path] = found
    implicit = source.implicit.get(path)
    if implicit is not None:
        rendered.implicit[path] = implicit
    if name is not None:
        rendered.sources[path] = name


def check_rendering(base_raw: bytes, patch_raw: bytes | None, env: Environment,
                    settings: ContentSettings) -> tuple[Rendered, dict[str, Any] | None]:
    """Every rule of one rendering (the content rules, the `environment` rule), and the
    rendered body when both files load."""
    from registry.checks import capped, content_findings
    from registry.loader import load_document
    from registry.results import identity_of

    loaded = load_document(base_raw, _NAMES[BASE])
    base = loaded.document
    findings = list(loaded.findings)
    omitted = [loaded.omitted, 0]
    patch: Document | None = None
    if patch_raw is not None:
        patch_loaded = load_document(patch_raw, _NAMES[PATCH])
        findings += _patch_problems(patch_loaded)
        omitted[PATCH] = patch_loaded.omitted
        patch = _without_identity(patch_loaded.document) if patch_loaded.document else None
    body = None
    if base is not None:
        findings += _unmapped(base, env)
        if patch_raw is None or patch is not None:
            rendered = render_document(base, patch, env)
            findings += content_findings(rendered, settings)
            body = rendered.data
    if settings.off:
        findings = [f for f in findings if f.rule not in settings.off]
    rows: list[RenderedRow] = []
    directives = (_directives(base_raw), _directives(patch_raw))
    used: list[list[int]] = [[], []]
    for source in (BASE, PATCH):
        kept, indices = ignores.suppress([f for f in findings if f.path == _NAMES[source]],
                                         directives[source])
        used[source] = sorted(indices)
        rows += [(source, *row) for row in capped([f.as_tuple() for f in kept],
                                                  omitted[source])]
    plain = [[(d.line, d.column, d.rules, d.reason) for d in group] for group in directives]
    identity = identity_of(base) if base is not None else None
    return Rendered(rows, identity, plain[BASE], used[BASE], plain[PATCH], used[PATCH]), body


def render_body(base_raw: bytes, patch_raw: bytes | None, env: Environment
                ) -> dict[str, Any] | None:
    """The rendered body alone (no rules, no positions): None when a file does not load.
    For results that came from the cache, which keeps no bodies."""
    from registry.loader import load_document

    base = load_document(base_raw, _NAMES[BASE]).document
    if base is None:
        return None
    if patch_raw is None:
        return render(base.data, None, env)
    patch = load_document(patch_raw, _NAMES[PATCH]).document
    if patch is None:
        return None
    return render(base.data, {k: v for k, v in patch.data.items() if k not in IDENTITY_FIELDS},
                  env)


def _directives(raw: bytes | None) -> list[ignores.Directive]:
    if raw is None or b"template-registry:" not in raw:
        return []
    return ignores.parse(raw.decode("utf-8", "replace"))


def _patch_problems(loaded: LoadResult) -> list[Finding]:
    """The patch's own load findings (its YAML traps), a top level that is not a mapping
    as the `environment` rule, and an identity field the patch sets or removes."""
    patch = loaded.document
    if patch is None:
        if len(loaded.findings) == 1 and loaded.findings[0].rule == YAML_UNSAFE.id and \
                loaded.findings[0].message.startswith(_NOT_A_MAPPING):
            found = loaded.findings[0]
            what = found.message.split(";")[0].removeprefix("the top level is ") \
                if found.message.startswith(_NOT_A_MAPPING[0]) else "empty"
            return [ENVIRONMENT.at(
                found.path, found.line, found.column,
                f"the patch is {what}; a patch is a mapping of the fields it changes "
                "(a JSON merge patch, RFC 7386: `null` removes a field)")]
        return loaded.findings
    findings = list(loaded.findings)
    for name in IDENTITY_FIELDS:
        if name in patch.data:
            verb = "removes" if patch.data[name] is None else "sets"
            hint = ("change it in the template file" if name == "name" else
                    "map accounts in the environment's `accounts` instead")
            findings.append(patch.finding(
                ENVIRONMENT, (name,), f"the patch {verb} {name}; a patch must not change "
                f"which template it is ({hint})"))
    return findings


def _without_identity(patch: Document) -> Document:
    """PATCH without the identity fields it must not change (they are reported), so the
    rendering keeps the base's identity and no finding follows from them."""
    if not any(name in patch.data for name in IDENTITY_FIELDS):
        return patch
    data = {k: v for k, v in patch.data.items() if k not in IDENTITY_FIELDS}
    return patch.with_data(data)


def _unmapped(base: Document, env: Environment) -> list[Finding]:
    """An environment that maps accounts must map the template's."""
    account = base.data.get("account_id")
    if not env.accounts or not isinstance(account, str) or account in env.accounts:
        return []
    return [base.finding(
        ENVIRONMENT, ("account_id",),
        f"account {shown(account)} is not in this environment's `accounts` mapping, so the "
        f"template would go to account {shown(account)} there; map it", prefer="value")]


def unreadable(source: int, reason: str) -> Rendered:
    """The result of a rendering whose base (or patch) cannot be read."""
    row: RenderedRow = (source, 1, 1, YAML_UNSAFE.severity, YAML_UNSAFE.id,
                        f"cannot read the file: {reason}")
    return Rendered([row], None)


def environment_findings(config: Config, renderings: Renderings,
                         selection: Selection | None = None) -> list[Finding]:
    """The findings of every rendering (of SELECTION's, else all), plus uniqueness in each
    environment's mapped accounts, patches without a template, folder ownership of the
    base files (once, accounts unmapped) and the inline ignores' own problems; configured
    severities applied; a finding several environments share once, naming them; sorted."""
    from registry.validation import configured, ownership, uniqueness

    order = [env.name for env in renderings.environments]
    tagged: list[tuple[Finding, str | None]] = []
    base_used: dict[str, set[int]] = defaultdict(set)
    bases: dict[str, Rendered] = {}
    shown_patches: list[tuple[str, str, Rendered]] = []
    for env in renderings.environments:
        name = env.name
        results = renderings.results[name]
        patches = renderings.patches.get(name, {})
        reported = [t for t in results if _wanted(selection, t, patches.get(t))]
        across = _by_path(uniqueness({t: r.identity for t, r in results.items() if r.identity},
                                     set(reported), partial(map_account, env=env)))
        for template, result in results.items():
            base_used[template].update(result.base_used)
            if template not in bases or bases[template].identity is None:
                bases[template] = result
        for template in reported:
            result, patch = results[template], patches.get(template)
            kept, used = ignores.suppress(across.get(template, []),
                                          _plain_directives(result.base_ignores))
            base_used[template] |= used
            tagged += [(f, name) for f in [*result.findings(template, patch), *kept]]
            if patch is not None:
                shown_patches.append((name, patch, result))
        tagged += [(ENVIRONMENT.at(p, 1, 1, _orphan_message(config, env, p)), name)
                   for p in renderings.orphans.get(name, [])
                   if selection is None or p in selection.patches]
    off = config.content.off
    chosen = bases if selection is None else {t: r for t, r in bases.items()
                                              if t in selection.templates}
    owned = _by_path(ownership(config, {t: r.identity for t, r in chosen.items() if r.identity},
                               list(chosen)))
    for template, result in chosen.items():
        directives = _plain_directives(result.base_ignores)
        kept, used = ignores.suppress(owned.get(template, []), directives)
        base_used[template] |= used
        tagged += [(f, None) for f in kept]
        tagged += [(f, None) for f in ignores.problems(directives, base_used[template],
                                                        template, off)]
    for name, patch, result in shown_patches:
        tagged += [(f, name) for f in ignores.problems(
            _plain_directives(result.patch_ignores), set(result.patch_used), patch, off)]
    findings = configured(_merge(tagged, order), config.rules)
    findings.sort()
    return findings


def _wanted(selection: Selection | None, template: str, patch: str | None) -> bool:
    return selection is None or template in selection.templates or (
        patch is not None and patch in selection.patches)


def _by_path(findings: list[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.path].append(finding)
    return grouped


def _plain_directives(plain: list[PlainDirective]) -> list[ignores.Directive]:
    return [ignores.Directive(*d) for d in plain]


def _orphan_message(config: Config, env: Environment, patch: str) -> str:
    template = template_of(config, env, patch)
    return (f"this patch is for {template}, which does not exist: a patch applies to the "
            "template at the same path under the templates folder")


def _merge(tagged: list[tuple[Finding, str | None]], order: list[str]) -> list[Finding]:
    """One finding per distinct (path, position, severity, rule, message), naming every
    environment it occurs in, in the configuration's order."""
    groups: dict[Finding, list[str]] = {}
    for finding, env in tagged:
        names = groups.setdefault(finding, [])
        if env is not None and env not in names:
            names.append(env)
    return [f._replace(environments=tuple(sorted(names, key=order.index))) if names else f
            for f, names in groups.items()]


def render_environment(config: Config, env: Environment, templates: Mapping[str, bytes],
                       patches: Mapping[str, bytes], settings: ContentSettings | None = None,
                       cache: PlainStore | None = None
                       ) -> tuple[list[Finding], dict[str, dict[str, Any]]]:
    """Render and validate environment ENV from file contents.

    TEMPLATES: every template file of the registry, {path from the root: bytes};
    PATCHES: the files of ENV's overlay, {path from the root: bytes} (empty without one);
    SETTINGS: the content settings (default: CONFIG's); CACHE: where one rendering's
    result is kept by `rendering_key` (registry.cache.ResultCache, or None).

    Returns (findings, bodies): every finding of ENV as `validate` reports it (each with
    `environments=(ENV.name,)`, except folder ownership and ignore-comment findings about
    the base files), sorted; and {template path: the body ENV receives} for each template
    whose files load (whatever its findings: check `has_errors(findings)` first).
    Raises ConfigError when an overlay and the templates folder contain one another.
    """
    check_layout(config)
    settings = settings or config.content
    renderings = Renderings()
    renderings.environments.append(env)
    renderings.results[env.name], renderings.patches[env.name] = {}, {}
    renderings.orphans[env.name] = []
    results, by_template = renderings.results[env.name], renderings.patches[env.name]
    bodies: dict[str, dict[str, Any]] = {}
    pending: list[tuple[str, bytes]] = []
    context = environment_key(env, settings)
    for template in sorted(templates):
        raw, patch = templates[template], patch_path(config, env, template)
        patch_raw = patches.get(patch) if patch is not None else None
        if patch is not None and patch_raw is not None:
            by_template[template] = patch
        key = rendering_key(digest(raw), None if patch_raw is None else digest(patch_raw),
                            context)
        hit = cache.get_plain(key, Rendered.from_plain) if cache is not None else None
        if hit is None:
            pending.append((template, key))
            continue
        results[template] = hit
        body = render_body(raw, patch_raw, env)
        if body is not None:
            bodies[template] = body
    jobs = [(templates[t], _patch_raw(patches, by_template.get(t)), env, settings, True)
            for t, _ in pending]
    for (template, key), (plain, body) in zip(pending, check_jobs(jobs),
                                              strict=True):
        results[template] = Rendered.from_plain(plain)
        if cache is not None:
            cache.put_plain(key, plain)
        if body is not None:
            bodies[template] = body
    renderings.orphans[env.name] = sorted(
        p for p in patches if template_of(config, env, p) not in templates)
    return environment_findings(config, renderings), dict(sorted(bodies.items()))


def _patch_raw(patches: Mapping[str, bytes], patch: str | None) -> bytes | None:
    return patches[patch] if patch is not None else None


# (base bytes, patch bytes or None, environment, settings, keep the body)
Job = tuple[bytes, bytes | None, Environment, ContentSettings, bool]


def _check_job(job: Job) -> tuple[tuple[Any, ...], dict[str, Any] | None]:
    """One rendering checked, as plain data (it may run in a forked worker)."""
    base_raw, patch_raw, env, settings, with_body = job
    result, body = check_rendering(base_raw, patch_raw, env, settings)
    return result.to_plain(), body if with_body else None


def check_jobs(jobs: Sequence[Job]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any] | None]]:
    """Each rendering job checked (plain result, body if asked), in forked workers when
    there are many."""
    from registry.validation import load_rules, map_forked

    yield from map_forked(_check_job, jobs, load_rules)


def render_bodies(config: Config, env: Environment, templates: Mapping[str, bytes],
                  patches: Mapping[str, bytes]) -> dict[str, dict[str, Any]]:
    """{template path: the body ENV receives} for each template whose files load (no rules
    run: `diff` shows what would be sent, `validate` judges it)."""
    bodies = {}
    for template in sorted(templates):
        patch = patch_path(config, env, template)
        body = render_body(templates[template], _patch_raw(patches, patch)
                           if patch in patches else None, env)
        if body is not None:
            bodies[template] = body
    return bodies
