"""The ledger on a git branch of the content repository's remote (default ``cmops-state``).

For CI, where runners are thrown away after each run. The branch holds one file per post ×
channel (``records/<post>/<channel>.json``), so runs touching different items never
conflict. Commits are built with plumbing (a private index, ``commit-tree``) on top of the
branch as last fetched, and pushed without force: a push that is not a fast-forward is
rejected by the remote, which is the compare-and-swap that makes two runs safe. The user's
work tree, index and branches are never touched; the fetched tip lives under
``refs/cmops/``.

The outbox channel's files (``.cmops/outbox/``, see :mod:`cmops.adapters.outbox`) live on
the branch too, under ``outbox/``: a run restores them into the work tree before it claims
(so the feed keeps every entry and a replay finds its file), and commits what changed in
that folder with its outcomes, in the same commit, so a message's file and its record are
kept or lost together. ``cmops report --state-branch`` copies them into the site.

A run makes a small constant number of pushes: one for all its claims (before anything is
sent) and one for all its outcomes (at the end), plus one per lost race. Because claims are
pushed in one batch, a claim already counts as an attempt: after a crash, every claimed part
is reconciled with its network before anything is sent again.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from cmops.atomic import write_atomic
from cmops.faults import crash_point
from cmops.ids import UnsafeName, store_path
from cmops.ledger import CorruptRecord, Record, dumps, loads
from cmops.stores import Prepare, key_from_path, record_path

MAX_RACES = 8
OUTBOX_DIR = ".cmops/outbox"
"""The outbox channel's default folder (channels with their own ``path`` are not kept)."""
OUTBOX_PREFIX = "outbox/"
OUTBOX_MAX_BYTES = 1 << 20
"""A file larger than this in the outbox folder was not written by cmops: never committed."""


class GitStoreError(Exception):
    pass


