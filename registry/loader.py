"""Load one template file's bytes into plain data, with the position of every key and value.

The file is read as a stream of libyaml events (the C parser) and the data built here,
iteratively, so that each YAML trap is a finding rather than a surprise: aliases stop
the load at the first one (a billion-laughs file costs nothing), custom tags, several
documents, deep nesting, duplicate keys and non-mapping top levels are all refused, and
plain scalars that YAML types as something other than a string keep their source text,
so the schema rule can tell the user to quote them. Nothing here does I/O.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode

from registry.files import MAX_BYTES
from registry.findings import Finding

MAX_DEPTH = 32

Path = tuple[str | int, ...]
Position = tuple[int, int]

_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    _STR, "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_TYPE_NAMES = {
    "tag:yaml.org,2002:int": "integer", "tag:yaml.org,2002:float": "float",
    "tag:yaml.org,2002:bool": "boolean", "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "date",
}
_CONSTRUCTOR = SafeConstructor()
_RESOLVER = yaml.resolver.Resolver()
# First characters for which YAML 1.1 may read a plain scalar as something other than a string.
_IMPLICIT_FIRST = frozenset(k for k in _RESOLVER.yaml_implicit_resolvers if k)
# Plain scalars already resolved: text -> (value, YAML type or None). Values are immutable.
_PLAIN_MEMO: dict[str, tuple[Any, str | None]] = {}
_PLAIN_MEMO_SIZE = 20_000


@dataclass(slots=True)
class Document:
    """A template's data and where each part of it stands in the file."""

    path: str
    data: dict[str, Any]
    keys: dict[Path, Position] = field(default_factory=dict)
    values: dict[Path, Position] = field(default_factory=dict)
    # Plain (unquoted) scalars that YAML read as a non-string: path -> (source text, type).
    implicit: dict[Path, tuple[str, str]] = field(default_factory=dict)

    def position(self, path: Path, *, prefer: str = "key") -> Position:
        """Where PATH stands: its key (or its value), else the nearest ancestor's, else 1:1."""
        first, second = (self.keys, self.values) if prefer == "key" else (self.values, self.keys)
        probe = path
        while probe:
            found = first.get(probe) or second.get(probe)
            if found:
                return found
            probe = probe[:-1]
        return (1, 1)

    def finding(self, rule: str, path: Path, message: str, *, severity: str = "error",
                prefer: str = "key") -> Finding:
        line, column = self.position(path, prefer=prefer)
        return Finding(self.path, line, column, "warning" if severity == "warning" else "error",
                       rule, message)


@dataclass(slots=True)
class LoadResult:
    document: Document | None
    findings: list[Finding]


