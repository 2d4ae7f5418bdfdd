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

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

try:  # libyaml is ~10x faster; fall back to the pure-Python parser where it is missing.
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _PyParser(Reader, Scanner, Parser, Composer):  # type: ignore[misc]
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
MAX_NODES = 20_000

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


class _Composer(_Parser):  # type: ignore[misc,valid-type]
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
        return parser.get_single_node()  # type: ignore[no-any-return]
    finally:
        parser.dispose()


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


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
            return int(value)
        if _FLOAT.match(value):
            return float(value)
    return value


class _Builder:
    """One pass over the node graph: values out, hostile constructs refused."""

    __slots__ = ("count", "seen")

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.count = 0

    def fail(self, node: yaml.Node, path: Path, rule: str, message: str) -> YamlError:
        line, col = _mark(node)
        return YamlError(rule, message, line, col, path)

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        ident = id(node)
        if ident in self.seen:
            # The same node reached twice can only be an alias: refuse instead of expanding.
            raise self.fail(node, path, "yaml.alias",
                            "anchors and aliases (&name / *name) are not allowed; "
                            "write the value out in full")
        self.seen.add(ident)
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, path, "yaml.too-large",
                            f"file has more than {MAX_NODES} values")
        tag = node.tag
        if tag not in _ALLOWED_TAGS:
            raise self.fail(node, path, "yaml.tag",
                            f"custom YAML tags are not allowed (found {tag[:40]!r})")
        if isinstance(node, yaml.ScalarNode):
            if node.style in (None, "") and tag == _STR:
                return _plain_scalar(node.value)
            return node.value
        if depth >= MAX_DEPTH:
            raise self.fail(node, path, "yaml.too-deep",
                            f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, path, "yaml.key", "mapping keys must be plain text")
            key = key_node.value
            if key == "<<" and key_node.style in (None, ""):
                raise self.fail(key_node, path, "yaml.merge-key",
                                "merge keys (<<) are not allowed; write the fields out in full")
            if key in result:
                line, col = _mark(key_node)
                raise YamlError("yaml.duplicate-key",
                                f"duplicate key {key!r} (first defined on line {first_line[key]})",
                                line, col, (*path, key))
            self.seen.add(id(key_node))
            first_line[key] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result


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
        node = compose(text)
        if "&" in text:
            _refuse_anchors(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if "maximum nesting depth" in str(exc):
            raise YamlError("yaml.too-deep", f"nesting deeper than {MAX_DEPTH} levels",
                            line, col) from None
        context = f" {exc.context}" if exc.context else ""
        raise YamlError("yaml.syntax",
                        f"YAML syntax error: {exc.problem or 'invalid YAML'}{context}",
                        line, col) from None
    except yaml.YAMLError as exc:
        raise YamlError("yaml.syntax", f"YAML error: {exc}") from None
    if node is None:
        return None
    return _Builder().build(node, (), 0)


def _refuse_anchors(text: str) -> None:
    """An anchor that no alias uses is harmless, but we refuse it too: one rule, no surprises.
    Only files containing ``&`` pay for this event scan."""
    for event in yaml.parse(text, Loader=_Composer):
        if getattr(event, "anchor", None):
            line, col = event.start_mark.line + 1, event.start_mark.column + 1
            raise YamlError("yaml.alias",
                            "anchors and aliases (&name / *name) are not allowed; "
                            "write the value out in full", line, col)


def locate(text: str, path: Sequence[str | int], at_key: bool = False) -> tuple[int, int]:
    """Line and column (1-based) of the value at ``path`` (of its key with ``at_key``); the
    nearest existing parent if the path does not exist, so a missing field points at the
    mapping that lacks it."""
    try:
        node = compose(text)
    except yaml.YAMLError:
        return 1, 1
    return locate_in(node, path, at_key)


def locate_in(node: yaml.Node | None, path: Sequence[str | int],
              at_key: bool = False) -> tuple[int, int]:
    """:func:`locate` on an already composed document (compose once, locate many)."""
    if node is None:
        return 1, 1
    last = len(path) - 1
    for i, step in enumerate(path):
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == step:
                    if at_key and i == last:
                        return _mark(key_node)
                    node = value_node
                    break
            else:
                return _mark(node)
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