class GitStore:
    claim_marks_sending = True
    needs_lease = True

    def __init__(self, root: Path, branch: str = "cmops-state", remote: str = "origin") -> None:
        self.root = root
        self.branch = branch
        self.remote = remote
        self.ref = f"refs/cmops/{branch}"
        self.description = f"git branch {branch} of {remote}"
        self.pushes = 0
        self.base: str | None = None
        self.records: dict[str, Record | CorruptRecord] = {}
        self.staged: dict[str, bytes] = {}
        self.outbox: dict[str, bytes] = {}
        """The outbox files on the branch as last fetched (store path -> bytes)."""
        self.outbox_restored = False
        try:
            self._git("rev-parse", "--absolute-git-dir")
        except GitStoreError:
            raise GitStoreError(f"{root} is not a git repository: --state-branch needs "
                                "one") from None
        if self._run("remote", "get-url", remote).returncode != 0:
            raise GitStoreError(f"git remote {remote!r} is not configured in {root}")

    # -- git plumbing ------------------------------------------------------------------------
    def _env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C", **extra)
        for role in ("AUTHOR", "COMMITTER"):
            env.setdefault(f"GIT_{role}_NAME", "cmops")
            env.setdefault(f"GIT_{role}_EMAIL", "cmops@users.noreply.github.com")
        return env

    def _run(self, *args: str, stdin: bytes | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["git", "-C", str(self.root), *args], input=stdin,
                              capture_output=True, env=env or self._env(), check=False)

    def _git(self, *args: str, stdin: bytes | None = None,
             env: dict[str, str] | None = None) -> str:
        done = self._run(*args, stdin=stdin, env=env)
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitStoreError(f"git {args[0]} failed: {message[-1] if message else '?'}")
        return done.stdout.decode("utf-8", "replace")

    def _fetch(self) -> None:
        done = self._run("fetch", "--quiet", "--no-tags", self.remote,
                         f"+refs/heads/{self.branch}:{self.ref}")
        if done.returncode == 0:
            self.base = self._git("rev-parse", self.ref).strip()
            return
        err = done.stderr.decode("utf-8", "replace")
        if "couldn't find remote ref" in err or "could not find remote ref" in err.lower():
            self._run("update-ref", "-d", self.ref)
            self.base = None  # the branch does not exist yet: the first push creates it
            return
        raise GitStoreError(f"cannot fetch {self.branch} from {self.remote}: "
                            f"{err.strip().splitlines()[-1] if err.strip() else '?'}")

    def _read(self) -> dict[str, Record | CorruptRecord]:
        out: dict[str, Record | CorruptRecord] = {}
        for path, blob in self.read_files("records/").items():
            key = key_from_path(path)
            if key is None:
                continue
            try:
                out[key] = loads(blob, key)
            except CorruptRecord as exc:
                out[key] = exc
        return out

    def _commit(self, files: dict[str, bytes], message: str,
                removed: frozenset[str] = frozenset()) -> str:
        """A commit on top of the branch as last fetched, with ``files`` (path in the store ->
        bytes) written over it and ``removed`` taken out; the work tree and the user's index
        are never touched."""
        for rel in [*files, *removed]:
            store_path(rel)  # one entry per line of --index-info: no forged lines
        with tempfile.TemporaryDirectory(prefix="cmops-state-") as tmp:
            paths = []
            for n, data in enumerate(files.values()):
                path = Path(tmp) / f"{n}.json"
                path.write_bytes(data)
                paths.append(str(path))
            shas = self._git("hash-object", "-w", "--no-filters", "--stdin-paths",
                             stdin="\n".join(paths).encode()).split() if paths else []
            env = self._env(GIT_INDEX_FILE=str(Path(tmp) / "index"))
            if self.base:
                self._git("read-tree", self.base, env=env)
            else:
                self._git("read-tree", "--empty", env=env)
            info = "".join(f"100644 {sha}\t{path}\n"
                           for path, sha in zip(files, shas, strict=True))
            info += "".join(f"0 {'0' * 40}\t{path}\n" for path in sorted(removed)
                            if path not in files)
            self._git("update-index", "--add", "--index-info", stdin=info.encode(), env=env)
            tree = self._git("write-tree", env=env).strip()
        parents = ["-p", self.base] if self.base else []
        return self._git("commit-tree", tree, *parents, "-m", message).strip()

    def _push(self, commit: str) -> bool:
        """True if the remote branch now is ``commit``; False if another run moved it."""
        self.pushes += 1
        done = self._run("push", "--quiet", "--porcelain", self.remote,
                         f"{commit}:refs/heads/{self.branch}")
        if done.returncode == 0:
            crash_point("after-push")  # the remote has it; this process never learns
            self._git("update-ref", self.ref, commit)
            self.base = commit
            return True
        output = (done.stdout + done.stderr).decode("utf-8", "replace")
        if "[rejected]" in output or "fetch first" in output or "non-fast-forward" in output \
                or ("[remote rejected]" in output and "cannot lock ref" in output):
            return False
        # The answer was lost: maybe the push went through. Look before doing anything else.
        self._fetch()
        if self.base and self._run("merge-base", "--is-ancestor", commit,
                                   self.base).returncode == 0:
            return True
        raise GitStoreError("pushing the ledger failed: "
                            f"{output.strip().splitlines()[-1] if output.strip() else '?'}")

    # -- the Store interface -----------------------------------------------------------------
    def load(self) -> dict[str, Record | CorruptRecord]:
        self._fetch()
        self.records = self._read()
        self.outbox = self.read_files(OUTBOX_PREFIX)
        return dict(self.records)

    # -- the outbox channel's files, kept on the branch -------------------------------------
    def _outbox_dir(self) -> Path:
        return self.root / OUTBOX_DIR

    def _outbox_here(self) -> dict[str, bytes]:
        """The outbox folder's files in the work tree (store path -> bytes): regular files
        with names the store accepts, none larger than :data:`OUTBOX_MAX_BYTES`."""
        base = self._outbox_dir()
        out: dict[str, bytes] = {}
        if not base.is_dir() or base.is_symlink():
            return out
        for path in sorted(base.rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            rel = OUTBOX_PREFIX + path.relative_to(base).as_posix()
            try:
                store_path(rel)
                if path.stat().st_size > OUTBOX_MAX_BYTES:
                    continue
                out[rel] = path.read_bytes()
            except (UnsafeName, OSError):
                continue
        return out

    def restore_outbox(self) -> int:
        """Write the branch's outbox files that the work tree lacks (a fresh CI runner has
        none); returns how many. Files already there are left as they are."""
        base = self._outbox_dir()
        written = 0
        if base.is_symlink() or (base.exists() and not base.is_dir()):
            self.outbox_restored = True  # not a folder cmops made: leave it, delete nothing
            self.outbox = {}
            return 0
        real = self.root.resolve()
        for rel, data in self.outbox.items():
            target = base / rel[len(OUTBOX_PREFIX):]
            try:
                store_path(rel)  # a branch anyone can push to names no path outside
            except UnsafeName:
                continue
            if target.exists() or target.is_symlink() or \
                    not target.parent.resolve().is_relative_to(real):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, data)
            written += 1
        self.outbox_restored = True
        return written

    def _outbox_changes(self) -> tuple[dict[str, bytes], frozenset[str]]:
        """What to commit of the outbox folder: new or changed files, and (once the branch's
        files were restored, so a missing file was really removed) the deleted ones."""
        here = self._outbox_here()
        changed = {rel: data for rel, data in here.items() if self.outbox.get(rel) != data}
        removed = frozenset(rel for rel in self.outbox if rel not in here) \
            if self.outbox_restored else frozenset()
        return changed, removed

    def claim(self, keys: list[str], prepare: Prepare) -> list[Record]:
        if not self.outbox_restored:
            self.restore_outbox()  # before anything is sent: feeds and replays need them
        for _ in range(MAX_RACES):
            claims: dict[str, Record] = {}
            for key in keys:
                current = self.records.get(key)
                if isinstance(current, CorruptRecord):
                    continue
                record = prepare(key, current)
                if record is not None:
                    claims[key] = record
            if not claims:
                return []
            commit = self._commit({record_path(k): dumps(r) for k, r in claims.items()},
                                  f"cmops: claim {len(claims)} item(s)")
            if self._push(commit):
                self.records.update(claims)
                return list(claims.values())
            # Another run pushed first: see what it claimed, then claim the rest.
            self.load()
        raise GitStoreError(f"gave up claiming after {MAX_RACES} lost races on {self.branch}")

    def save(self, record: Record) -> None:
        self.staged[record.key] = dumps(record)

    def checkpoint(self) -> None:
        if not self.staged:
            return
        for _ in range(MAX_RACES):
            # The outbox's files go with the outcomes that wrote them: one commit, one push.
            outbox, removed = self._outbox_changes()
            commit = self._commit({**outbox,
                                   **{record_path(k): d for k, d in self.staged.items()}},
                                  f"cmops: record {len(self.staged)} outcome(s)"
                                  + (f", {len(outbox) + len(removed)} outbox file(s)"
                                     if outbox or removed else ""), removed)
            if self._push(commit):
                self.staged.clear()
                self.outbox.update(outbox)
                for rel in removed:
                    self.outbox.pop(rel, None)
                return
            # Another run moved the branch (its own items). Our items are ours by claim:
            # re-apply our files on top of its commit, after taking its outbox files.
            self._fetch()
            self.outbox = self.read_files(OUTBOX_PREFIX)
            self.restore_outbox()
        raise GitStoreError(f"gave up recording outcomes after {MAX_RACES} lost races: "
                            "the claimed items will be reconciled by the next run")

    def __enter__(self) -> GitStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    # -- plain data files beside the records (snapshots, inbox, cursors: cmops collect) -----
    def read_files(self, prefix: str) -> dict[str, bytes]:
        """Every file under ``prefix`` on the branch as last fetched (``load`` fetches)."""
        if self.base is None:
            return {}
        listing = self._git("ls-tree", "-r", "--full-tree", self.base, prefix.rstrip("/") + "/")
        entries = []
        for line in listing.splitlines():
            meta, path = line.split("\t", 1)
            entries.append((path, meta.split()[2]))
        out: dict[str, bytes] = {}
        if not entries:
            return out
        batch = self._run("cat-file", "--batch",
                          stdin="".join(f"{sha}\n" for _, sha in entries).encode())
        data, pos = batch.stdout, 0
        for path, _ in entries:
            header_end = data.index(b"\n", pos)
            size = int(data[pos:header_end].split()[2])
            out[path] = data[header_end + 1: header_end + 1 + size]
            pos = header_end + 1 + size + 1
        return out

    def write_files(self, files: dict[str, bytes], message: str | None = None) -> None:
        """Commit these files in one commit and push it; on a lost race, fetch and re-apply
        them on top of the other run's commit (collect files are per day and channel)."""
        if not files:
            return
        for _ in range(MAX_RACES):
            commit = self._commit(files, message or f"cmops: collect {len(files)} file(s)")
            if self._push(commit):
                return
            self._fetch()
        raise GitStoreError(f"gave up writing collected data after {MAX_RACES} lost races")


def read_ledger(root: Path, branch: str, remote: str = "origin"
                ) -> dict[str, Record | CorruptRecord]:
    """The ledger as ``branch`` holds it, only read (``cmops plan --state-branch``): fetched
    when the remote answers, else the branch as the checkout already has it
    (``refs/remotes/<remote>/<branch>``: a pull request's review job has no credentials to
    fetch a private repository with). A branch that does not exist yet is an empty ledger;
    nothing is ever written."""
    store = GitStore(root, branch, remote)
    try:
        return store.load()
    except GitStoreError as fetched:
        known = store._run("rev-parse", "--verify", "--quiet",
                           f"refs/remotes/{remote}/{branch}^{{commit}}")
        if known.returncode != 0:
            raise GitStoreError(f"{fetched}; and no refs/remotes/{remote}/{branch} to read "
                                "instead (check out with fetch-depth: 0)") from None
        store.base = known.stdout.decode().strip()
        return store._read()
