"""Bounded, typed-by-us YAML loading for files that arrive in pull requests from anyone.

Post files are hostile input. PyYAML's ``safe_load`` is not enough:

* it resolves aliases, so a 1 KB "billion laughs" document explodes when anything (a schema
  validator, ``json.dumps``) walks the tree;
* it keeps the last of two duplicate keys silently;
* it applies YAML 1.1 implicit typing: ``no`` becomes ``False``, ``10:30`` becomes ``630``,
  ``2024-05-01`` becomes a ``date``.

So we let libyaml (the C parser, when available) build the node graph with *no* implicit
resolvers, then construct Python values ourselves in one walk that rejects aliases, merge keys,
custom tags, duplicate keys and excessive depth, and types plain scalars by the YAML 1.2 core
schema only (``true``/``false``, ``null``, integers, floats). Everything else stays the exact
string the author wrote.

The walk keeps no marks on the fast path; :func:`locate` re-composes a file only when an error
in it needs a line and column.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

try:  # libyaml is ~10x faster; fall back to the pure-Python parser where it is missing.
    from yaml.cyaml import CParser as _Parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _PyParser(Reader, Scanner, Parser, Composer):
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)

    _Parser = _PyParser  # type: ignore[misc,assignment]

MAX_BYTES = 256 * 1024
"""A post is a few KB; anything past this is a mistake or an attack."""
MAX_DEPTH = 32
"""Deepest nesting a calendar file needs is ~6; libyaml itself stops at 1000."""
MAX_DIGITS = 30
"""Longest integer read as a number: no count or id in a calendar comes near it, and Python
refuses to convert past 4,300 digits."""

Path = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_ALLOWED_TAGS = {_STR, _SEQ, _MAP, "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                 "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#103-core-schema), nothing from 1.1.
_NULL = {"null", "Null", "NULL", "~", ""}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?[0-9]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")


@dataclass(frozen=True, slots=True)
class YamlError(Exception):
    """A file that cannot be turned into data. ``line``/``column`` are 1-based."""

    rule: str
    message: str
    line: int = 1
    column: int = 1
    path: Path = ()

    def __str__(self) -> str:
        return self.message


class _Composer(_Parser):
    """libyaml parser + composer with the base resolver: every scalar is tagged ``str``."""

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            return _STR
        if kind is yaml.SequenceNode:
            return _SEQ
        return _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


def compose(text: str) -> yaml.Node | None:
    """Parse ``text`` to a node graph (one document only)."""
    parser = _Composer(text)
    try:
        node: yaml.Node | None = parser.get_single_node()
        return node
    finally:
        parser.dispose()


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _TooLong(Exception):
    """A plain integer of more than :data:`MAX_DIGITS` digits."""


def _plain_scalar(value: str) -> Any:
    if value in _NULL:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    c = value[0]
    if c.isdigit() or c in "+-.":
        if _INT.match(value):
            if len(value.lstrip("+-0")) > MAX_DIGITS:
                raise _TooLong
            return int(value)
        if _FLOAT.match(value):
            return float(value)
    return value


_PLAIN = (None, "")
_ScalarNode, _SequenceNode = yaml.ScalarNode, yaml.SequenceNode


class _Refused(Exception):
    """Raised deep in the walk; each level adds its step to ``path`` on the way out, so the
    fast path never builds a path it does not need."""

    def __init__(self, node: yaml.Node, rule: str, message: str) -> None:
        self.node, self.rule, self.message = node, rule, message
        self.path: list[str | int] = []


def _scalar(node: yaml.ScalarNode) -> Any:
    if node.style in _PLAIN:
        try:
            return _plain_scalar(node.value)
        except _TooLong:
            raise _Refused(node, "yaml.number",
                           f"a number of {len(node.value)} characters; cmops reads whole "
                           f"numbers of up to {MAX_DIGITS} digits (quote it if it is text)"
                           ) from None
    return node.value


def _build(node: yaml.Node, depth: int) -> Any:
    """Values from the node graph; hostile constructs refused. Aliases cannot occur here:
    a document with an anchor never reaches this walk (see :func:`loads`)."""
    if node.tag not in _ALLOWED_TAGS:
        raise _Refused(node, "yaml.tag",
                       f"custom YAML tags are not allowed (found {node.tag[:60]!r}); if "
                       "'!' begins the text, quote the text")
    if node.__class__ is _ScalarNode:
        return _scalar(node)
    if depth >= MAX_DEPTH:
        raise _Refused(node, "yaml.too-deep", f"nesting deeper than {MAX_DEPTH} levels")
    if node.__class__ is _SequenceNode:
        items: list[Any] = []
        for i, item in enumerate(node.value):
            try:
                if item.__class__ is _ScalarNode and item.tag == _STR:
                    items.append(_scalar(item))
                else:
                    items.append(_build(item, depth + 1))
            except _Refused as refused:
                refused.path.insert(0, i)
                raise
        return items
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if key_node.__class__ is not _ScalarNode:
            raise _Refused(key_node, "yaml.key", "mapping keys must be plain text")
        key = key_node.value
        if key in result or key == "<<":
            _refuse_key(node, key_node, key)
        try:
            if value_node.__class__ is _ScalarNode and value_node.tag == _STR:
                result[key] = _scalar(value_node)
            else:
                result[key] = _build(value_node, depth + 1)
        except _Refused as refused:
            refused.path.insert(0, key)
            raise
    return result


def _refuse_key(mapping: yaml.Node, key_node: yaml.ScalarNode, key: str) -> None:
    if key == "<<":
        if key_node.style not in _PLAIN:
            return  # a quoted "<<" is an ordinary key
        raise _Refused(key_node, "yaml.merge-key",
                       "merge keys (<<) are not allowed; write the fields out in full")
    first = next(k for k, _ in mapping.value if k.value == key)
    refused = _Refused(key_node, "yaml.duplicate-key",
                       f"duplicate key {key!r} (first defined on line "
                       f"{first.start_mark.line + 1})")
    refused.path.append(key)
    raise refused


def build(node: yaml.Node) -> Any:
    """Plain data from a composed document, or :class:`YamlError`."""
    try:
        return _build(node, 0)
    except _Refused as refused:
        line, col = _mark(refused.node)
        raise YamlError(refused.rule, refused.message, line, col, tuple(refused.path)) from None


def read_bounded(path: str | os.PathLike[str]) -> bytes:
    """A file's bytes, or :class:`YamlError` when it is larger than :data:`MAX_BYTES`: the
    size is checked before reading, and the read stops past the limit (a file that grows in
    between, or a 2 GB file linked as a post, is never read whole).

    Through the file descriptor, without a buffered file object: a cold validate reads
    10,000 files, and the object (with a read buffer sized for the limit) cost more than the
    read itself."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)  # the size from the open file: one lookup of the path
        if info.st_size > MAX_BYTES:
            raise YamlError("yaml.too-large",
                            f"file is {info.st_size} bytes; the limit is {MAX_BYTES} bytes")
        want = info.st_size + 1  # one byte more than expected: a grown file shows itself
        chunks: list[bytes] = []
        total = 0
        while total <= MAX_BYTES:
            chunk = os.read(fd, min(want, MAX_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if len(chunk) < want and stat.S_ISREG(info.st_mode):
                break  # a regular file's short read is its end
            want = 64 * 1024
    finally:
        os.close(fd)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if len(data) > MAX_BYTES:
        raise YamlError("yaml.too-large", f"file is larger than {MAX_BYTES} bytes")
    return data


def load_bytes(data: bytes) -> Any:
    """Decode and load one file's bytes: size-checked, UTF-8 only."""
    if len(data) > MAX_BYTES:
        raise YamlError("yaml.too-large",
                        f"file is {len(data)} bytes; the limit is {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YamlError("yaml.encoding", "file is not valid UTF-8", line, 1) from None
    return loads(text)


def loads(text: str) -> Any:
    """Turn one YAML document into plain data, or raise :class:`YamlError`."""
    if len(text) > MAX_BYTES:
        raise YamlError("yaml.too-large", f"file is larger than {MAX_BYTES} bytes")
    try:
        if "&" in text:  # no "&", no anchor, so no alias: the common case skips the scan
            _refuse_anchors(text)
        node = compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if "maximum nesting depth" in str(exc):
            raise YamlError("yaml.too-deep", f"nesting deeper than {MAX_DEPTH} levels",
                            line, col) from None
        context = f" {exc.context}" if exc.context else ""
        if exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            context += (f" that starts on line {exc.context_mark.line + 1}, "
                        f"column {exc.context_mark.column + 1}")
        raise YamlError("yaml.syntax",
                        f"YAML syntax error: {exc.problem or 'invalid YAML'}{context}"
                        f"{syntax_hint(text, exc)}", line, col) from None
    except yaml.YAMLError as exc:
        raise YamlError("yaml.syntax", f"YAML error: {exc}") from None
    if node is None:
        return None
    return build(node)


_QUOTED_VALUE = re.compile(r"""\s*(?:- +)?[^\s#'"][^:]*: +(['"])""")
_FIELD_LINE = re.compile(r"\s*[A-Za-z_][\w-]*:(?: |$)")


def syntax_hint(text: str, exc: yaml.MarkedYAMLError) -> str:
    """The likely fix of a YAML syntax error, as ``"; <hint>"`` (empty when none is likely),
    read from the line the parser stopped at. The causes are the mistakes people make in a
    post's text: a ``: `` inside unquoted text, a tab for indentation, a reserved indicator
    (``@``, a backtick, ``%``, ``*``, ``[``, ``{``, ``- ``) starting it, a quote that starts
    it but does not end it (YAML 1.2.2, sections 5.3 "Indicator Characters", 6.1
    "Indentation Spaces" and 7.3.3 "Plain Style": https://yaml.org/spec/1.2.2/)."""
    problem = exc.problem or ""
    mark = exc.problem_mark
    lines = text.splitlines()
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    col = mark.column if mark is not None else 0
    char = line[col:col + 1]
    if "tab character" in problem or char == "\t" or line[:col].strip(" ") == "\t":
        return "; indent with spaces: YAML does not allow tabs for indentation"
    if "mapping values are not allowed" in problem and char == ":":
        quote = "quote the text: it contains ': '" if line[col + 1:col + 2] in (" ", "\t") \
            else "quote the text: it contains ':' at the end of a line"
        if _FIELD_LINE.match(line) and line.index(":") == col and line[:1] == " ":
            return f"; if this line is a field, indent it like the fields above; if it is " \
                   f"text, {quote}"
        return f"; {quote}"
    if "cannot start any token" in problem and char in ("@", "`", "%"):
        return f"; '{char}' is reserved in YAML and cannot begin a plain value: quote the text"
    if "alias" in f"{problem} {exc.context}" and char == "*":
        return "; '*' begins an alias in YAML: quote the text"
    if "block sequence entries are not allowed" in problem and line[col:col + 2] == "- ":
        return "; a value beginning with '- ' is read as a list: quote the text (or put " \
               "the list items on the lines below, indented)"
    if "quoted scalar" in (exc.context or "") and "end of stream" in problem:
        return "; close the quote (inside '…' write a ' as '', inside \"…\" write a \" as " \
               "\\\")"
    if "did not find expected key" in problem or "expected <block end>" in problem:
        quoted = _QUOTED_VALUE.match(line)
        if quoted and col > quoted.end():
            return "; the value begins with a quote, so it ends at the next quote: quote " \
                   "the whole text (inside '…' write a ' as '', inside \"…\" write a \" as " \
                   "\\\") or write it as a block (text: | and the text on the lines below)"
        if line.startswith("- "):
            return "; a list item ('- ') where a field was expected: indent it under the " \
                   "field it belongs to"
    if exc.context and exc.context_mark is not None and "flow" in exc.context:
        opened = lines[exc.context_mark.line][exc.context_mark.column:][:1] \
            if exc.context_mark.line < len(lines) else ""
        if opened in ("[", "{"):
            closing = "]" if opened == "[" else "}"
            return f"; close the '{opened}' with '{closing}', or, if the value is text " \
                   f"beginning with '{opened}', quote the text"
    if "block scalar" in (exc.context or ""):
        return "; after | or > (and an optional - or +) the line must end: the text goes " \
               "on the lines below, indented"
    return ""


def _refuse_anchors(text: str) -> None:
    """An anchor that no alias uses is harmless, but we refuse it too: one rule, no surprises.
    Only files containing ``&`` pay for this event scan."""
    for event in yaml.parse(text, Loader=_Composer):  # type: ignore[arg-type]
        if getattr(event, "anchor", None):
            mark = event.start_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise YamlError("yaml.alias",
                            "anchors and aliases (&name / *name) are not allowed; "
                            "write the value out in full (if '&' begins the text, quote "
                            "the text)", line, col)


def locate(text: str, path: Sequence[str | int], at_key: bool = False) -> tuple[int, int]:
    """Line and column (1-based) of the value at ``path`` (of its key with ``at_key``); the
    nearest existing parent if the path does not exist, so a missing field points at the
    mapping that lacks it."""
    try:
        node = compose(text)
    except yaml.YAMLError:
        return 1, 1
    return locate_in(node, path, at_key)


Keys = dict[int, dict[str, tuple[yaml.Node, yaml.Node]]]
"""Per mapping node (by id), its keys and values: locating many paths in one document
(20,000 unknown fields) stays linear."""


def _keys(node: yaml.MappingNode, keys: Keys) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    table = keys.get(id(node))
    if table is None:
        table = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                table.setdefault(key_node.value, (key_node, value_node))
        keys[id(node)] = table
    return table


def locate_in(node: yaml.Node | None, path: Sequence[str | int],
              at_key: bool = False, keys: Keys | None = None) -> tuple[int, int]:
    """:func:`locate` on an already composed document (compose once, locate many; pass the
    same ``keys`` dict to every call on one document)."""
    if node is None:
        return 1, 1
    keys = {} if keys is None else keys
    last = len(path) - 1
    for i, step in enumerate(path):
        if isinstance(node, yaml.MappingNode):
            found = _keys(node, keys).get(step) if isinstance(step, str) else None
            if found is None:
                return _mark(node)
            if at_key and i == last:
                return _mark(found[0])
            node = found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) \
                and 0 <= step < len(node.value):
            node = node.value[step]
        else:
            break
    return _mark(node)


def original_scalar(text: str, path: Sequence[str | int]) -> str | None:
    """The scalar exactly as written at ``path`` when it is a plain (unquoted) scalar."""
    try:
        node = compose(text)
    except yaml.YAMLError:
        return None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) \
                and 0 <= step < len(node.value):
            node = node.value[step]
        else:
            return None
        if node is None:
            return None
    if isinstance(node, yaml.ScalarNode) and node.style in (None, ""):
        return str(node.value)
    return None