class _Stop(Exception):
    """Raised to end a load at the first fatal finding."""

    def __init__(self, line: int, column: int, rule: str, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.rule, self.message = line, column, rule, message


def describe(value: Any) -> str:
    """A short, user-facing description of a loaded value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime.date):
        return "a date"
    return type(value).__name__


def label(loc: Path) -> str:
    """`vendor_configuration.bundle_config.command[2]` for a location tuple."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "the template"


def decode(raw: bytes, path: str) -> tuple[str | None, list[Finding]]:
    """Bytes to text: refuse files over 1 MiB and bytes that are not UTF-8, with a position."""
    if len(raw) > MAX_BYTES:
        return None, [Finding(path, 1, 1, "error", "yaml-unsafe",
                              "file is larger than 1 MiB; a template is a few KiB "
                              "(is this a template?)")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        return None, [Finding(path, line, column, "error", "yaml-unsafe",
                              f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded; "
                              "save the file as UTF-8")]
    return text.removeprefix("\ufeff"), []


def load_document(raw: bytes, path: str) -> LoadResult:
    """Parse RAW (a file's bytes) into a Document, or into the findings that prevent it."""
    text, findings = decode(raw, path)
    if text is None:
        return LoadResult(None, findings)
    document = Document(path, {})
    try:
        data, findings = _build(text, document)
    except _Stop as stop:
        return LoadResult(None, [Finding(path, stop.line, stop.column, "error", stop.rule,
                                         stop.message)])
    except yaml.MarkedYAMLError as exc:
        return LoadResult(None, [_syntax_finding(path, exc)])
    except yaml.reader.ReaderError as exc:
        line, column = _offset_position(text, exc.position)
        return LoadResult(None, [Finding(path, line, column, "error", "yaml-syntax",
                                         f"character U+{_codepoint(exc.character):04X} is not "
                                         "allowed in YAML "
                                         "(control characters must be escaped in double quotes)")])
    document.data = data
    return LoadResult(document, findings)


def _codepoint(character: int | str) -> int:
    return character if isinstance(character, int) else ord(character[:1] or "\0")


def _offset_position(text: str, offset: int) -> Position:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _syntax_finding(path: str, exc: yaml.MarkedYAMLError) -> Finding:
    problem = exc.problem or "invalid YAML"
    mark = exc.problem_mark
    if "tab" in problem or "'\\t'" in problem:
        message = "a tab character is used for indentation; YAML allows only spaces"
    elif "end of stream" in problem and exc.context and exc.context_mark is not None:
        mark = exc.context_mark
        message = f"{exc.context}: it is never closed (reached the end of the file)"
        if "quoted" in exc.context:
            message = "unclosed quote: this quoted string is never closed"
    else:
        message = problem if not exc.context else f"{problem} ({exc.context})"
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Finding(path, line, column, "error", "yaml-syntax", message)


def _memo(text: str, value: Any, value_type: str | None) -> None:
    """Remember how a plain scalar resolves: keys and small values repeat across files."""
    if len(_PLAIN_MEMO) >= _PLAIN_MEMO_SIZE:
        _PLAIN_MEMO.clear()
    _PLAIN_MEMO[text] = (value, value_type)


def _scalar(event: Any) -> tuple[Any, str | None]:
    """The value of a scalar event and, for a plain scalar typed by YAML, that type's name."""
    value: str = event.value
    tag = event.tag
    if tag is None or tag == "!":
        plain = event.implicit[0] and not event.style
        if not plain or (value and value[0] not in _IMPLICIT_FIRST):
            return value, None
        tag = _RESOLVER.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
        if tag == _STR or tag not in _TYPE_NAMES:  # merge '<<', value '=': keep the text
            _memo(value, value, None)
            return value, None
        implicit_type: str | None = _TYPE_NAMES[tag]
    elif tag not in _SCALAR_TAGS:
        line, column = event.start_mark.line + 1, event.start_mark.column + 1
        raise _Stop(line, column, "yaml-unsafe",
                    f"tag {tag!r} is not allowed: templates are plain data, write the value "
                    "without a tag")
    else:
        implicit_type = None
        if tag == _STR:
            return value, None
    node = ScalarNode(tag, value, event.start_mark, event.end_mark)
    try:
        constructor = _CONSTRUCTOR.yaml_constructors[tag]
        constructed = constructor(_CONSTRUCTOR, node)
        if implicit_type is not None:
            _memo(value, constructed, implicit_type)
        return constructed, implicit_type
    except (ValueError, yaml.YAMLError):
        line, column = event.start_mark.line + 1, event.start_mark.column + 1
        raise _Stop(line, column, "yaml-syntax", f"{value!r} is not a valid {tag}") from None


def _check_anchor(event: Any) -> None:
    if event.anchor is not None:
        mark = event.start_mark
        raise _Stop(mark.line + 1, mark.column + 1, "yaml-unsafe",
                    f"anchor &{event.anchor} is not allowed: templates use no anchors or "
                    "aliases; write each value out")


def _add_key(document: Document, frame: list[Any], raw: str, key_type: str | None,
             position: Position, findings: list[Finding]) -> None:
    """Record a mapping key: its position, and findings for a duplicate or a typed key."""
    line, column = position
    if key_type is not None:
        findings.append(Finding(document.path, line, column, "error", "yaml-implicit-type",
                                f"key {raw!r} is read by YAML as a {key_type}, not a string; "
                                f"quote it: \"{raw}\""))
    seen: dict[str, int] = frame[3]
    if raw in seen:
        findings.append(Finding(document.path, line, column, "error", "yaml-duplicate-key",
                                f"duplicate key {raw!r} (first at line {seen[raw]}); YAML keeps "
                                "only the last one silently"))
    else:
        seen[raw] = line
        document.keys[(*frame[1], raw)] = position
    frame[2] = raw


def _build(text: str, document: Document) -> tuple[dict[str, Any], list[Finding]]:
    """Walk the event stream once, building data and positions; raise _Stop on a trap.

    The loop is the hot path of a cold `validate` (about 130 events per template), so
    the common case, a plain or quoted string scalar, is handled first and inline.
    """
    loader = yaml.CSafeLoader(text)
    findings: list[Finding] = []
    values, implicit = document.values, document.implicit
    get_event = loader.get_event
    scalar_event, mapping_start = yaml.ScalarEvent, yaml.MappingStartEvent
    sequence_start, alias_event = yaml.SequenceStartEvent, yaml.AliasEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    implicit_first = _IMPLICIT_FIRST
    plain_memo = _PLAIN_MEMO
    # Each open collection: [container, its path, pending key or None, {key: line}, is_map].
    stack: list[list[Any]] = []
    frame: list[Any] | None = None
    root: Any = None
    documents = 0
    try:
        while True:
            event: Any = get_event()
            kind = type(event)
            if kind in ends:
                done = stack.pop()[0]
                frame = stack[-1] if stack else None
                if frame is None:
                    root = done
                continue
            if kind is scalar_event:
                is_key = frame is not None and frame[4] and frame[2] is None
                raw = event.value
                if event.anchor is None and event.tag is None and (
                        event.style or (raw and raw[0] not in implicit_first)):
                    value: Any = raw
                    value_type: str | None = None
                elif event.anchor is None and event.tag is None and raw in plain_memo:
                    value, value_type = plain_memo[raw]
                else:
                    _check_anchor(event)
                    value, value_type = _scalar(event)
                mark = event.start_mark
                position = (mark.line + 1, mark.column + 1)
                if is_key:
                    _add_key(document, frame, raw, value_type, position, findings)  # type: ignore[arg-type]
                    continue
            elif kind is mapping_start or kind is sequence_start:
                _check_anchor(event)
                mark = event.start_mark
                position = (mark.line + 1, mark.column + 1)
                if frame is not None and frame[4] and frame[2] is None:
                    raise _Stop(*position, "yaml-syntax",
                                "a mapping key must be a plain string, not a list or mapping")
                tag = event.tag
                if tag is not None and tag != "!" and tag not in _COLLECTION_TAGS:
                    raise _Stop(*position, "yaml-unsafe",
                                f"tag {tag!r} is not allowed: templates are plain data")
                if len(stack) >= MAX_DEPTH:
                    raise _Stop(*position, "yaml-unsafe",
                                f"nested deeper than {MAX_DEPTH} levels; a template is a few "
                                "levels deep")
                value, value_type = ({} if kind is mapping_start else []), None
            elif kind is alias_event:
                mark = event.start_mark
                raise _Stop(mark.line + 1, mark.column + 1, "yaml-unsafe",
                            f"alias *{event.anchor} is not allowed: anchors and aliases can "
                            "hide content and expand without bound; write the value out")
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    mark = event.start_mark
                    raise _Stop(mark.line + 1, mark.column + 1, "yaml-unsafe",
                                "several YAML documents in one file; a template file holds "
                                "exactly one (remove the '---' separator)")
                continue
            elif kind is yaml.StreamEndEvent:
                break
            else:  # stream start, document end
                continue
            # A value: place it in its parent and remember where it stands.
            if frame is None:
                path: Path = ()
                root = value
            elif frame[4]:
                path = (*frame[1], frame[2])
                frame[0][frame[2]] = value
                frame[2] = None
            else:
                path = (*frame[1], len(frame[0]))
                frame[0].append(value)
            values[path] = position
            if value_type is not None:
                implicit[path] = (event.value, value_type)
            if kind is not scalar_event:
                frame = [value, path, None, {}, kind is mapping_start]
                stack.append(frame)
    finally:
        loader.dispose()
    if documents == 0 or root is None:
        raise _Stop(1, 1, "yaml-unsafe",
                    "the file holds no YAML document (it is empty or only comments); a "
                    "template is a mapping with name, account_id, endpoint_type, model_type "
                    "and vendor_configuration")
    if not isinstance(root, dict):
        line, column = values.get((), (1, 1))
        raise _Stop(line, column, "yaml-unsafe",
                    f"the top level is {describe(root)}; a template file must be a mapping of "
                    "the create body's fields")
    return root, findings
