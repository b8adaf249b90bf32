"""Load one template file's bytes into plain data, with the position of every key and value.

The file is read as a stream of libyaml events (the C parser) and the data built here,
iteratively, so that each YAML trap is a finding rather than a surprise: aliases stop
the load at the first one (a billion-laughs file costs nothing), custom tags, several
documents, deep nesting, duplicate keys, non-string keys and non-mapping top levels are
all refused, and plain scalars that YAML types as something other than a string keep
their source text, so the schema rule can tell the user to quote them. Numbers that are
base-60, longer than any template value, or dates that do not exist are never built
(building them is slow, or fails): they are reported as type traps. No input raises, and
time and memory stay linear in the file's size. Nothing here does I/O.
"""

from __future__ import annotations

import bisect
import datetime
import re
from typing import Any, NamedTuple

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode

from registry.files import MAX_BYTES
from registry.findings import SHOWN_LENGTH, Finding, shorten, shown
from registry.rules import (
    YAML_DUPLICATE_KEY,
    YAML_IMPLICIT_TYPE,
    YAML_SYNTAX,
    YAML_UNSAFE,
    Rule,
)

MAX_DEPTH = 32
# Characters of the longest number a template may hold (a 64-bit integer has 20). Longer
# ones are reported, never built: PyYAML builds base-60 numbers in quadratic time, and
# Python refuses to print an integer of over 4,300 digits.
MAX_NUMBER_LENGTH = 64
# Findings a load keeps; any more are only counted (checks.py shows the first 50 anyway).
MAX_KEPT = 1_000

Path = tuple[str | int, ...]
Position = tuple[int, int]

