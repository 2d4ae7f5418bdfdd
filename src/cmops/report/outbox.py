"""The outbox channel's files in the site: every message file and feed a channel with
``network: outbox`` wrote is copied under ``outbox/<channel>/`` of the report, and a log or
post entry that points at such a file (its URL is the file's path in the repository,
``.cmops/outbox/<channel>/<id>.json``) links to the copy, relatively, where the site serves it.

Where the files come from: the repository's folder (a local ledger: ``.cmops/outbox/`` or the
channel's ``path``) and, with the ledger on a git branch, the branch's ``outbox/`` folder
(:mod:`cmops.stores.git` commits them there with the records), the folder winning when both
have a file. Only names the outbox adapter writes are taken (``<id>.json`` and
``feed.xml``), each at most :data:`MAX_BYTES`; the site never serves anything else from there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from cmops.model import Calendar

DEFAULT_DIR = ".cmops/outbox"
BRANCH_PREFIX = "outbox/"
MAX_BYTES = 1 << 20
NAME = re.compile(r"[A-Za-z0-9_-]{1,200}\.json|feed\.xml")
CHANNEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


def channel_dirs(calendar: Calendar) -> dict[str, str]:
    """Each outbox channel's folder, relative to the repository (posix), when it is a plain
    relative folder (the adapter refuses the others)."""
    out = {}
    for name, channel in sorted(calendar.channels.items()):
        if channel.network != "outbox" or not CHANNEL.fullmatch(name):
            continue
        setting = channel.raw.get("path")
        folder = setting if isinstance(setting, str) else f"{DEFAULT_DIR}/{name}"
        parts = PurePosixPath(folder).parts
        if not parts or PurePosixPath(folder).is_absolute() or ".." in parts or \
                parts[0] in (".git", "calendar"):
            continue
        out[name] = PurePosixPath(*parts).as_posix()
    return out


def read_folders(root: Path, dirs: Mapping[str, str]) -> dict[str, bytes]:
    """The files of each channel's folder in the repository (repository path -> bytes)."""
    out: dict[str, bytes] = {}
    real = root.resolve()
    for folder in dirs.values():
        base = root / folder
        if base.is_symlink() or not base.is_dir() or not base.resolve().is_relative_to(real):
            continue
        for path in sorted(base.iterdir()):
            if not NAME.fullmatch(path.name) or path.is_symlink() or not path.is_file():
                continue
            try:
                if path.stat().st_size <= MAX_BYTES:
                    out[f"{folder}/{path.name}"] = path.read_bytes()
            except OSError:
                continue
    return out


def site_files(dirs: Mapping[str, str], here: Mapping[str, bytes],
               branch: Mapping[str, bytes]) -> tuple[dict[str, bytes], dict[str, str]]:
    """(report path -> bytes, repository path -> report path) for every outbox file, from
    the repository's folders (``here``, repository paths) and the ledger branch (``branch``,
    store paths ``outbox/<channel>/<name>`` of the default folder). Pure."""
    files: dict[str, bytes] = {}
    links: dict[str, str] = {}
    for channel, folder in dirs.items():
        found: dict[str, bytes] = {}
        if folder == f"{DEFAULT_DIR}/{channel}":
            prefix = f"{BRANCH_PREFIX}{channel}/"
            found.update((rel[len(prefix):], data) for rel, data in branch.items()
                         if rel.startswith(prefix))
        found.update((rel[len(folder) + 1:], data) for rel, data in here.items()
                     if rel.startswith(folder + "/"))
        for name, data in sorted(found.items()):
            if not NAME.fullmatch(name) or len(data) > MAX_BYTES:
                continue
            target = f"outbox/{channel}/{name}"
            files[target] = data
            links[f"{folder}/{name}"] = target
    return files, links
