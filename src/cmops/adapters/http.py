"""What HTTP adapters share: a client on an injectable transport, and one mapping from
responses and httpx exceptions to the publisher's error tree (with secrets redacted)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from cmops.adapters.base import ChannelContext, Rejected, Transient
from cmops.retry import wait_from_headers

USER_AGENT = "cmops (+https://github.com/cmops)"


def client(ctx: ChannelContext, base_url: str, headers: dict[str, str] | None = None
           ) -> httpx.Client:
    return httpx.Client(base_url=base_url, transport=ctx.transport, timeout=ctx.timeout,
                        headers={"User-Agent": USER_AGENT, **(headers or {})},
                        follow_redirects=False)


def _message(response: httpx.Response, redact: Callable[[str], str]) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        for key in ("error_description", "error", "message", "detail", "title"):
            if isinstance(body.get(key), str):
                body = body[key]
                break
    # Redact, then cut: a secret cut in two would no longer match, and its start would stay.
    text = redact(" ".join(str(body).split()))[:300]
    return f"HTTP {response.status_code}: {text}" if text else f"HTTP {response.status_code}"


def check(response: httpx.Response, redact: Callable[[str], str],
          now: datetime | None = None) -> httpx.Response:
    """Return a 2xx response; raise Transient for 429/5xx, Rejected for other 4xx."""
    status = response.status_code
    if 200 <= status < 300:
        return response
    message = _message(response, redact)
    wait = wait_from_headers(response.headers, now or datetime.now(UTC))
    if status == 429:
        raise Transient(f"rate limited: {message}", retry_after=wait, maybe_sent=False,
                        status=status)
    if status >= 500 or status == 408:
        raise Transient(message, retry_after=wait, maybe_sent=True, status=status)
    raise Rejected(message, status=status)


def send(redact: Callable[[str], str], call: Callable[[], httpx.Response]) -> httpx.Response:
    """Run one request, turning transport failures into Transient (redacted)."""
    try:
        return check(call(), redact)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        # The request never reached the server: nothing can have been accepted.
        raise Transient(redact(f"cannot connect: {exc}"), maybe_sent=False) from None
    except httpx.TimeoutException as exc:
        raise Transient(redact(f"timed out: {type(exc).__name__}"), maybe_sent=True) from None
    except httpx.TransportError as exc:
        raise Transient(redact(f"connection failed: {type(exc).__name__}: {exc}"),
                        maybe_sent=True) from None
