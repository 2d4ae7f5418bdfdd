"""Credentials: read from the environment variables named in channels.yaml, never printed.

A :class:`Redactor` knows every secret value in use and scrubs it, and its base64 and
URL-encoded forms, from any text before that text is printed, logged, stored or raised.
Every value a Redactor is given is also remembered for the whole process, so that what is
printed far from the code that knows the value is scrubbed too: log records
(:class:`LogRedactor`, installed by :func:`redact_logs`) and a bug's traceback
(:func:`redact_known`).
"""

from __future__ import annotations

import base64
import logging
import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"
_MIN_SECRET = 4  # shorter values would scrub ordinary words; no real token is this short
_FRAGMENT = 8
"""A token's first or last characters, this many or more, are scrubbed on their own too: what
is left of it when a message was cut short before it was redacted."""
_KNOWN: dict[str, bool] = {}
"""Every form of every secret given to any Redactor in this process -> whether its fragments
are scrubbed too."""
_CREDENTIAL_QUERY = re.compile(
    r"(?i)([?&][^=&#\s]*(?:token|key|secret|password|passwd|signature|auth|code)[^=&#\s]*=)"
    r"[^&#\s\"'<>]+")


class MissingSecret(Exception):
    pass


def _forms(value: str) -> dict[str, bool]:
    raw = value.encode("utf-8")
    forms = {value, quote(value, safe=""), quote_plus(value)}
    # base64 of the value inside a longer string ("user:token", a JWT's claims) depends on
    # its offset: at each of the three alignments, keep the characters made of the value's
    # bytes alone, so that an Authorization: Basic header is caught too.
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        forms.add(encode(raw).decode())
        for pad in (b"", b"x", b"xx"):
            encoded = encode(pad + raw).decode()
            forms.add(encoded[4 if pad else 0:-4] if len(encoded) > 8 else encoded)
    # Fragments only of a token: a URL or a JSON document holding one starts like any other
    # URL or document (its secret parts are added on their own).
    token = "://" not in value and not any(c.isspace() for c in value)
    return {f: token and len(f) > _FRAGMENT for f in forms if len(f) >= _MIN_SECRET}


def _scrub(text: str, forms: Mapping[str, bool]) -> str:
    ordered = sorted(forms, key=len, reverse=True)
    for form in ordered:
        if form in text:
            text = text.replace(form, REDACTED)
    spans = sorted(span for form in ordered if forms[form] for span in _cut_off(text, form))
    if not spans:
        return text
    merged = [spans[0]]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    for start, end in reversed(merged):
        text = text[:start] + REDACTED + text[end:]
    return text


def _cut_off(text: str, form: str) -> Iterable[tuple[int, int]]:
    """Where ``text`` holds the start or the end of ``form``, _FRAGMENT characters or more."""
    head, tail = form[:_FRAGMENT], form[-_FRAGMENT:]
    at = text.find(head)
    while at != -1:
        n = _same(text[at:at + len(form)], form)
        yield at, at + n
        at = text.find(head, at + n)
    at = text.find(tail)
    while at != -1:
        end = at + _FRAGMENT
        n = _same(text[max(0, end - len(form)):end][::-1], form[::-1])
        yield end - n, end
        at = text.find(tail, end)


def _same(a: str, b: str) -> int:
    """How many characters ``a`` and ``b`` have in common from their start."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


class Redactor:
    def __init__(self) -> None:
        self._forms: dict[str, bool] = {}

    def add(self, value: str) -> None:
        if len(value) < _MIN_SECRET:
            return
        forms = _forms(value)
        self._forms.update(forms)
        _KNOWN.update(forms)

    def __call__(self, text: str) -> str:
        return _scrub(text, self._forms)


def redact_known(text: str) -> str:
    """``text`` without any secret that any :class:`Redactor` of this process was given."""
    return _scrub(text, _KNOWN)


class LogRedactor(logging.Filter):
    """Scrubs a record before its handler prints it: the message (formatted first: httpx
    passes the request URL, a token in its path or query, as an argument), the exception and
    the stack; of every known secret, and of credential-looking query values."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit: logged as they are
            message = f"{record.msg} {record.args}"
        record.msg, record.args = _for_log(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _for_log(record.exc_text)
        if record.stack_info:
            record.stack_info = _for_log(record.stack_info)
        return True


def _for_log(text: str) -> str:
    return _CREDENTIAL_QUERY.sub(rf"\1{REDACTED}", redact_known(text))


def redact_logs() -> None:
    """Put a :class:`LogRedactor` on every handler of the root logger. httpcore's DEBUG lines
    (connections, response headers) stay out even with -v: httpx's line per request is what
    a user needs, and it is redacted."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, LogRedactor) for f in handler.filters):
            handler.addFilter(LogRedactor())
    logging.getLogger("httpcore").setLevel(logging.WARNING)


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
