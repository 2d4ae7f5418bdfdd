"""The ledger in a local directory (default ``.cmops/state/``).

Each record is replaced atomically (write, fsync, rename, fsync the directory), so a crash at
any instruction leaves the previous record or the new one. Two runs on the same directory
coordinate with one ``flock`` per record, held for the whole run: the kernel releases it when
a process dies, however it dies, so a killed run never blocks the next one.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from cmops.atomic import write_atomic
from cmops.ids import store_path
from cmops.ledger import CorruptRecord, Record, dumps, loads
from cmops.stores import Prepare, key_from_path, lock_path, record_path

DEFAULT_STATE = Path(".cmops/state")


def try_lock(fd: int) -> None:
    """Take an exclusive lock on an open file without waiting (OSError if another process
    holds it). POSIX ``flock``, or ``msvcrt.locking`` on Windows: both are released by the
    operating system when the process dies. Imported here, not at the top, so reading the
    ledger (``cmops plan``, ``status``) needs neither."""
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


class LocalStore:
    claim_marks_sending = False
    needs_lease = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"local directory {path}"
        self._locks: dict[str, int] = {}

    def _file(self, key: str) -> Path:
        return self.path / record_path(key)

    def load(self) -> dict[str, Record | CorruptRecord]:
        out: dict[str, Record | CorruptRecord] = {}
        records = self.path / "records"
        if not records.is_dir():
            return out
        for file in sorted(records.glob("*/*.json")):
            key = key_from_path(file.relative_to(self.path).as_posix())
            if key is None:
                continue
            try:
                out[key] = loads(file.read_bytes(), key)
            except CorruptRecord as exc:
                out[key] = exc
            except OSError as exc:  # a directory or an unreadable file where a record goes
                out[key] = CorruptRecord(key, f"cannot read {file.name}: {exc.strerror}")
        return out

    def read(self, key: str) -> Record | None:
        file = self._file(key)
        if not file.exists():
            return None
        try:
            return loads(file.read_bytes(), key)
        except OSError as exc:
            raise CorruptRecord(key, f"cannot read {file.name}: {exc.strerror}") from None

    def _lock(self, key: str) -> bool:
        if key in self._locks:
            return True
        lock = self.path / lock_path(key)
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try_lock(fd)
        except OSError:
            os.close(fd)
            return False
        self._locks[key] = fd
        return True

    def claim(self, keys: list[str], prepare: Prepare) -> list[Record]:
        owned = []
        for key in keys:
            if not self._lock(key):
                continue  # another live run holds it
            try:
                current = self.read(key)
            except CorruptRecord:
                continue
            record = prepare(key, current)
            if record is None:
                continue
            self.save(record)
            owned.append(record)
        return owned

    def save(self, record: Record) -> None:
        write_atomic(self._file(record.key), dumps(record))

    def checkpoint(self) -> None:
        pass  # every save is already durable

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for fd in self._locks.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._locks.clear()

    # -- plain data files beside the records (snapshots, inbox, cursors: cmops collect) -----
    def read_files(self, prefix: str) -> dict[str, bytes]:
        """Every file under ``prefix`` (a folder of the store), path relative to the store."""
        folder = self.path / prefix
        out: dict[str, bytes] = {}
        if not folder.is_dir():
            return out
        for file in sorted(folder.rglob("*")):
            if file.is_file() and not file.is_symlink() and not file.name.startswith("."):
                out[file.relative_to(self.path).as_posix()] = file.read_bytes()
        return out

    def write_files(self, files: dict[str, bytes], message: str | None = None) -> None:
        """Replace each file atomically, in the order given (write cursors last)."""
        for rel in files:
            store_path(rel)  # raises UnsafeName: nothing is written outside the directory
        for rel, data in files.items():
            write_atomic(self.path / rel, data)
