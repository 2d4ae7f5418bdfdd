"""The incremental-validation cache: per-file results keyed on content hashes.

A file's parse and single-file checks depend only on its bytes, so they are reused when the
bytes are the same. Like git's index, a file whose size and mtime are unchanged is trusted
without being read, unless its mtime is too close to when the cache was written to be sure
("racily clean"): then it is read and hashed. Cross-file rules always run again, so a result
from the cache is identical to a cold run.

The cache lives in ``.cmops/cache/`` (git-ignored) and is rewritten atomically. Any doubt
(version change, unreadable or corrupt file) means starting cold, never a wrong answer.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from cmops import __version__
from cmops.atomic import write_atomic
from cmops.schemas import SCHEMA_NAMES, load_schema

CACHE_FORMAT = 1
RACY_NS = 2_000_000_000


def _key() -> str:
    from cmops.rules import RULE_DOCS  # what the rules are is part of what a result means

    parts = [str(CACHE_FORMAT), __version__, *sorted(RULE_DOCS)]
    parts += [json.dumps(load_schema(n), sort_keys=True) for n in SCHEMA_NAMES]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class ValidateCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.key = _key()
        self.entries: dict[str, dict[str, Any]] = {}
        self.written_ns = 0
        self.dirty = False
        try:
            raw = json.loads(path.read_bytes())
            if raw.get("key") == self.key:
                self.entries = raw["files"]
                self.written_ns = int(raw["written_ns"])
        except (OSError, ValueError, KeyError, TypeError):
            self.entries = {}

    def stat_hit(self, rel: str, size: int, mtime_ns: int) -> dict[str, Any] | None:
        entry = self.entries.get(rel)
        if (entry and entry["size"] == size and entry["mtime_ns"] == mtime_ns
                and mtime_ns < self.written_ns - RACY_NS):
            return entry
        return None

    def digest_hit(self, rel: str, file_digest: str) -> dict[str, Any] | None:
        entry = self.entries.get(rel)
        if entry and entry["digest"] == file_digest:
            return entry
        return None

    def put(self, rel: str, size: int, mtime_ns: int, entry: dict[str, Any]) -> None:
        entry["size"] = size
        entry["mtime_ns"] = mtime_ns
        self.entries[rel] = entry
        self.dirty = True

    def save(self, keep: set[str]) -> None:
        stale = self.entries.keys() - keep
        if not self.dirty and not stale and self.written_ns:
            return
        for rel in stale:
            del self.entries[rel]
        payload = {"key": self.key, "written_ns": time.time_ns(), "files": self.entries}
        try:
            write_atomic(self.path, json.dumps(payload, separators=(",", ":")).encode(),
                         durable=False)
        except OSError:
            pass  # a read-only checkout still validates; it just is not incremental
