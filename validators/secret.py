"""Rule `secret`: a credential anywhere in a template (env, command, or any other string).

Templates live in git, where every clone keeps a credential forever, so finding one is
an error. Two nets: well-known token shapes anywhere, and long high-entropy values under
names that say KEY, TOKEN, SECRET or PASSWORD. Messages never repeat the value.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from registry.findings import Finding, shown
from registry.loader import Document, Path, label
from registry.rules import SECRET

RULE = SECRET
_SHAPES: tuple[tuple[str, str], ...] = (
    ("an AWS access key id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[0-9A-Z]{16}\b"),
    ("a private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ("a GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b"),
    ("a Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("a Slack webhook URL", r"hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/\w+"),
    # Anthropic's before OpenAI's: `sk-ant-...` also has OpenAI's shape.
    ("an Anthropic API key", r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
    ("an OpenAI API key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
    ("a Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}\b"),
    ("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("a Stripe secret key", r"\b[rs]k_live_[0-9A-Za-z]{20,}\b"),
    ("a JSON Web Token", r"\beyJ[A-Za-z0-9_-]{10,512}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    ("a password in a URL", r"[a-z][a-z0-9+.-]{0,31}://[^/\s:@]+:[^/\s@]+@"),
)
# The bounded parts above ({0,31}, {10,512}) keep a search linear: an unbounded run tried
# from every position of a long value is quadratic (minutes for a 1 MB value).
# Literal parts of the shapes above, without anchors, so the regex engine can skip ahead
# by first character: a string without any of them cannot match a shape.
_HINT = re.compile(r"A(?:KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA|Iza)|PRIVATE KEY|gh[pousr]_|github_pat_"
                   r"|xox|hooks\.slack|sk-|hf_|k_live_|eyJ|://")
_SECRET_WORDS = frozenset({
    "key", "apikey", "token", "secret", "password", "passwd", "pwd", "pass", "passphrase",
    "credential", "credentials", "auth", "authorization", "bearer", "private",
})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# Values that point at a secret instead of holding one are the right practice.
_REFERENCE = re.compile(
    r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\(.*\)|\{\{.*\}\}|<[^>]*>|arn:aws:[a-z-]+:.*"
    r"|(?:secret|vault|ssm|gcpsm|azkv|k8s|env)://.*|/.*|\.{0,2}/.*)$"
)
MIN_LENGTH = 16
MIN_ENTROPY = 3.0


def check(doc: Document) -> list[Finding]:
    return findings(doc) if may_hold_secret(doc.data) else []


def may_hold_secret(node: Any) -> bool:
    """False when no string of NODE can be flagged: no value has a hint of a credential's
    shape and no name says it holds one. A superset of the rule's own test (the findings
    of `findings` imply True; tests/validators/test_secret.py holds it to that), and much
    cheaper on the common template without any: one regex over all the values at once,
    and no paths built."""
    values: list[str] = []
    names: list[str] = []
    _gather(node, values, names)
    return _HINT.search("\n".join(values)) is not None or any(map(is_secret_name, names))


def _gather(node: Any, values: list[str], names: list[str]) -> None:
    """Every string value in NODE, and every string that may be taken as a name."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                values.append(value)
                names.append(str(key))
            elif isinstance(value, (dict, list)):
                _gather(value, values, names)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, str):
                values.append(item)
                if item.startswith("-"):
                    names.append(item)  # a flag: the name of the next item
                    names.append(item.partition("=")[0])
                elif "=" in item:
                    names.append(item.partition("=")[0])
            elif isinstance(item, (dict, list)):
                _gather(item, values, names)


def findings(doc: Document) -> list[Finding]:
    """The rule's findings, every string tested (see `may_hold_secret` for the shortcut)."""
    found = []
    for path, name, value in strings(doc.data, secret_kind):
        what = secret_kind(name, value)
        found.append(doc.finding(
            RULE, path,
            f"{label(path)} holds {what}; templates live in git, where every clone keeps it: "
            "remove it, rotate it, and have the container read it from a secret store",
            prefer="value"))
    return found


def strings(node: Any, keep: Callable[[str, str], object] | None = None
            ) -> list[tuple[Path, str, str]]:
    """Every string in NODE with its path and the name it stands under, as this rule reads
    them (those KEEP(name, value) is true for, when given); public so that redaction
    (registry.redact) hides exactly what the rule flags. Paths are built only for the
    strings kept: the rule keeps almost none, and runs on every file of a cold run."""
    found: list[tuple[Path, str, str]] = []
    _strings(node, (), keep, found)
    return found


def secret_kind(name: str, value: str) -> str | None:
    """What credential VALUE holds (NAME: its key or flag, "" for none), or None: the test
    this rule applies to every string, public for redaction."""
    return _shape(value) or (_named_secret(name, value) if name else None)


def is_reference(value: str) -> bool:
    """`${VAR}`, a path, an ARN, `vault://...`: a value that points at a secret instead of
    holding one (safe to show)."""
    return _REFERENCE.match(value.strip()) is not None


def _strings(node: Any, path: Path, keep: Callable[[str, str], object] | None,
             found: list[tuple[Path, str, str]]) -> None:
    """Append every string in NODE that KEEP keeps, with its path and the name it stands
    under (key or flag)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                if keep is None or keep(str(key), value):
                    found.append(((*path, key), str(key), value))
            elif isinstance(value, (dict, list)):
                _strings(value, (*path, key), keep, found)
    elif isinstance(node, list):
        flag = ""
        for index, item in enumerate(node):
            if isinstance(item, str):
                name, _, inline = item.partition("=")
                if not (inline and (item.startswith("-") or name.isupper())):
                    name, inline = flag, item  # else: --token=abc or TOKEN=abc
                if keep is None or keep(name, inline):
                    found.append(((*path, index), name, inline))
                flag = item if item.startswith("-") else ""
            else:
                if isinstance(item, (dict, list)):
                    _strings(item, (*path, index), keep, found)
                flag = ""


@functools.cache
def _shapes() -> re.Pattern[str]:
    """Every shape in one pattern, compiled when a value first looks like one (`_HINT`):
    most runs of the hook never need it."""
    return re.compile("|".join(f"(?P<s{i}>{rx})" for i, (_, rx) in enumerate(_SHAPES)))


def _shape(value: str) -> str | None:
    if _HINT.search(value) is None:
        return None
    match = _shapes().search(value)
    if match is None or match.lastgroup is None:
        return None
    return _SHAPES[int(match.lastgroup[1:])][0]


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """API_KEY, --token, dbPassword, HFTOKEN: a name that says it holds a credential."""
    words = {w.lower() for w in _WORD.findall(name.lstrip("-"))}
    return bool(words & _SECRET_WORDS) or re.search(r"(?i)(key|token|secret|password)$",
                                                     name) is not None


def _named_secret(name: str, value: str) -> str | None:
    """A long, random-looking value under a name that says it holds a credential."""
    if not is_secret_name(name):
        return None
    text = value.strip()
    if len(text) < MIN_LENGTH or any(c.isspace() for c in text) or _REFERENCE.match(text):
        return None
    if entropy(text) < MIN_ENTROPY:
        return None
    return f"a value that looks like a secret (under {shown(name)})"


def entropy(text: str) -> float:
    """Shannon entropy in bits per character: random tokens score high, words and paths low."""
    counts = Counter(text)
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in counts.values())
