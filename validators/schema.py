"""Rules `schema` and `yaml-implicit-type`: the template against the API's create body.

The strict model decides (registry/model.py, checked here through its generated shape by
validators/schema_errors.py, which reports pydantic's errors without importing it); this
module turns its errors into findings that say what to do: a did-you-mean for a misspelt
key, the allowed values for an enum, and for a string field that YAML typed as something
else (`tag: 1.10`), the quoted form. A file far larger than any template is not checked
in full, since its errors (and memory) could grow with every item: only its unknown
fields are reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry.findings import SHOWN_LENGTH, Finding, shorten, shown
from registry.loader import Document, Path, describe, label, quote_hint, with_article
from registry.rules import SCHEMA, YAML_IMPLICIT_TYPE
from validators.schema_errors import ModelError, fields_at, model_errors, unknown_fields

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "bool_type": "a boolean (true or false)",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
}
# More keys and values than any template holds (one holds a few hundred).
MAX_VALUES = 10_000
# Unknown fields that get a did-you-mean (a fuzzy match each); later ones list the fields.
_HINTS = 200


def check(doc: Document) -> list[Finding]:
    """Validate the document against the model; one finding per model error."""
    if len(doc.values) > MAX_VALUES:
        return _too_large(doc)
    return findings(doc, model_errors(doc.data))


def findings(doc: Document, errors: Sequence[ModelError]) -> list[Finding]:
    """The findings of the model's ERRORS: unknown fields first (a misspelt key explains
    the `missing` error of the field it meant, which is then not reported), then the rest."""
    found: list[Finding] = []
    explained: set[Path] = set()
    for error in errors:
        if error.kind == "extra_forbidden":
            found.append(_unknown_field(doc, error.loc, explained, hint=len(found) < _HINTS))
    for error in errors:
        if error.kind == "extra_forbidden" or error.loc in explained:
            continue
        found.append(_finding(doc, error))
    return found


def _too_large(doc: Document) -> list[Finding]:
    """The unknown fields of a file too large to check in full, and why nothing else is."""
    explained: set[Path] = set()
    found = [_unknown_field(doc, loc, explained, hint=index < _HINTS)
             for index, loc in enumerate(unknown_fields(doc.data))]
    found.append(doc.finding(
        SCHEMA, (),
        f"the file holds {len(doc.values):,} values; a template holds a few hundred, so only "
        "unknown fields are checked until it is smaller", prefer="value"))
    return found


def _unknown_field(doc: Document, loc: Path, explained: set[Path], *, hint: bool) -> Finding:
    """An unknown key, with a did-you-mean when HINT (unless the key is too long to be a typo)."""
    import difflib  # here: a file without unknown fields (most) never needs it

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


def _finding(doc: Document, error: ModelError) -> Finding:
    kind, loc, given = error.kind, error.loc, error.input
    if kind == "missing":
        parent = f" in {label(loc[:-1])}" if loc[:-1] else ""
        return doc.finding(SCHEMA, loc[:-1],
                           f"missing required field {loc[-1]!r}{parent}")
    if kind == "literal_error":
        allowed = error.allowed
        message = (f"{label(loc)}: {shown(given)} is not allowed; "
                   f"allowed values: {', '.join(allowed)}")
        same_but_case = [a for a in allowed if isinstance(given, str)
                         and a.casefold() == given.strip().casefold()]
        if same_but_case:
            message += f" (did you mean {same_but_case[0]!r}? values are case-sensitive)"
        return doc.finding(SCHEMA, loc, message, prefer="value")
    return _wrong_type(doc, loc, kind, given)


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
    if isinstance(given, str) and kind in ("int_type", "bool_type"):
        message += f" ({shown(given)}); write it without quotes"
    elif given is None:
        message = f"{where} has no value; expected {expected}"
    return doc.finding(SCHEMA, loc, message, prefer="value")
