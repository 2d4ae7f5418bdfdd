"""Checking one file on its own: YAML, schema, and the rules that need nothing else.

Everything here depends only on the file's bytes, which is what makes the result cacheable by
content hash (see :mod:`cmops.cache`).
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable
from typing import Any

from cmops import schemas
from cmops.problems import Finding, Problem, Severity, cap, format_path
from cmops.rules import FILE_RULES
from cmops.rules.duplicates import Sent, sent_of

KINDS = ("post", "campaign", "channels", "pause", "rules", "listening", "reply", "analytics")


class FileResult:
    """A file as far as it could be read, and what is wrong with it on its own.

    From the cache, ``data`` stays a marshalled blob until someone reads it: a warm run that
    only needs a post's id and its cached answers never rebuilds its dicts."""

    __slots__ = ("_blob", "_data", "_sent", "cache_entry", "digest", "kind", "problems", "rel")

    def __init__(self, rel: str, kind: str, digest: str, data: Any = None,
                 problems: list[Problem] | None = None,
                 cache_entry: dict[str, Any] | None = None, blob: bytes | None = None) -> None:
        self.rel, self.kind, self.digest = rel, kind, digest
        self._data, self._blob = data, blob
        self._sent: tuple[Sent | None] | None = None  # (answer,) once worked out
        self.problems = problems if problems is not None else []
        self.cache_entry = cache_entry
        """The cache's record of this file, when a cache is in use (holds post-rule results)."""

    @property
    def data(self) -> Any:
        if self._blob is not None:
            self._data, self._blob = marshal.loads(self._blob), None
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data, self._blob, self._sent = value, None, None

    @property
    def post_id(self) -> str | None:
        if self.cache_entry is not None and "id" in self.cache_entry:
            return self.cache_entry["id"]  # type: ignore[no-any-return]
        data = self.data
        if isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"]:
            return data["id"]  # type: ignore[no-any-return]
        return None

    def as_cache(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"kind": self.kind, "digest": self.digest,
                                 "data": marshal.dumps(self.data),
                 "problems": [[p.line, p.column, p.path, p.rule, p.message, p.severity.value]
                              for p in self.problems]}
        entry["id"] = self.post_id
        signature = self.sent
        entry["sent"] = tuple(signature) if signature is not None else None
        return entry

    @property
    def sent(self) -> Sent | None:
        """What the post.near-duplicate rule compares of a post file (cached with it)."""
        if self.kind != "post":
            return None
        if self.cache_entry is not None and "sent" in self.cache_entry:
            cached = self.cache_entry["sent"]
            return Sent(*cached) if cached is not None else None
        if self._sent is None:  # worked out once: the cache entry and the rules both ask
            data = self.data
            self._sent = (sent_of(data, self.rel) if isinstance(data, dict) else None,)
        return self._sent[0]

    @classmethod
    def from_cache(cls, rel: str, entry: dict[str, Any]) -> FileResult:
        problems = [Problem(rel, line, col, path, rule, msg, Severity(sev))
                    for line, col, path, rule, msg, sev in entry["problems"]]
        return cls(rel, entry["kind"], entry["digest"], None, problems, entry,
                   blob=entry["data"])


def locate_findings(text: str, findings: Iterable[Finding]) -> list[Problem]:
    """Give findings their line and column: the file is composed once, only when needed."""
    findings = list(findings)
    if not findings:
        return []
    from cmops import yamlsafe  # a warm run with nothing to report never imports YAML

    try:
        node = yamlsafe.compose(text)
    except Exception:  # the file did not parse: its syntax error is already reported
        node = None
    out = []
    keys: yamlsafe.Keys = {}
    for f in findings:
        line, col = yamlsafe.locate_in(node, f.path, f.at_key, keys)
        out.append(Problem(f.file, line, col, format_path(f.path), f.rule, f.message,
                           f.severity))
    return out


def _set(data: Any, path: tuple[str | int, ...], value: str) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def check_file(rel: str, kind: str, raw: bytes, digest: str) -> FileResult:
    """Parse and check one calendar file. Never raises for bad content."""
    from cmops import yamlsafe

    result = FileResult(rel, kind, digest)
    try:
        data = yamlsafe.load_bytes(raw)
    except yamlsafe.YamlError as err:
        result.problems.append(Problem(rel, err.line, err.column, format_path(err.path),
                                       err.rule, err.message))
        return result
    if data is None:
        result.problems.append(Problem(rel, 1, 1, "", "file.empty",
                                       f"file is empty; a {kind} file needs its fields"))
        return result
    text = raw.decode("utf-8")
    findings: list[Finding] = []
    if not schemas.is_valid(kind, data):
        errors = schemas.detailed_errors(kind, data)
        # `text: yes` or `version: 1.10` where text is expected: keep what the author wrote.
        retyped = False
        for error in errors:
            if error.expected_string:
                written = yamlsafe.original_scalar(text, error.path)
                if written is not None:
                    _set(data, error.path, written)
                    retyped = True
        if retyped:
            errors = schemas.detailed_errors(kind, data)
        findings.extend(Finding(rel, e.path, e.rule, e.message, at_key=e.at_key)
                        for e in errors)
    result.data = data
    if isinstance(data, dict):
        for rule in FILE_RULES.get(kind, ()):
            findings.extend(rule(rel, data))
    result.problems = cap(locate_findings(text, findings))
    return result
