"""The content repository on disk: where it is, which files are calendar files, media facts.

This is the file-system edge of validation; everything it finds is handed to the pure core.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cmops.prepare import image_facts
from cmops.probe import video_facts
from cmops.rules.context import MediaInfo
from cmops.rules.media import sniff
from cmops.text.limits import ImageFacts

YAML_SUFFIXES = (".yaml", ".yml")


class NoCalendarError(Exception):
    """Not inside a content repository (no ``calendar/`` folder up the tree)."""


def find_root(start: Path) -> Path:
    """The nearest folder, from ``start`` upwards, that holds ``calendar/``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "calendar").is_dir():
            return folder
    raise NoCalendarError(f"no calendar/ folder in {start} or any folder above it; run cmops "
                          "inside a content repository or pass --root DIR")


@dataclass(frozen=True, slots=True)
class CalendarFile:
    rel: str
    """Path relative to the root, with forward slashes."""
    kind: str
    """``post``, ``campaign``, ``channels``… ``unknown`` (a YAML file cmops does not read), or
    ``outside`` (a symbolic link out of the repository: never read)."""
    size: int
    mtime_ns: int


def file_kind(rel: str) -> str:
    """Which kind of calendar file a repository-relative path is."""
    if rel in ("calendar/channels.yaml", "calendar/channels.yml"):
        return "channels"
    if rel.startswith("calendar/posts/"):
        return "post"
    if rel.startswith("calendar/campaigns/") and rel.count("/") == 2:
        return "campaign"
    if rel in ("calendar/pause.yaml", "calendar/pause.yml"):
        return "pause"
    if rel in ("calendar/rules.yaml", "calendar/rules.yml"):
        return "rules"
    if rel in ("calendar/listening.yaml", "calendar/listening.yml"):
        return "listening"
    if rel.startswith("calendar/replies/") and rel.count("/") == 2:
        return "reply"
    if rel in ("calendar/analytics.yaml", "calendar/analytics.yml"):
        return "analytics"
    return "unknown"


KNOWN_OTHER = ("calendar/listening.yaml",
               "calendar/analytics.yaml")


def list_calendar_files(root: Path) -> list[CalendarFile]:
    """Every YAML file under ``calendar/``, sorted by path (so results are deterministic)."""
    out: list[CalendarFile] = []
    real_root = root.resolve()
    if not (root / "calendar").resolve().is_relative_to(real_root):
        return [CalendarFile("calendar", "outside", 0, 0)]
    stack = [os.path.join(root, "calendar")]
    root_len = len(str(root)) + 1
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                name = entry.name
                if name[0] == ".":
                    continue
                if name.endswith(YAML_SUFFIXES):
                    if entry.is_file():
                        rel = entry.path[root_len:]
                        if os.sep != "/":
                            rel = rel.replace(os.sep, "/")
                        if entry.is_symlink() and not \
                                Path(entry.path).resolve().is_relative_to(real_root):
                            out.append(CalendarFile(rel, "outside", 0, 0))
                            continue
                        st = entry.stat()
                        out.append(CalendarFile(rel, file_kind(rel), st.st_size, st.st_mtime_ns))
                elif entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    out.sort(key=lambda f: f.rel)
    return out


class OutsideRepository(ValueError):
    """A path from content that would lead out of the repository (or to no regular file)."""


def media_file(root: Path, rel: str) -> Path:
    """The file a post's media path names, resolved strictly inside ``root`` and a regular
    file (not a device, FIFO or directory); :class:`OutsideRepository` otherwise. Adapters
    read media only through paths this returned."""
    candidate = Path(rel)
    if not rel or candidate.is_absolute() or ".." in candidate.parts or "\\" in rel \
            or "\0" in rel or len(rel) > 1024:
        raise OutsideRepository(f"media path {rel!r} is not a path inside the repository")
    try:
        full = (root / candidate).resolve()
        if not full.is_relative_to(root.resolve()):
            raise OutsideRepository(f"media path {rel!r} leads outside the repository")
        if not full.is_file():
            raise OutsideRepository(f"media path {rel!r} is not a file in the repository")
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        raise OutsideRepository(f"media path {rel!r} cannot be read: {exc}") from None
    return full


def media_info(root: Path, paths: Iterable[str]) -> dict[str, MediaInfo]:
    """Facts about each media path a post names: resolved strictly inside ``root``; a video
    is read for its duration, size, frame rate and codec, an image (whole, with Pillow,
    bounded by the decompression-bomb limit) for whether it decodes, its size and whether it
    is animated: what the publisher's preparation will find."""
    real_root = root.resolve()
    out: dict[str, MediaInfo] = {}
    for rel in set(paths):
        candidate = Path(rel)
        if candidate.is_absolute() or ".." in candidate.parts or "\\" in rel or "\0" in rel \
                or len(rel) > 1024:
            out[rel] = MediaInfo(exists=False, inside=False)
            continue
        try:
            full = (root / candidate).resolve()
        except (OSError, RuntimeError):  # a symlink loop, a name too long
            out[rel] = MediaInfo(exists=False)
            continue
        if not full.is_relative_to(real_root):
            out[rel] = MediaInfo(exists=False, inside=False)
            continue
        try:
            if not full.is_file():  # a directory, FIFO or device: nothing to upload
                raise FileNotFoundError(rel)
            stat = full.stat()
            size = stat.st_size
            with open(full, "rb") as handle:
                head = handle.read(16)
            mime = sniff(head)
            image = _image_facts(str(full), size, stat.st_mtime_ns) \
                if mime and mime.startswith("image/") else None
        except OSError:  # missing, a directory, a name too long…
            out[rel] = MediaInfo(exists=False)
            continue
        video = video_facts(full) if mime and mime.startswith("video/") else None
        out[rel] = MediaInfo(exists=True, size=size, mime=mime, video=video, image=image)
    return out


@lru_cache(maxsize=256)
def _image_facts(path: str, size: int, mtime_ns: int) -> ImageFacts:
    # Keyed on size and mtime too, as video facts are: validate, plan and publish in one
    # process read an unchanged image once.
    del size, mtime_ns
    with open(path, "rb") as handle:
        return image_facts(handle.read())
