"""Meta's Graph API, shared by Facebook, Instagram and Threads: the pinned version, one client
per token, Graph's error JSON parsed into typed fields, the one classification of a read that
found nothing (gone) or was refused (denied), and the reading component the three readers are
built from.

A Graph error is ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id",
"is_transient", "error_user_msg"}}`` (developers.facebook.com/docs/graph-api/guides/
error-handling); the code, not the HTTP status, says whether waiting helps, and every decision
is taken on :attr:`GraphError.code`, never on the message's text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

import httpx

from cmops import apiversions
from cmops.adapters.base import ChannelContext, NotConfigured, Outgoing, Rejected, Transient
from cmops.adapters.http import client, send
from cmops.apiversions import GRAPH as GRAPH_VERSIONS
from cmops.retry import wait_from_headers

GRAPH_VERSION = GRAPH_VERSIONS.default
"""The Graph API version Facebook and Instagram call unless a channel sets ``version:``
(pinned, with its published end, in :mod:`cmops.apiversions`)."""


def graph_version(ctx: ChannelContext, today: date | None = None) -> str:
    """The Graph API version a channel calls: its ``version:`` setting or the default. A
    version that is not one, or whose published end has passed, is refused before anything
    is sent: past its end Graph serves calls from another version instead, silently."""
    version = apiversions.version_of(ctx.network, dict(ctx.settings)) or GRAPH_VERSION
    if not GRAPH_VERSIONS.valid(version):
        raise NotConfigured(f"channel {ctx.name}: '{version}' is not a Graph API version "
                            f"(like {GRAPH_VERSION})")
    end = apiversions.ending(ctx.network, version, today or datetime.now(UTC).date())
    if end is not None and end.past:
        raise NotConfigured(end.message(ctx.name, "version" in ctx.settings))
    return version
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80004, 80005, 80006, 80008})
TRANSIENT_CODES = frozenset({1, 2})
"""Graph's "unknown error" and "service temporarily unavailable"."""
GONE_CODE = 100
"""Invalid parameter, which is what reading a node that does not exist (any more) gives
(with subcode 33 for "does not exist or cannot be loaded")."""
PERMISSION_CODE = 10
PERMISSION_CODES = range(200, 300)
"""Code 10 and 200-299: a permission the token lacks."""
LOOKBACK = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class GraphErrorBody:
    """The documented fields of a Graph error, as sent (strings not yet redacted)."""

    code: int
    subcode: int | None = None
    type: str | None = None
    fbtrace_id: str | None = None
    message: str = ""
    is_transient: bool = False

    @classmethod
    def parse(cls, body: Any) -> GraphErrorBody | None:
        """The ``error`` object of a Graph answer, or None when it is not one (no integer
        ``code``)."""
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return None
        try:
            code = int(error.get("code"))  # type: ignore[arg-type]
        except (ValueError, TypeError):
            return None
        try:
            subcode: int | None = int(error["error_subcode"])
        except (KeyError, ValueError, TypeError):
            subcode = None
        kind, trace = error.get("type"), error.get("fbtrace_id")
        return cls(code=code, subcode=subcode, type=kind if isinstance(kind, str) else None,
                   fbtrace_id=trace if isinstance(trace, str) else None,
                   message=str(error.get("error_user_msg") or error.get("message") or ""),
                   is_transient=error.get("is_transient") is True)


class _GraphFields:
    code: int
    subcode: int | None
    type: str | None
    fbtrace_id: str | None

    def _fields(self, error: GraphErrorBody, redact: Callable[[str], str]) -> None:
        self.code, self.subcode = error.code, error.subcode
        self.type = redact(error.type) if error.type is not None else None
        self.fbtrace_id = redact(error.fbtrace_id) if error.fbtrace_id is not None else None


class GraphError(Rejected, _GraphFields):
    """A Graph API error nothing will cure by waiting; its Graph fields are typed."""

    def __init__(self, message: str, status: int | None, error: GraphErrorBody,
                 redact: Callable[[str], str]) -> None:
        super().__init__(message, status=status)
        self._fields(error, redact)


class GraphTransient(Transient, _GraphFields):
    """A Graph API error worth retrying (a rate limit, a transient code, a 5xx)."""

    def __init__(self, message: str, error: GraphErrorBody, redact: Callable[[str], str], *,
                 retry_after: float | None = None, maybe_sent: bool = True,
                 status: int | None = None) -> None:
        super().__init__(message, retry_after=retry_after, maybe_sent=maybe_sent,
                         status=status)
        self._fields(error, redact)


def graph_wait(headers: httpx.Headers, now: datetime) -> float | None:
    """Minutes in ``X-Business-Use-Case-Usage`` (``estimated_time_to_regain_access``), else
    the usual headers."""
    try:
        usage = json.loads(headers.get("X-Business-Use-Case-Usage", "{}"))
        minutes = [int(entry["estimated_time_to_regain_access"]) for entries in usage.values()
                   for entry in entries if "estimated_time_to_regain_access" in entry]
    except (ValueError, TypeError, KeyError, AttributeError):
        minutes = []
    return max(minutes) * 60.0 if minutes else wait_from_headers(headers, now)


