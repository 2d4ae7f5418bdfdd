"""Identifiers that become file names and git paths: safe by construction.

Post ids, channel names and campaign ids come from YAML a pull request can change. The schemas
restrict them, and independently every store turns a ledger key into a path through
:func:`record_parts`, which refuses anything that is not a single safe segment, so no content
can make a store write outside its directory or forge a line of git's index.
"""

from __future__ import annotations

import re

ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}"
"""Post and campaign ids (the schemas carry the same pattern, anchored)."""
CHANNEL_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"

_ID = re.compile(ID_PATTERN)
_CHANNEL = re.compile(CHANNEL_PATTERN)
_POST_SEGMENT = re.compile(rf"({ID_PATTERN})(#[1-9][0-9]{{0,9}})?")
"""A ledger key's post part: the id, and ``#n`` for an occurrence of a repeating post."""


class UnsafeName(ValueError):
    """A name that must not become a path: not one safe segment."""


def is_id(value: str) -> bool:
    """A post or campaign id: letters, digits, ``.``, ``_``, ``-``; 1-100 characters; no
    leading dot (so never ``.`` or ``..``)."""
    return _ID.fullmatch(value) is not None


def is_channel(value: str) -> bool:
    return _CHANNEL.fullmatch(value) is not None


def record_parts(key: str) -> tuple[str, str]:
    """``post[#n]/channel`` -> its two path segments, or :class:`UnsafeName`.

    ``fullmatch`` (not ``$``, which also matches before a trailing newline) and an explicit
    character set: no ``/``, ``\\``, NUL, newline, tab or leading dot can get through.
    """
    post, sep, channel = key.partition("/")
    if not sep or _POST_SEGMENT.fullmatch(post) is None or not is_channel(channel):
        raise UnsafeName(f"ledger key {key!r} is not <post id>/<channel>: refusing to use it "
                         "as a path")
    return post, channel


_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._#@+=-]{0,199}")


def store_path(rel: str) -> str:
    """A path inside a store (``records/a/b.json``, ``snapshots/2026-11-24/x.json``) checked
    segment by segment: relative, no ``..`` or hidden segment, no control character, backslash
    or space. Returns it unchanged, or raises :class:`UnsafeName`."""
    segments = rel.split("/")
    if len(rel) > 1024 or not all(_SEGMENT.fullmatch(s) for s in segments):
        raise UnsafeName(f"refusing to use {rel!r} as a path in the state store")
    return rel
