"""The strict template model's errors for a template's data, without importing pydantic.

The pre-commit hook checks one edited file: importing pydantic and building the model
would cost it more than everything else. This walker reads the model's shape from
validators/schema_shape.py (generated from registry/model.py) and reports the errors
pydantic reports, in its order: each field in the model's order (a missing required
one, or a value of the wrong type), then each field the model does not name, in the
document's order. Nothing is coerced: `"1"` is not an integer, `true` is not one either,
and a `null` is allowed only where the field is optional. Keys are strings, as the
loader builds every mapping. tests/test_schema_shape.py holds it to pydantic's errors,
one for one.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

from registry.loader import Path
from validators.schema_shape import MODELS, ROOT, Type


class ModelError(NamedTuple):
    """One error as pydantic reports it: its type (`string_type`, `missing`, ...), where,
    the value found there (the mapping, for `missing`), and an enum's allowed values."""

    kind: str
    loc: Path
    input: Any
    allowed: tuple[str, ...] = ()


_ABSENT = object()
# A value of exactly this Python type is valid for a field of this type (the common case,
# decided without a call; any other value gets the full check).
_EXACT: dict[str, type] = {"str": str, "int": int, "bool": bool}
# Per model: its fields in order, each with its exact type (or None), and the type of each
# field by name.
_Shape = tuple[tuple[tuple[str, Type, bool, bool, type | None], ...], dict[str, Type]]
_SHAPES: dict[str, _Shape] = {
    name: (tuple((*field, _EXACT.get(field[1][0])) for field in fields),
           {field[0]: field[1] for field in fields})
    for name, fields in MODELS.items()}


def model_errors(data: Any) -> list[ModelError]:
    """Every error of the template model for DATA, in pydantic's order."""
    found: list[ModelError] = []
    _model(ROOT, data, (), found, True)
    return found


def unknown_fields(data: Any) -> list[Path]:
    """Only the fields the model does not allow (its `extra_forbidden` errors), in order:
    for a file too large to report every error of."""
    found: list[ModelError] = []
    _model(ROOT, data, (), found, False)
    return [error.loc for error in found]


def _model(name: str, node: Any, loc: Path, found: list[ModelError], types: bool) -> None:
    """The errors of model NAME for NODE; TYPES: also those that are not unknown fields."""
    if not isinstance(node, dict):
        if types:
            found.append(ModelError("model_type", loc, node))
        return
    fields, kinds = _SHAPES[name]
    for field, kind, required, nullable, exact in fields:
        value = node.get(field, _ABSENT)
        if value is _ABSENT:
            if required and types:
                found.append(ModelError("missing", (*loc, field), node))
        elif type(value) is not exact and (value is not None or not nullable):
            _value(kind, value, (*loc, field), found, types)
    if not node.keys() <= kinds.keys():
        found += [ModelError("extra_forbidden", (*loc, key), value)
                  for key, value in node.items() if key not in kinds]


def _value(kind: Type, value: Any, loc: Path, found: list[ModelError], types: bool) -> None:
    """The errors of one value of type KIND (see validators/schema_shape.py)."""
    tag = kind[0]
    if tag == "str":
        if types and not isinstance(value, str):
            found.append(ModelError("string_type", loc, value))
    elif tag == "literal":
        if types and not (isinstance(value, str) and value in kind[1]):
            found.append(ModelError("literal_error", loc, value, kind[1]))
    elif tag == "int":
        if types and (not isinstance(value, int) or isinstance(value, bool)):
            found.append(ModelError("int_type", loc, value))
    elif tag == "bool":
        if types and not isinstance(value, bool):
            found.append(ModelError("bool_type", loc, value))
    elif tag == "model":
        _model(kind[1], value, loc, found, types)
    elif tag == "list":
        if not isinstance(value, list):
            if types:
                found.append(ModelError("list_type", loc, value))
            return
        exact = _EXACT.get(kind[1][0])
        for index, item in enumerate(value):
            if type(item) is not exact:
                _value(kind[1], item, (*loc, index), found, types)
    elif tag == "dict":
        if not isinstance(value, dict):
            if types:
                found.append(ModelError("dict_type", loc, value))
            return
        exact = _EXACT.get(kind[1][0])
        for key, item in value.items():
            if type(item) is not exact:
                _value(kind[1], item, (*loc, key), found, types)
    else:
        raise ValueError(f"validators/schema_shape.py: unknown type {tag!r}")


def fields_at(loc: Path) -> list[str]:
    """The field names the model allows at LOC (empty where LOC is not a model)."""
    return list(_fields_at(tuple(part for part in loc if isinstance(part, str))))


@functools.lru_cache(maxsize=256)
def _fields_at(names: tuple[str, ...]) -> tuple[str, ...]:
    """fields_at for a path of field names (list indexes left out), remembered: a file may
    have thousands of unknown fields in one place."""
    model = ROOT
    for name in names:
        kind = _SHAPES[model][1].get(name)
        inner = _model_in(kind) if kind is not None else None
        if inner is None:
            return ()
        model = inner
    return tuple(_SHAPES[model][1])


def _model_in(kind: Type) -> str | None:
    """The model a field of type KIND holds, itself or as a list's items."""
    if kind[0] == "model":
        return str(kind[1])
    if kind[0] == "list":
        return _model_in(kind[1])
    return None
