"""Write a template body as YAML that loads back to exactly the same data.

`import` turns what the API holds into files, and those files must then mean exactly
what is live: `plan` finds them equal, `validate` finds no YAML trap in them. So every
string is written in the first of these forms that is safe under YAML 1.1 as libyaml
reads it, and plain only when the resolver reads it as a string (`1.10`, `yes`, `~`,
`2024-01-31`, `0x1F`, `1:20` are quoted):

- plain, for printable one-line text without YAML syntax in it (`image: my-server`);
- a literal block (`|`, `|-`, `|+`), for printable multi-line text without trailing
  spaces (those would be invisible, and editors strip them);
- double quotes with JSON-style escapes, for everything else: control characters,
  invisible ones (`\\ufeff`, `\\u2028`, `\\x85`, tabs) and quotes are escaped, so nothing
  is read raw that libyaml refuses or folds; characters past U+FFFF are escaped as
  `\\UXXXXXXXX`, since libyaml refuses JSON's surrogate pairs.

The layout is `template-registry new`'s: block style, 2-space indent, sequences indented
under their key, keys in the model's field order (unknown keys after them, as given).
Written by hand rather than with `yaml.dump`, whose layout and quoting choices differ.
Pure: no I/O.
"""

from __future__ import annotations

import math
from typing import Any

import yaml
from yaml.nodes import ScalarNode

from registry.compare import model_shape, restrict

INDENT = 2
# libyaml reads an implicit (simple) key only up to 1024 characters; longer ones are
# written as explicit keys (`? KEY` then `: VALUE`).
MAX_SIMPLE_KEY = 1000
_STR_TAG = "tag:yaml.org,2002:str"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_RESOLVER = yaml.resolver.Resolver()
# Characters that begin YAML syntax when they open a plain scalar.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def create_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The create fields of BODY without null values at any depth: what a file holds."""
    kept: dict[str, Any] = _without_nulls(restrict(body))
    return kept


def dump_template(body: dict[str, Any]) -> str:
    """BODY's create fields as YAML text; ValueError/TypeError for what YAML cannot hold."""
    data = create_fields(body)
    if not data:
        return "{}\n"
    return "\n".join(_mapping(data, 0, model_shape())) + "\n"


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _mapping(data: dict[str, Any], indent: int, shape: dict[str, Any] | None) -> list[str]:
    """A non-empty block mapping at INDENT, keys in SHAPE's order, then the others."""
    known = [key for key in shape if key in data] if shape else []
    keys = known + [key for key in data if not shape or key not in shape]
    pad = " " * indent
    lines: list[str] = []
    for key in keys:
        if not isinstance(key, str):
            raise TypeError(f"mapping key {key!r} is not a string")
        field = shape.get(key) if shape else None
        text = _key(key)
        if len(text) <= MAX_SIMPLE_KEY:
            prefix = pad + text
        else:
            lines.append(f"{pad}? {text}")
            prefix = pad
        lines += _entry(prefix, data[key], indent, field.shape if field else None)
    return lines


def _entry(prefix: str, value: Any, indent: int, shape: dict[str, Any] | None) -> list[str]:
    """`PREFIX: VALUE` (PREFIX is the key, or only the indent after an explicit key)."""
    if isinstance(value, dict) and value:
        return [prefix + ":", *_mapping(value, indent + INDENT, shape)]
    if isinstance(value, list) and value:
        return [prefix + ":", *_sequence(value, indent + INDENT, shape)]
    first, rest = _scalar(value, indent)
    return [f"{prefix}: {first}", *rest]


def _sequence(items: list[Any], indent: int, shape: dict[str, Any] | None) -> list[str]:
    """A non-empty block sequence whose dashes stand at INDENT."""
    pad = " " * indent
    lines: list[str] = []
    for item in items:
        if isinstance(item, dict | list) and item:
            inner = (_mapping(item, indent + INDENT, shape) if isinstance(item, dict)
                     else _sequence(item, indent + INDENT, None))
            lines += [f"{pad}- {inner[0][indent + INDENT:]}", *inner[1:]]
        else:
            first, rest = _scalar(item, indent)
            lines += [f"{pad}- {first}", *rest]
    return lines


def _scalar(value: Any, indent: int) -> tuple[str, list[str]]:
    """The text after `key: ` or `- `, and the lines of a block scalar's content."""
    if value is None:
        return "null", []
    if isinstance(value, bool):
        return ("true" if value else "false"), []
    if isinstance(value, int):
        return str(value), []
    if isinstance(value, float):
        return _float(value), []
    if isinstance(value, str):
        if _plain_ok(value):
            return value, []
        if _literal_ok(value):
            return _literal(value, indent + INDENT)
        return _quoted(value), []
    if isinstance(value, dict | list) and not value:
        return ("{}" if isinstance(value, dict) else "[]"), []
    raise TypeError(f"cannot write a {type(value).__name__} as a template value")


def _key(key: str) -> str:
    return key if _plain_ok(key) else _quoted(key)


def _plain_ok(text: str) -> bool:
    """Whether TEXT, written bare, is read back as exactly this string."""
    if not text or not text.isprintable() or text != text.strip():
        return False  # isprintable is False for tabs, breaks, controls and odd spaces
    first = text[0]
    if first in _INDICATORS and not (first in "-?:" and len(text) > 1 and text[1] != " "):
        return False
    if text.startswith(("---", "...")) or ": " in text or " #" in text or text.endswith(":"):
        return False
    return bool(_RESOLVER.resolve(ScalarNode, text, (True, False)) == _STR_TAG)  # type: ignore[no-untyped-call]


def _literal_ok(text: str) -> bool:
    """Whether TEXT reads well and safely as a literal block: printable lines, no
    trailing spaces, at least one line with content."""
    if "\n" not in text:
        return False
    lines = text.rstrip("\n").split("\n")
    return (any(lines) and "".join(lines).isprintable()
            and not any(line.endswith(" ") for line in lines))


def _literal(text: str, content_indent: int) -> tuple[str, list[str]]:
    """A literal block: `|` plus chomping (`-` no final break, `+` several), with an
    indentation indicator when the first line with content starts with a space."""
    body = text.rstrip("\n")
    breaks = len(text) - len(body)
    chomp = "-" if breaks == 0 else ("" if breaks == 1 else "+")
    lines = body.split("\n")
    first = next(line for line in lines if line)
    header = f"|{INDENT}{chomp}" if first.startswith(" ") else f"|{chomp}"
    pad = " " * content_indent
    content = [pad + line if line else "" for line in lines]
    return header, content + [""] * max(0, breaks - 1)


def _quoted(text: str) -> str:
    """A one-line double-quoted scalar; every character that is not printable is escaped."""
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        else:
            code = ord(char)
            if 0xD800 <= code <= 0xDFFF:
                raise ValueError(f"the text {text[:40]!r} holds a lone surrogate (U+{code:04X}), "
                                 "which neither UTF-8 nor YAML can hold")
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _float(value: float) -> str:
    """A float YAML 1.1 reads back as that float (its pattern needs a dot and a signed
    exponent: Python's `1e-05` would be read as a string)."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    if exponent and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    if _RESOLVER.resolve(ScalarNode, text, (True, False)) != _FLOAT_TAG:  # type: ignore[no-untyped-call]
        raise ValueError(f"cannot write the float {value!r} as YAML")
    return text
