"""Whether a remote template holds a given create body: the one equality plan and sync use.

Compared on the create fields only, guided by the model: an absent field, a None and, for
optional fields, an empty value ({} / [] / "") are the same; so is an optional field with a
single possible value (`vendor: LAUNCH`) and its absence. Fields the model does not know,
at any depth, are ignored (the API adds fields over time). Pure functions, no I/O.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from registry.model import CREATE_FIELDS, ModelTemplateRequest


def restrict(remote: dict[str, Any]) -> dict[str, Any]:
    """The create fields of a template as the API returned it (server fields dropped)."""
    return {field: remote[field] for field in CREATE_FIELDS if field in remote}


def canonical(template: dict[str, Any]) -> dict[str, Any]:
    """The create fields of TEMPLATE in the form that equality compares (see module doc)."""
    return _canonical_model(restrict(template), ModelTemplateRequest)


def same_template(body: dict[str, Any], remote: dict[str, Any]) -> bool:
    """Whether REMOTE holds exactly the create body BODY."""
    return canonical(body) == canonical(remote)


def _options(annotation: Any) -> tuple[Any, ...]:
    """The non-None alternatives of an annotation (`X | None` -> (X,))."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(arg for arg in get_args(annotation) if arg is not type(None))
    return (annotation,)


def _canonical(value: Any, annotation: Any) -> Any:
    for option in _options(annotation):
        origin = get_origin(option)
        if origin is list and isinstance(value, list):
            (item,) = get_args(option) or (Any,)
            return [_canonical(element, item) for element in value]
        if origin is None and isinstance(option, type) and issubclass(option, BaseModel) \
                and isinstance(value, dict):
            return _canonical_model(value, option)
    return value


def _canonical_model(data: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        raw = data.get(name)
        if raw is None:
            continue
        value = _canonical(raw, field.annotation)
        optional = not field.is_required()
        if optional and (_is_empty(value) or _is_sole_value(value, field.annotation)):
            continue
        out[name] = value
    return out


def _is_empty(value: Any) -> bool:
    return isinstance(value, dict | list | str) and len(value) == 0


def _is_sole_value(value: Any, annotation: Any) -> bool:
    options = _options(annotation)
    if len(options) != 1 or get_origin(options[0]) is not Literal:
        return False
    values = get_args(options[0])
    return len(values) == 1 and value == values[0]
