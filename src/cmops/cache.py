"""The incremental-validation cache: per-file results keyed on content hashes.

A file's parse and single-file checks depend only on its bytes, so they are reused when the
bytes are the same. Like git's index, a file whose size and mtime are unchanged is trusted
without being read, unless its mtime is too close to when the cache was written to be sure
("racily clean"): then it is read and hashed. Cross-file rules always run again, so a result
from the cache is identical to a cold run.

The cache lives in ``.cmops/cache/`` (git-ignored) and is rewritten atomically. Any doubt
(version change, unreadable or corrupt file) means starting cold, never a wrong answer.
It is stored with :mod:`marshal`, which reads plain data five times faster than JSON and,
unlike pickle, cannot run code when loaded; the file is ours, never from a pull request.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import marshal
import time
from pathlib import Path
from typing import Any

from cmops import __version__
from cmops.atomic import write_atomic
from cmops.schemas import SCHEMA_NAMES, load_schema

CACHE_FORMAT = 7
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
            raw = marshal.loads(path.read_bytes())
            if raw.get("key") == self.key:
                self.entries = raw["files"]
                self.written_ns = int(raw["written_ns"])
        except (OSError, ValueError, KeyError, TypeError, EOFError, AttributeError):
            self.entries = {}
        # Tens of thousands of long-lived cached objects: keep the cyclic GC from walking
        # them again and again while the run allocates.
        gc.freeze()

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

    def put(self, rel: str, size: int, mtime_ns: int, entry: dict[str, Any]) -> dict[str, Any]:
        if entry.get("size") != size or entry.get("mtime_ns") != mtime_ns:
            entry["size"] = size
            entry["mtime_ns"] = mtime_ns
            self.dirty = True
        if self.entries.get(rel) is not entry:
            self.entries[rel] = entry
            self.dirty = True
        return entry

    def set_post(self, rel: str, answer: dict[str, Any]) -> None:
        """Store a post's calendar-rule answer beside its file entry."""
        self.entries[rel]["post"] = answer
        self.dirty = True

    def save(self, keep: set[str]) -> None:
        stale = self.entries.keys() - keep
        if not self.dirty and not stale and self.written_ns:
            return
        for rel in stale:
            del self.entries[rel]
        payload = {"key": self.key, "written_ns": time.time_ns(), "files": self.entries}
        # A read-only checkout still validates; it just is not incremental.
        with contextlib.suppress(OSError):
            write_atomic(self.path, marshal.dumps(payload), durable=False)
