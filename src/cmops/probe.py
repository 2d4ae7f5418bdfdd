"""A video file's facts (duration, size as displayed, frame rate, codec), read from its headers.

The edge where validation and the publisher read a video before the pure core judges it
against each network's limits (:meth:`cmops.text.limits.NetworkRules.video_refusals`). It
uses MediaInfo through pymediainfo, whose wheel bundles libmediainfo: it reads the MP4, MOV
and WebM headers without decoding a frame, and needs no ffprobe binary on the machine.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cmops.text.limits import VideoFacts


def video_facts(path: Path | str) -> VideoFacts | None:
    """What ``path`` says of itself as a video; None when it is not a readable video (no
    video track, garbage, a file cut short, or unreadable). Never raises for a bad file.

    A file is read once while its size and modification time stay the same, so validation
    and the publisher's check of one run (or a validate run naming a file in many posts)
    share one reading."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _probe(os.fspath(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=256)
def _probe(path: str, size: int, mtime_ns: int) -> VideoFacts | None:
    del size, mtime_ns  # the cache key only: a rewritten file is read again
    from pymediainfo import MediaInfo  # ~15 ms to import: only a run with a video pays it

    try:
        info = MediaInfo.parse(path)
    except (OSError, RuntimeError, ValueError):  # unreadable, or not a file MediaInfo parses
        return None
    general = info.general_tracks[0] if info.general_tracks else None
    if not info.video_tracks or general is None or general.istruncated == "Yes":
        return None  # a cut-short file would be refused by the network's own check
    track = info.video_tracks[0]
    seconds = _number(track.duration) or _number(general.duration)
    seconds = seconds / 1000 if seconds else None  # MediaInfo gives milliseconds
    width, height = _int(track.width), _int(track.height)
    rotation = _number(track.rotation) or 0.0
    if round(abs(rotation)) % 180 == 90:  # shown turned a quarter: the sides swap
        width, height = height, width
    fps = _number(track.frame_rate)
    frames = _number(track.frame_count)
    if not fps and frames and seconds:
        fps = round(frames / seconds, 3)
    codec = track.format if isinstance(track.format, str) and track.format else None
    return VideoFacts(seconds, width, height, fps or None, codec)


def _number(value: object) -> float | None:
    """MediaInfo's numbers come as int, float or text (``"29.970"``); anything else: None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _int(value: object) -> int | None:
    number = _number(value)
    return int(number) if number and number > 0 else None
