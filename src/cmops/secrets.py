"""Credentials: read from the environment variables named in channels.yaml, never printed.

A :class:`Redactor` knows every secret value in use and scrubs it, and its base64 and
URL-encoded forms, from any text before that text is printed, logged, stored or raised.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"
_MIN_SECRET = 4  # shorter values would scrub ordinary words; no real token is this short


class MissingSecret(Exception):
    pass


class Redactor:
    def __init__(self) -> None:
        self._forms: set[str] = set()

    def add(self, value: str) -> None:
        if len(value) < _MIN_SECRET:
            return
        raw = value.encode("utf-8")
        forms = {value, quote(value, safe=""), quote_plus(value),
                 base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
        # base64 of the value inside a longer string ("user:token") shifts by offset: add the
        # three alignments so an Authorization: Basic header is caught too.
        for pad in (b"x", b"xx"):
            encoded = base64.b64encode(pad + raw).decode()
            forms.add(encoded[4:-4] if len(encoded) > 8 else encoded)
        self._forms.update(f for f in forms if len(f) >= _MIN_SECRET)

    def __call__(self, text: str) -> str:
        for form in sorted(self._forms, key=len, reverse=True):
            if form in text:
                text = text.replace(form, REDACTED)
        return text


def resolve(names: Mapping[str, str], env: Mapping[str, str] | None = None,
            redactor: Redactor | None = None, *, channel: str = "") -> dict[str, str]:
    """Role -> value for a channel's ``secrets:`` mapping (role -> variable name)."""
    env = os.environ if env is None else env
    values: dict[str, str] = {}
    missing = []
    for role, name in names.items():
        value = env.get(name)
        if not value:
            missing.append(f"{role} ({name})")
            continue
        values[role] = value
        if redactor is not None:
            redactor.add(value)
    if missing:
        where = f"channel {channel}: " if channel else ""
        raise MissingSecret(f"{where}environment variable(s) not set: {', '.join(missing)}")
    return values