def graph_check(response: httpx.Response, redact: Callable[[str], str]) -> httpx.Response:
    """Raise :class:`GraphTransient` or :class:`GraphError` for a Graph error answer; anything
    else goes on to ``http.check``, which decides from the status."""
    try:
        error = GraphErrorBody.parse(response.json())
    except ValueError:
        error = None
    if error is None:
        return response  # not a Graph error: http.check decides from the status
    code = error.code
    user = " ".join(error.message.split())
    if not user.startswith(f"(#{code})"):
        user = f"(#{code}) {user}"
    message = redact(f"HTTP {response.status_code}: {user}")[:300]
    if code in RATE_LIMIT_CODES:
        # Reported as a 429 whatever the HTTP status: it is a rate limit, nothing was done.
        raise GraphTransient(f"rate limited: {message}", error, redact, maybe_sent=False,
                             status=429,
                             retry_after=graph_wait(response.headers, datetime.now(UTC)))
    if code in TRANSIENT_CODES or error.is_transient or response.status_code >= 500:
        raise GraphTransient(message, error, redact, maybe_sent=True,
                             status=response.status_code)
    raise GraphError(message, response.status_code, error, redact)


class Graph:
    """A Graph API client for one token: every call carries it and maps Graph's errors."""

    def __init__(self, ctx: ChannelContext, server: object, token: str) -> None:
        if not isinstance(server, str) or not server.startswith(("https://", "http://")):
            raise NotConfigured(f"channel {ctx.name}: {ctx.network} server must be an "
                                "http(s) URL")
        self.redact = ctx.redactor
        self.redact.add(token)
        self.token = token
        self.http = client(ctx, server.rstrip("/"))

    def post(self, path: str, data: dict[str, str], files: Any = None) -> Any:
        form = {**data, "access_token": self.token}
        return send(self.redact, lambda: graph_check(
            self.http.post(path, data=form, files=files), self.redact)).json()

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        query = {**(params or {}), "access_token": self.token}
        return send(self.redact, lambda: graph_check(
            self.http.get(path, params=query), self.redact)).json()

    def close(self) -> None:
        self.http.close()


class Unreadable(Enum):
    """Why a Graph read gave nothing, when that is not an error."""

    GONE = "gone"
    """The node does not exist (any more): Graph code 100, or a plain 404."""
    DENIED = "denied"
    """A permission the token lacks: Graph code 10 or 200-299."""


def unreadable(exc: Rejected) -> Unreadable | None:
    """The one classification of a refused Graph read, from the error's typed ``code``
    (never from its message): gone, denied, or None (a real error)."""
    code = exc.code if isinstance(exc, GraphError) else None
    if exc.status == 404 or code == GONE_CODE:
        return Unreadable.GONE
    if code is not None and (code == PERMISSION_CODE or code in PERMISSION_CODES):
        return Unreadable.DENIED
    return None


def insight_values(body: Any) -> dict[str, int]:
    """``{name: value}`` from an insights answer: a post's ``values[0].value`` or an
    account's ``total_value.value``."""
    out: dict[str, int] = {}
    for entry in (body.get("data") if isinstance(body, dict) else None) or []:
        if not isinstance(entry, dict):
            continue
        values = entry.get("values")
        value = (values[0] if isinstance(values, list) and values else
                 entry.get("total_value") or {})
        number = value.get("value") if isinstance(value, dict) else None
        if isinstance(number, int) and not isinstance(number, bool):
            out[str(entry.get("name"))] = number
    return out


class GraphReading:
    """The reading component of the Facebook, Instagram and Threads readers (held, not
    inherited): their Graph client and what this run could not read, and why."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.unavailable: dict[str, str] = {}
        """Keyed like a collect summary's ``unavailable`` (``metrics``, ``followers``,
        ``inbox``; ``impressions`` when only those are missing)."""

    def note(self, what: str, why: str) -> None:
        self.unavailable[what] = why

    def noted(self, what: str) -> bool:
        return what in self.unavailable

    def read(self, path: str, params: dict[str, str], what: str, why: str, *,
             gone: bool = False, note_gone: bool = False) -> Any:
        """``graph.get(path, params)``, or :class:`Unreadable` when Graph refuses it in a
        way that is not an error: DENIED (noted as ``what`` with ``why``) always; GONE only
        when ``gone`` (noted too when ``note_gone``). Any other refusal is raised."""
        try:
            return self.graph.get(path, params)
        except Rejected as exc:
            kind = unreadable(exc)
            if kind is None or (kind is Unreadable.GONE and not gone):
                raise
            if kind is Unreadable.DENIED or note_gone:
                self.note(what, f"{why} ({exc})")
            return kind


def how_to_resolve(out: Outgoing) -> str:
    return (f"cmops resolve {out.post_id} --channel {out.channel} --as published --url … "
            "(or --as retry to send it again)")
