"""Rules `schema` and `yaml-implicit-type`: the template against the API's create body.

The strict pydantic model decides; this module turns its errors into findings that say
what to do: a did-you-mean for a misspelt key, the allowed values for an enum, and for
a string field that YAML typed as something else (`tag: 1.10`), the quoted form. A file
far larger than any template is not given to the model, whose errors (and memory) could
grow with every item: only its unknown fields are reported.
"""

from __future__ import annotations

import difflib
import functools
import re
import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from registry.findings import SHOWN_LENGTH, Finding, shorten, shown
from registry.loader import Document, Path, describe, label, quote_hint, with_article
from registry.model import ModelTemplateRequest
from registry.rules import SCHEMA, YAML_IMPLICIT_TYPE

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean (true or false)",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}
_QUOTED = re.compile(r"'([^']*)'")
# More keys and values than any template holds (one holds a few hundred).
MAX_VALUES = 10_000
# Unknown fields that get a did-you-mean (a fuzzy match each); later ones list the fields.
_HINTS = 200


def check(doc: Document) -> list[Finding]:
    """Validate the document with the model; one finding per model error."""
    if len(doc.values) > MAX_VALUES:
        return _too_large(doc)
    try:
        ModelTemplateRequest.model_validate(doc.data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    else:
        return []
    findings: list[Finding] = []
    explained: set[Path] = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            findings.append(_unknown_field(doc, tuple(error["loc"]), explained,
                                           hint=len(findings) < _HINTS))
    for error in errors:
        loc: Path = tuple(error["loc"])
        if error["type"] == "extra_forbidden" or loc in explained:
            continue
        findings.append(_finding(doc, loc, error))
    return findings


def _too_large(doc: Document) -> list[Finding]:
    """The unknown fields of a file too large for the model, and why nothing else is checked."""
    unknown: list[Path] = []
    _unknown_keys(doc.data, ModelTemplateRequest, (), unknown)
    explained: set[Path] = set()
    findings = [_unknown_field(doc, loc, explained, hint=index < _HINTS)
                for index, loc in enumerate(unknown)]
    findings.append(doc.finding(
        SCHEMA, (),
        f"the file holds {len(doc.values):,} values; a template holds a few hundred, so only "
        "unknown fields are checked until it is smaller", prefer="value"))
    return findings


def _unknown_keys(node: dict[str, Any], model: type[BaseModel], loc: Path,
                  found: list[Path]) -> None:
    """Append the paths of NODE's keys that MODEL (or a model in it) does not allow, in
    document order: the `extra_forbidden` errors the strict model would give."""
    for key, value in node.items():
        field = _fields(model).get(key)
        if field is None:
            found.append((*loc, key))
            continue
        inner = _model_in(field.annotation)
        if inner is None:
            continue
        if not _holds_list(field.annotation):
            if isinstance(value, dict):
                _unknown_keys(value, inner, (*loc, key), found)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    _unknown_keys(item, inner, (*loc, key, index), found)


def _unknown_field(doc: Document, loc: Path, explained: set[Path], *, hint: bool) -> Finding:
    """An unknown key, with a did-you-mean when HINT (unless the key is too long to be a typo)."""
    known = fields_at(loc[:-1])
    key = str(loc[-1])
    message = f"unknown field {shown(key)}"
    if loc[:-1]:
        message += f" in {label(loc[:-1])}"
    guess = difflib.get_close_matches(key, known, n=1, cutoff=0.6) \
        if hint and len(key) <= SHOWN_LENGTH else []
    if guess:
        message += f"; did you mean {guess[0]!r}?"
        if guess[0] not in _present(doc, loc[:-1]):
            explained.add((*loc[:-1], guess[0]))
    elif known:
        message += f"; allowed fields: {', '.join(known)}"
    return doc.finding(SCHEMA, loc, message)


def _present(doc: Document, loc: Path) -> set[str]:
    node: Any = doc.data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return set()
    return set(node) if isinstance(node, dict) else set()


def _finding(doc: Document, loc: Path, error: ErrorDetails) -> Finding:
    kind = error["type"]
    where = label(loc)
    if kind == "missing":
        parent = f" in {label(loc[:-1])}" if loc[:-1] else ""
        return doc.finding(SCHEMA, loc[:-1],
                           f"missing required field {loc[-1]!r}{parent}")
    if kind == "literal_error":
        allowed = _QUOTED.findall(str(error.get("ctx", {}).get("expected", "")))
        given = error["input"]
        message = f"{where}: {shown(given)} is not allowed; allowed values: {', '.join(allowed)}"
        same_but_case = [a for a in allowed if isinstance(given, str)
                         and a.casefold() == given.strip().casefold()]
        if same_but_case:
            message += f" (did you mean {same_but_case[0]!r}? values are case-sensitive)"
        return doc.finding(SCHEMA, loc, message, prefer="value")
    if kind in _EXPECTED:
        return _wrong_type(doc, loc, kind, error["input"])
    return doc.finding(SCHEMA, loc, f"{where}: {error['msg']}", prefer="value")


def _wrong_type(doc: Document, loc: Path, kind: str, given: Any) -> Finding:
    where = label(loc)
    expected = _EXPECTED[kind]
    implicit = doc.implicit.get(loc)
    if kind == "string_type" and implicit is not None:
        raw, yaml_type = implicit
        if yaml_type == "null":
            return doc.finding(SCHEMA, loc, f"{where} has no value; expected a string",
                               prefer="value")
        return doc.finding(YAML_IMPLICIT_TYPE, loc,
                           f"{where}: {shorten(raw)} is read by YAML as {with_article(yaml_type)}, "
                           f"not a string; {quote_hint(raw)}", prefer="value")
    message = f"{where}: expected {expected}, got {describe(given)}"
    if isinstance(given, str) and kind in ("int_type", "float_type", "bool_type"):
        message += f" ({shown(given)}); write it without quotes"
    elif given is None:
        message = f"{where} has no value; expected {expected}"
    return doc.finding(SCHEMA, loc, message, prefer="value")


def fields_at(loc: Path) -> list[str]:
    """The field names the model allows at LOC (empty where LOC is not a model)."""
    return list(_fields_at(tuple(part for part in loc if isinstance(part, str))))


@functools.lru_cache(maxsize=256)
def _fields_at(names: tuple[str, ...]) -> tuple[str, ...]:
    """fields_at for a path of field names (list indexes left out), remembered: a file may
    have thousands of unknown fields in one place."""
    model: type[BaseModel] = ModelTemplateRequest
    for name in names:
        field = _fields(model).get(name)
        found = _model_in(field.annotation) if field is not None else None
        if found is None:
            return ()
        model = found
    return tuple(_fields(model))


@functools.cache
def _fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    return dict(model.model_fields)


def _holds_list(annotation: Any) -> bool:
    """Whether a field's annotation is a list (or an optional list)."""
    return get_origin(annotation) is list or any(get_origin(arg) is list
                                                 for arg in get_args(annotation))


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (list, Union, types.UnionType):
        for arg in get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
