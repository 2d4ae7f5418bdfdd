"""Google OAuth 2.0 for the Google adapters (YouTube, Business Profile): a channel gives an
access token, or a refresh token with its OAuth client, which is exchanged for an access
token at start, when it is about to expire, and once more when an API call answers 401.

The exchange is ``POST https://oauth2.googleapis.com/token`` with ``grant_type=
refresh_token``, ``refresh_token``, ``client_id`` and ``client_secret`` as a form; the answer
is ``{"access_token": …, "expires_in": 3599, "token_type": "Bearer", …}``; a revoked or
expired refresh token answers 400 ``{"error": "invalid_grant"}``
(developers.google.com/identity/protocols/oauth2/web-server, "Refreshing an access token
(offline access)"). Every access token obtained is given to the channel's redactor before it
is used, so it is never printed, logged or stored.

Secrets (a channel names every role of one set)::

    secrets: {token: YT_ACCESS_TOKEN}                       # an hour's token, no refresh
    secrets: {refresh_token: YT_REFRESH, client_id: YT_CLIENT_ID, client_secret: YT_SECRET}
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from cmops.adapters import http
from cmops.adapters.base import ChannelContext, NotConfigured, Rejected, Transient

TOKEN_URL = "https://oauth2.googleapis.com/token"
SECRETS: tuple[tuple[str, ...], ...] = (("token",),
                                        ("refresh_token", "client_id", "client_secret"))
"""The secret sets a Google channel may give (``NetworkRules.secrets``)."""
EARLY = 60.0
"""Seconds before its stated expiry an access token is refreshed (an upload takes a while)."""


class GoogleAuth:
    """The current access token of one channel, refreshed when needed."""

    def __init__(self, ctx: ChannelContext, *, token_url: str = TOKEN_URL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ctx = ctx
        self.token_url = token_url
        self.clock = clock
        self.redact = ctx.redactor
        secrets = ctx.secrets
        self.refresh_token = secrets.get("refresh_token")
        self.client_id = secrets.get("client_id")
        self.client_secret = secrets.get("client_secret")
        self.access: str | None = secrets.get("token")
        self.expires: float | None = None
        """When ``access`` expires (``clock`` seconds); None: not known (a given token)."""
        if self.access is None and not self.can_refresh:
            raise NotConfigured(f"channel {ctx.name}: give secrets token, or refresh_token "
                                "with client_id and client_secret (Google OAuth)")
        self.refreshes = 0
        """Exchanges made (tests and the plan's quota do not count them: they are free)."""

    @property
    def can_refresh(self) -> bool:
        return bool(self.refresh_token and self.client_id and self.client_secret)

    def token(self) -> str:
        """An access token valid for a while yet: refreshed first when none was given or it
        is about to expire."""
        stale = self.expires is not None and self.clock() >= self.expires - EARLY
        if self.access is None or (stale and self.can_refresh):
            return self.refresh()
        return self.access

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def refresh(self) -> str:
        """Exchange the refresh token for a new access token (redacted from then on)."""
        if not self.can_refresh:
            raise NotConfigured(f"channel {self.ctx.name}: the access token was refused and "
                                "there is no refresh_token (with client_id and client_secret) "
                                "to get a new one: authorize again")
        form = {"grant_type": "refresh_token", "refresh_token": str(self.refresh_token),
                "client_id": str(self.client_id), "client_secret": str(self.client_secret)}
        with httpx.Client(transport=self.ctx.transport, timeout=self.ctx.timeout,
                          headers={"User-Agent": http.USER_AGENT},
                          follow_redirects=False) as client:
            try:
                found = http.send(self.redact, lambda: client.post(self.token_url, data=form))
            except Rejected as exc:
                # invalid_grant (revoked, expired, or the client's secret changed): a person
                # must authorize again; nothing was sent.
                raise NotConfigured(f"channel {self.ctx.name}: Google refused to refresh the "
                                    f"access token ({exc}): authorize the app again and "
                                    "store the new refresh token") from None
            except Transient as exc:
                raise Transient(f"refreshing the Google access token: {exc}",
                                retry_after=exc.retry_after, maybe_sent=False,
                                status=exc.status) from None
        try:
            body = found.json()
            access = body["access_token"]
        except (ValueError, KeyError, TypeError):
            raise Transient("Google's token endpoint answered without an access_token",
                            maybe_sent=False) from None
        if not isinstance(access, str) or not access:
            raise Transient("Google's token endpoint answered an empty access_token",
                            maybe_sent=False)
        self.redact.add(access)  # before anything could print it
        self.access = access
        lifetime = body.get("expires_in")
        self.expires = self.clock() + float(lifetime) \
            if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) else None
        self.refreshes += 1
        return access

    def send(self, call: Callable[[dict[str, str]], httpx.Response],
             accept: tuple[int, ...] = ()) -> httpx.Response:
        """Run ``call`` with the authorization headers, mapping its answer to the error tree
        (:func:`cmops.adapters.http.send`) except the statuses in ``accept``, returned as they
        are (a resumable upload's ``308``); a 401 refreshes the token and calls once more
        when a refresh token is given (an access token lasts about an hour)."""
        try:
            return self._once(call, accept)
        except Rejected as exc:
            if exc.status != 401 or not self.can_refresh:
                raise
        self.refresh()
        return self._once(call, accept)

    def _once(self, call: Callable[[dict[str, str]], httpx.Response],
              accept: tuple[int, ...]) -> httpx.Response:
        got: list[httpx.Response] = []

        def run() -> httpx.Response:
            got.append(call(self.headers()))
            return httpx.Response(200) if got[-1].status_code in accept else got[-1]

        http.send(self.redact, run)
        return got[-1]