_STR = "tag:yaml.org,2002:str"
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
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
_PLAIN_MEMO_LENGTH = 64  # longer texts rarely repeat, and must not pile up across files
# Line breaks for libyaml besides LF and CRLF; editors, git and GitHub do not break there.
_ODD_BREAK = re.compile("\r(?!\n)|[\x85\u2028\u2029]")
_YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class Document:
    """A template's data and where each part of it stands in the file.

    A plain class (the loader fills its tables as it goes), not a dataclass: see
    registry.findings."""

    __slots__ = ("data", "implicit", "keys", "path", "sources", "values")

    def __init__(self, path: str, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        self.keys: dict[Path, Position] = {}
        self.values: dict[Path, Position] = {}
        # Plain (unquoted) scalars that YAML read as a non-string: path -> (text, type).
        self.implicit: dict[Path, tuple[str, str]] = {}
        # A rendered document (registry.rendering) holds values of two files: the file
        # each path's key and value come from, where it is not PATH. Empty for a file's own.
        self.sources: dict[Path, str] = {}

    def with_data(self, data: dict[str, Any]) -> Document:
        """This document's positions with other DATA (a merge patch's result)."""
        other = Document(self.path, data)
        other.keys, other.values = self.keys, self.values
        other.implicit, other.sources = self.implicit, self.sources
        return other

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

    def source(self, path: Path) -> str:
        """The file where `position(PATH)` stands: the nearest ancestor-or-self with a
        position decides, as there."""
        probe = path
        while probe:
            if probe in self.keys or probe in self.values:
                break
            probe = probe[:-1]
        return self.sources.get(probe, self.path)

    def finding(self, rule: Rule, path: Path, message: str, *, prefer: str = "key") -> Finding:
        """A finding of RULE at PATH's key (or value), at the rule's default severity, in
        the file that position belongs to."""
        line, column = self.position(path, prefer=prefer)
        return rule.at(self.source(path) if self.sources else self.path, line, column, message)


class LoadResult(NamedTuple):
    document: Document | None
    findings: list[Finding]
    omitted: int = 0  # findings found beyond MAX_KEPT, counted but not kept


class _Stop(Exception):
    """Raised to end a load at the first fatal finding."""

    def __init__(self, line: int, column: int, rule: Rule, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.rule, self.message = line, column, rule, message


class _LineMap:
    """libyaml's line and column to the file's, for a file where libyaml breaks lines
    that editors and git do not (lone CR, NEL, LS, PS): findings must match the diff."""

    def __init__(self, text: str) -> None:
        self._yaml_starts = [0, *(m.end() for m in _YAML_BREAK.finditer(text))]
        self._starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def __call__(self, position: Position) -> Position:
        line, column = position
        index = self._yaml_starts[min(line, len(self._yaml_starts)) - 1] + column - 1
        line = bisect.bisect_right(self._starts, index)
        return line, index - self._starts[line - 1] + 1


class _Report:
    """The non-fatal findings of one load: at most MAX_KEPT kept, the rest counted."""

    __slots__ = ("findings", "lines", "omitted", "path")

    def __init__(self, path: str, lines: _LineMap | None) -> None:
        self.path, self.lines = path, lines
        self.findings: list[Finding] = []
        self.omitted = 0

    def add(self, position: Position, rule: Rule, message: str) -> None:
        if len(self.findings) >= MAX_KEPT:
            self.omitted += 1
            return
        self.findings.append(rule.at(self.path, *position, message))

    def at(self, position: Position) -> Position:
        """The file's line and column of a libyaml position."""
        return self.lines(position) if self.lines else position


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
    """`vendor_configuration.bundle_config.command[2]` for a location tuple (long keys cut)."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{shorten(part)}" if text else shorten(part)
    return text or "the template"


def decode(raw: bytes, path: str) -> tuple[str | None, list[Finding]]:
    """Bytes to text: refuse files over 1 MiB and bytes that are not UTF-8, with a position."""
    if len(raw) > MAX_BYTES:
        return None, [YAML_UNSAFE.at(path, 1, 1,
                              "file is larger than 1 MiB; a template is a few KiB "
                              "(is this a template?)")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        return None, [YAML_UNSAFE.at(path, line, column,
                              f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded; "
                              "save the file as UTF-8")]
    return text.removeprefix("\ufeff"), []


def load_document(raw: bytes, path: str) -> LoadResult:
    """Parse RAW (a file's bytes) into a Document, or into the findings that prevent it."""
    text, findings = decode(raw, path)
    if text is None:
        return LoadResult(None, findings)
    document = Document(path, {})
    odd = ("\r" in text or "\x85" in text or "\u2028" in text or "\u2029" in text) \
        and _ODD_BREAK.search(text) is not None
    report = _Report(path, _LineMap(text) if odd else None)
    try:
        document.data = _build(text, document, report)
    except _Stop as stop:
        line, column = report.at((stop.line, stop.column))
        return LoadResult(None, [stop.rule.at(path, line, column, stop.message)])
    except yaml.MarkedYAMLError as exc:
        return LoadResult(None, [_syntax_finding(path, text, exc)])
    except yaml.reader.ReaderError as exc:
        # libyaml counts this offset in bytes of the UTF-8 text, not in characters.
        index = len(text.encode("utf-8")[: exc.position].decode("utf-8", "replace"))
        line, column = _offset_position(text, index)
        return LoadResult(None, [YAML_SYNTAX.at(path, line, column,
                                         f"character U+{_codepoint(exc.character):04X} is not "
                                         "allowed in YAML "
                                         "(control characters must be escaped in double quotes)")])
    if report.lines:
        _move_to_file_lines(document, report, report.lines)
    return LoadResult(document, report.findings, report.omitted)


def _move_to_file_lines(document: Document, report: _Report, lines: _LineMap) -> None:
    """Rewrite every libyaml position as the file's line and column (see _LineMap)."""
    document.keys = {path: lines(position) for path, position in document.keys.items()}
    document.values = {path: lines(position) for path, position in document.values.items()}
    moved = []
    for finding in report.findings:
        line, column = lines((finding.line, finding.column))
        moved.append(finding._replace(line=line, column=column))
    report.findings = moved


def _codepoint(character: int | str) -> int:
    return character if isinstance(character, int) else ord(character[:1] or "\0")


def _offset_position(text: str, offset: int) -> Position:
    """The line and column of the character at OFFSET, lines broken at LF as editors do."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _syntax_finding(path: str, text: str, exc: yaml.MarkedYAMLError) -> Finding:
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
    # A mark's index counts characters (its line does not break where the file does).
    line, column = _offset_position(text, mark.index) if mark is not None else (1, 1)
    return YAML_SYNTAX.at(path, line, column, message)


def _memo(text: str, value: Any, value_type: str | None) -> None:
    """Remember how a plain scalar resolves: keys and small values repeat across files."""
    if len(text) > _PLAIN_MEMO_LENGTH:
        return
    if len(_PLAIN_MEMO) >= _PLAIN_MEMO_SIZE:
        _PLAIN_MEMO.clear()
    _PLAIN_MEMO[text] = (value, value_type)


def with_article(type_name: str) -> str:
    """`an integer`, `a float`: a YAML type's name as a message says it."""
    return f"an {type_name}" if type_name[:1] in "aeiou" else f"a {type_name}"


def quote_hint(text: str) -> str:
    """`quote it: "1.10"`, or just `quote it` for a text too long to repeat."""
    return f'quote it: "{text}"' if len(text) <= SHOWN_LENGTH else "quote it"


def _number_trap(value: str, type_name: str) -> str:
    """Why a plain number is not built: base-60 (read as a string by YAML 1.2), or huge."""
    if ":" in value and len(value) <= MAX_NUMBER_LENGTH:
        return (f"{value} is read by YAML 1.1 as a base-60 {type_name} (and by YAML 1.2 as a "
                f"string); {quote_hint(value)}, or write the number in decimal")
    return (f"{shorten(value)} ({len(value)} characters) is read by YAML as "
            f"{with_article(type_name)} longer than any template value; {quote_hint(value)} if "
            "it is a string")


def _start(event: Any) -> Position:
    mark = event.start_mark
    return mark.line + 1, mark.column + 1


def _scalar(event: Any, is_key: bool) -> tuple[Any, str | None]:
    """The value of a scalar event and, for a plain scalar typed by YAML, that type's name.

    A key is not built (it keeps its text; only its type is reported), nor is a plain
    number written in base 60 or too long for a template: both are type traps, and PyYAML
    builds them in quadratic time. A value that does not fit its type stops the load.
    """
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
        type_name = _TYPE_NAMES[tag]
        if is_key:
            return value, type_name
        if tag in _NUMBER_TAGS and (":" in value or len(value) > MAX_NUMBER_LENGTH):
            raise _Stop(*_start(event), YAML_IMPLICIT_TYPE, _number_trap(value, type_name))
        implicit_type: str | None = type_name
    elif tag not in _SCALAR_TAGS:
        raise _Stop(*_start(event), YAML_UNSAFE,
                    f"tag {shown(tag)} is not allowed: templates are plain data, write the value "
                    "without a tag")
    else:
        implicit_type = None
        if tag == _STR:
            return value, None
        if tag in _NUMBER_TAGS and len(value) > MAX_NUMBER_LENGTH:
            raise _Stop(*_start(event), YAML_SYNTAX,
                        f"{_short_tag(tag)} {shorten(value)} has {len(value)} characters; a number "
                        f"in a template has at most {MAX_NUMBER_LENGTH}")
    node = ScalarNode(tag, value, event.start_mark, event.end_mark)
    try:
        constructed = _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
    except Exception:  # PyYAML raises KeyError, IndexError, ValueError... on such values
        if implicit_type is not None:
            raise _Stop(*_start(event), YAML_IMPLICIT_TYPE,
                        f"{shorten(value)} is read by YAML as {with_article(implicit_type)}, but "
                        f"it is not a valid {implicit_type}; {quote_hint(value)}") from None
        raise _Stop(*_start(event), YAML_SYNTAX,
                    f"{shown(value)} is not a valid {_short_tag(tag)}") from None
    if implicit_type is not None:
        _memo(value, constructed, implicit_type)
    return constructed, implicit_type


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _check_anchor(event: Any) -> None:
    if event.anchor is not None:
        raise _Stop(*_start(event), YAML_UNSAFE,
                    f"anchor &{shorten(event.anchor)} is not allowed: templates use no anchors or "
                    "aliases; write each value out")


def _add_key(document: Document, frame: list[Any], raw: str, key_type: str | None,
             position: Position, report: _Report) -> None:
    """Record a mapping key: its position, and findings for a duplicate or a typed key."""
    path = frame[2] = (*frame[1], raw)  # the value's path too
    duplicate = raw in frame[0]  # the mapping being built already holds the key
    if not duplicate:
        document.keys[path] = position
        if key_type is None:
            return
    if len(report.findings) >= MAX_KEPT:  # do not even build the messages
        report.omitted += (key_type is not None) + duplicate
        return
    if key_type is not None:
        report.add(position, YAML_IMPLICIT_TYPE,
                   f"key {shown(raw)} is read by YAML as {with_article(key_type)}, not a string; "
                   f"{quote_hint(raw)}")
    if duplicate:
        first = report.at(document.keys[path])[0]
        report.add(position, YAML_DUPLICATE_KEY,
                   f"duplicate key {shown(raw)} (first at line {first}); YAML keeps only the "
                   "last one silently")


def _build(text: str, document: Document, report: _Report) -> dict[str, Any]:
    """Walk the event stream once, building data and positions; raise _Stop on a trap.

    The loop is the hot path of a cold `validate` (about 130 events per template), so
    the common case, a plain or quoted string scalar, is handled first and inline.
    Positions are libyaml's; load_document moves them in the rare file where it differs.
    """
    loader = yaml.CSafeLoader(text)
    values, implicit, keys = document.values, document.implicit, document.keys
    get_event = loader.get_event
    scalar_event, mapping_start = yaml.ScalarEvent, yaml.MappingStartEvent
    sequence_start, alias_event = yaml.SequenceStartEvent, yaml.AliasEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    implicit_first = _IMPLICIT_FIRST
    plain_memo = _PLAIN_MEMO
    # Each open collection: [container, its path, pending key's path or None, is_map].
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
                is_key = frame is not None and frame[3] and frame[2] is None
                raw = event.value
                if event.anchor is None and event.tag is None and (
                        event.style or (raw and raw[0] not in implicit_first)):
                    value: Any = raw
                    value_type: str | None = None
                elif event.anchor is None and event.tag is None and raw in plain_memo:
                    value, value_type = plain_memo[raw]
                else:
                    _check_anchor(event)
                    value, value_type = _scalar(event, is_key)
                mark = event.start_mark
                position = (mark.line + 1, mark.column + 1)
                if is_key:
                    if value_type is None and raw not in frame[0]:  # type: ignore[index]
                        frame[2] = key_path = (*frame[1], raw)  # type: ignore[index]
                        keys[key_path] = position  # the common key: new, a plain string
                    else:
                        _add_key(document, frame, raw, value_type, position, report)  # type: ignore[arg-type]
                    continue
            elif kind is mapping_start or kind is sequence_start:
                _check_anchor(event)
                mark = event.start_mark
                position = (mark.line + 1, mark.column + 1)
                if frame is not None and frame[3] and frame[2] is None:
                    raise _Stop(*position, YAML_UNSAFE,
                                "a mapping key must be a plain string, not a list or mapping")
                tag = event.tag
                if tag is not None and tag != "!" and tag not in _COLLECTION_TAGS:
                    raise _Stop(*position, YAML_UNSAFE,
                                f"tag {shown(tag)} is not allowed: templates are plain data")
                if len(stack) >= MAX_DEPTH:
                    raise _Stop(*position, YAML_UNSAFE,
                                f"nested deeper than {MAX_DEPTH} levels; a template is a few "
                                "levels deep")
                value, value_type = ({} if kind is mapping_start else []), None
            elif kind is alias_event:
                raise _Stop(*_start(event), YAML_UNSAFE,
                            f"alias *{shorten(event.anchor)} is not allowed: anchors and aliases "
                            "can hide content and expand without bound; write the value out")
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Stop(*_start(event), YAML_UNSAFE,
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
            elif frame[3]:
                path = frame[2]
                frame[0][path[-1]] = value
                frame[2] = None
            else:
                path = (*frame[1], len(frame[0]))
                frame[0].append(value)
            values[path] = position
            if value_type is not None:
                implicit[path] = (event.value, value_type)
            if kind is not scalar_event:
                frame = [value, path, None, kind is mapping_start]
                stack.append(frame)
    finally:
        loader.dispose()
    if documents == 0 or root is None:
        raise _Stop(1, 1, YAML_UNSAFE,
                    "the file holds no YAML document (it is empty or only comments); a "
                    "template is a mapping with name, account_id, endpoint_type, model_type "
                    "and vendor_configuration")
    if not isinstance(root, dict):
        line, column = values.get((), (1, 1))
        raise _Stop(line, column, YAML_UNSAFE,
                    f"the top level is {describe(root)}; a template file must be a mapping of "
                    "the create body's fields")
    return root
