"""Where the ledger lives, behind one interface.

* :class:`~cmops.stores.local.LocalStore`: a directory (default ``.cmops/state/``), for a
  laptop or a single runner. Each record is its own file, replaced atomically; a per-record
  ``flock`` makes two runs on the same directory take different items.
* :class:`~cmops.stores.git.GitStore`: a branch (default ``cmops-state``) of the content
  repository's remote, for CI. Claims are pushed before anything is sent and outcomes after,
  in batches; a rejected (non-fast-forward) push means another run got there first.

Both keep one file per post × channel, ``records/<post>/<channel>.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from cmops.ids import UnsafeName, record_parts
from cmops.ledger import CorruptRecord, Record

Prepare = Callable[[str, Record | None], Record | None]
"""Given a key and its freshest record (None if none), the claim to save, or None to skip."""


class Store(Protocol):
    description: str
    claim_marks_sending: bool
    """True when a claim must already count as an attempt (the git store pushes claims in a
    batch, so the per-part intent cannot be made durable separately before each send)."""

    needs_lease: bool
    """True when a claim's lease is the only sign its run is alive (the git store); the local
    store knows from its locks, which die with their process."""

    def load(self) -> dict[str, Record | CorruptRecord]:
        ...

    def claim(self, keys: list[str], prepare: Prepare) -> list[Record]:
        """Durably claim these items for this run, each built by ``prepare`` from the record
        as it is once no other run can change it; returns the claims this run owns."""
        ...

    def save(self, record: Record) -> None:
        ...

    def checkpoint(self) -> None:
        """Make every saved record durable where other runs can see it."""
        ...

    def close(self) -> None:
        ...

    def read_files(self, prefix: str) -> dict[str, bytes]:
        """Every data file under ``prefix`` (snapshots, inbox, cursors, the heartbeat)."""
        ...

    def write_files(self, files: dict[str, bytes], message: str | None = None) -> None:
        """Write data files durably where other runs see them (git: one commit, pushed)."""
        ...


def record_path(key: str) -> str:
    """The one way a ledger key becomes a path in a store (raises UnsafeName otherwise)."""
    post, channel = record_parts(key)
    return f"records/{post}/{channel}.json"


def lock_path(key: str) -> str:
    """The lock file of a key: the record's layout, so two keys never share a lock."""
    post, channel = record_parts(key)
    return f"locks/{post}/{channel}.lock"


def key_from_path(path: str) -> str | None:
    parts = path.split("/")
    if len(parts) != 3 or parts[0] != "records" or not parts[2].endswith(".json"):
        return None
    key = f"{parts[1]}/{parts[2][:-5]}"
    try:
        record_parts(key)
    except UnsafeName:
        return None  # not a file cmops wrote: never read as a record
    return key
