"""Whether a remote template holds a given create body: the one equality plan and sync use.

Compared on the create fields only, guided by the model: an absent field, a None and, for
optional fields, an empty value ({} / [] / "") are the same; so is an optional field with a
single possible value (`vendor: LAUNCH`) and its absence. Fields the model does not know,
at any depth, are ignored (the API adds fields over time). Pure functions, no I/O.

The model is read once into a small shape tree, so that comparing 10,000 templates costs
a plain walk over dicts rather than 10,000 walks over type annotations.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any, Literal, NamedTuple, get_args, get_origin

from pydantic import BaseModel

from registry.model import CREATE_FIELDS, ModelTemplateRequest

_NO_SOLE_VALUE = object()


class _Field(NamedTuple):
    optional: bool
    sole_value: Any  # the only value a Literal allows, else _NO_SOLE_VALUE
    shape: dict[str, _Field] | None  # the nested model's fields, if any
    many: bool  # a list of that nested model


def restrict(remote: dict[str, Any]) -> dict[str, Any]:
    """The create fields of a template as the API returned it (server fields dropped)."""
    return {field: remote[field] for field in CREATE_FIELDS if field in remote}


def canonical(template: dict[str, Any]) -> dict[str, Any]:
    """The create fields of TEMPLATE in the form that equality compares (see module doc)."""
    return _canonical(template, _SHAPE)


def canonical_json(template: dict[str, Any]) -> str:
    """`canonical` as compact JSON with sorted keys: equal templates, equal strings.

    Cheap to store and to compare; plan keeps it per blob instead of whole bodies.
    """
    return json.dumps(canonical(template), sort_keys=True, separators=(",", ":"))


def same_template(body: dict[str, Any], remote: dict[str, Any]) -> bool:
    """Whether REMOTE holds exactly the create body BODY."""
    return canonical(body) == canonical(remote)


def model_shape() -> dict[str, _Field]:
    """The model's field tree, in declaration order (registry.yamlout writes keys in it)."""
    return _SHAPE


def _canonical(data: dict[str, Any], shape: dict[str, _Field]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, field in shape.items():
        value = data.get(name)
        if value is None:
            continue
        if field.shape is not None:
            if field.many and isinstance(value, list):
                value = [_canonical(v, field.shape) if isinstance(v, dict) else v for v in value]
            elif not field.many and isinstance(value, dict):
                value = _canonical(value, field.shape)
        if field.optional and (value == field.sole_value or (
                isinstance(value, dict | list | str) and not value)):
            continue
        out[name] = value
    return out


def _options(annotation: Any) -> tuple[Any, ...]:
    """The non-None alternatives of an annotation (`X | None` -> (X,))."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(arg for arg in get_args(annotation) if arg is not type(None))
    return (annotation,)


def _shape_of(model: type[BaseModel]) -> dict[str, _Field]:
    shape = {}
    for name, info in model.model_fields.items():
        options = _options(info.annotation)
        sole: Any = _NO_SOLE_VALUE
        nested, many = None, False
        if len(options) == 1:
            option = options[0]
            if get_origin(option) is Literal and len(get_args(option)) == 1:
                sole = get_args(option)[0]
            if get_origin(option) is list:
                option, many = (get_args(option) or (Any,))[0], True
            if isinstance(option, type) and issubclass(option, BaseModel):
                nested = _shape_of(option)
        shape[name] = _Field(not info.is_required(), sole, nested, many)
    return shape


_SHAPE = _shape_of(ModelTemplateRequest)
