"""Rules about hostile or accidental content inside one file."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from cmops.ids import is_channel, is_id
from cmops.problems import Finding, Path

DOCS = {
    "text.bidi-override": "Text contains a bidirectional override or isolate character "
                          "(U+202A-U+202E, U+2066-U+2069), which can make a post display "
                          "differently from what reviewers read.",
    "text.control-char": "Text contains an invisible control character (other than line "
                         "breaks and tabs).",
    "id.unsafe": "A post id, campaign id or channel name that is not one safe name (letters, "
                 "digits, '.', '_', '-'; starting with a letter or digit; at most 100 "
                 "characters, 64 for channels). Ids become file names and git paths in the "
                 "ledger, so nothing else is accepted, not even a trailing line break.",
    "secrets.env-name": "A secret must be the NAME of an environment variable "
                        "(UPPER_CASE), never the credential itself.",
}

_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# C0 and C1 controls except tab and newline; CR is tolerated (Windows line ends).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _texts(data: Mapping[str, Any], keys: tuple[str, ...]) -> Iterator[tuple[Path, str]]:
    """Every human-written string in a post: text, thread parts, variants, alt texts."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, str):
            yield (key,), value
    for mkey in ("media",):
        media = data.get(mkey)
        for i, item in enumerate(media if isinstance(media, list) else ()):  # media: true
            if isinstance(item, dict) and isinstance(item.get("alt"), str):
                yield (mkey, i, "alt"), item["alt"]
    thread = data.get("thread")
    if isinstance(thread, list):
        for i, part in enumerate(thread):
            if isinstance(part, dict):
                for sub, text in _texts(part, ("text",)):
                    yield ("thread", i, *sub), text
    variants = data.get("variants")
    if isinstance(variants, dict):
        for name, variant in variants.items():
            if isinstance(variant, dict):
                for sub, text in _texts(variant, ("text",)):
                    yield ("variants", name, *sub), text


def _check(rel: str, path: Path, text: str) -> Iterator[Finding]:
    if not text.isascii() or _CONTROL.search(text):
        bidi = _BIDI.search(text)
        if bidi:
            char = bidi.group()
            yield Finding(rel, path, "text.bidi-override",
                          f"contains {unicodedata.name(char, 'a bidi control')} "
                          f"(U+{ord(char):04X}) at character {bidi.start() + 1}: it can make "
                          "the text display differently from what reviewers read; remove it")
        control = _CONTROL.search(text)
        if control:
            yield Finding(rel, path, "text.control-char",
                          f"contains the invisible control character U+{ord(control.group()):04X}"
                          f" at character {control.start() + 1}; remove it")


def check_post_text(rel: str, data: Mapping[str, Any]) -> Iterator[Finding]:
    for path, text in _texts(data, ("text",)):
        yield from _check(rel, path, text)


def check_ids(rel: str, data: Mapping[str, Any]) -> Iterator[Finding]:
    """The id of a post or campaign file, matched whole (a schema ``$`` also matches before a
    trailing newline)."""
    value = data.get("id")
    if isinstance(value, str) and not is_id(value):
        yield Finding(rel, ("id",), "id.unsafe",
                      f"id {value[:60]!r} is not allowed: use 1-100 letters, digits, '.', '_' "
                      "or '-', starting with a letter or digit")


def check_channel_names(rel: str, data: Mapping[str, Any]) -> Iterator[Finding]:
    channels = data.get("channels")
    if not isinstance(channels, dict):
        return
    for name in channels:
        if isinstance(name, str) and not is_channel(name):
            yield Finding(rel, ("channels", name), "id.unsafe",
                          f"channel name {name[:60]!r} is not allowed: use 1-64 letters, "
                          "digits, '.', '_' or '-', starting with a letter or digit")


def check_campaign_text(rel: str, data: Mapping[str, Any]) -> Iterator[Finding]:
    for path, text in _texts(data, ("name", "description")):
        yield from _check(rel, path, text)


ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*\Z")


def looks_like_credential(value: str) -> bool:
    """Heuristic for a pasted token: long, mixed, or a known prefix. Errs on the side of yes."""
    if len(value) >= 20 and not ENV_NAME.match(value):
        return True
    return bool(re.match(r"(ghp_|gho_|xox[abp]-|sk-|ey[A-Za-z0-9]{10}|https?://)", value))


def check_secrets(rel: str, data: Mapping[str, Any]) -> Iterator[Finding]:
    channels = data.get("channels")
    if not isinstance(channels, dict):
        return
    for name, channel in channels.items():
        secrets = channel.get("secrets") if isinstance(channel, dict) else None
        if not isinstance(secrets, dict):
            continue
        for role, value in secrets.items():
            if not isinstance(value, str) or ENV_NAME.match(value):
                continue
            path = ("channels", name, "secrets", role)
            # Never quote the value: if it is a real token, it must not reach a CI log.
            if looks_like_credential(value):
                message = ("this looks like a credential itself, not the name of an environment "
                           "variable. Remove it from the file now (and revoke it if it was "
                           "pushed), store it as a CI secret, and write the variable's NAME here, "
                           f"e.g. {name.upper().replace('-', '_')}_{role.upper()}")
            else:
                message = ("must be the NAME of an environment variable in UPPER_CASE "
                           f"(letters, digits, _), e.g. {name.upper().replace('-', '_')}_"
                           f"{role.upper()}")
            yield Finding(rel, path, "secrets.env-name", message)
