"""Reading the calendar as it is on another git revision (thin wrappers over git itself).

Used by ``cmops plan --base REF`` to show a pull request's changes. Works from a shallow CI
checkout: a missing remote branch is fetched (depth 1) once, or the error says what to do.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


class GitError(Exception):
    """A git operation failed; the message says what to do about it."""


def _git(root: Path, *args: str, input_bytes: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=root, input=input_bytes,
                              capture_output=True, timeout=120, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than 120 s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {' '.join(args[:2])}: {message[-1] if message else 'failed'}")
    return done.stdout


def resolve_ref(root: Path, ref: str) -> str:
    """The commit ``ref`` names; fetches ``origin/BRANCH`` (depth 1) when a shallow checkout
    does not have it yet."""
    if ref.startswith("-"):
        raise GitError(f"{ref!r} is not a git revision")
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except GitError:
        pass
    remote, _, branch = ref.partition("/")
    if branch and remote == "origin":
        try:
            _git(root, "fetch", "--no-tags", "--depth=1", "origin",
                 f"+refs/heads/{branch}:refs/remotes/origin/{branch}")
            return _git(root, "rev-parse", "--verify", f"{ref}^{{commit}}").decode().strip()
        except GitError as exc:
            raise GitError(f"cannot find {ref} and fetching it failed ({exc}); in CI, check "
                           "out with fetch-depth: 0 or fetch the base branch first") from None
    raise GitError(f"unknown revision {ref!r}; fetch it first (git fetch origin) or name a "
                   "branch, tag or commit that exists here")


def files_at(root: Path, commit: str, folder: str = "calendar") -> dict[str, bytes]:
    """Every file under ``folder`` (relative to ``root``) at ``commit``: path -> bytes, with
    paths relative to ``root``."""
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    listing = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--",
                   f"{prefix}{folder}")
    entries = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        _mode, kind, sha = meta.split()
        if kind == b"blob":
            entries.append((raw_path.decode("utf-8", "surrogateescape"), sha.decode()))
    if not entries:
        return {}
    batch = _git(root, "cat-file", "--batch",
                 input_bytes="".join(f"{sha}\n" for _, sha in entries).encode())
    out: dict[str, bytes] = {}
    pos = 0
    for path, _ in entries:
        header_end = batch.index(b"\n", pos)
        size = int(batch[pos:header_end].split()[2])
        start = header_end + 1
        out[path[len(prefix):]] = batch[start:start + size]
        pos = start + size + 1
    return out
