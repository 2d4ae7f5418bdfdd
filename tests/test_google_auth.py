"""Google OAuth refresh (cmops.adapters.google_auth) against a strict loopback token
endpoint: the exchange's exact form, a refresh on a 401 (once), expiry, a revoked refresh
token as a setup problem, and the tokens never in a message."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from tests.fakes.google_oauth import TokenEndpoint
from tests.fakes.loopback import Loopback

from cmops.adapters.base import ChannelContext, NotConfigured, Rejected, Transient
from cmops.adapters.google_auth import GoogleAuth
from cmops.secrets import Redactor, resolve


class Fake(Loopback):
    """``/token`` and one protected ``/api`` that answers 401 to an unknown token."""

    publish_paths = ("/api",)

    def __init__(self) -> None:
        super().__init__()
        self.oauth = TokenEndpoint()
        self.refuse = False
        """Refuse every token, even a fresh one."""

    def route(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if request["path"] == "/token":
            return self.oauth.token(request)
        if self.refuse or not self.oauth.valid(request["headers"].get("Authorization")):
            return 401, {"error": {"code": 401, "message": "Invalid Credentials"}}, {}
        return 200, {"ok": True}, {}


def _auth(fake: Fake, secrets: dict[str, str], tmp_path: Path,
          clock: Any = None) -> GoogleAuth:
    redactor = Redactor()
    env = {f"S_{k.upper()}": v for k, v in secrets.items()}
    resolved = resolve({k: f"S_{k.upper()}" for k in secrets}, env, redactor)
    ctx = ChannelContext("yt", "youtube", {}, resolved, tmp_path, redactor, timeout=5.0)
    extra = {"clock": clock} if clock else {}
    return GoogleAuth(ctx, token_url=f"{fake.url}/token", **extra)


def _call(auth: GoogleAuth, fake: Fake) -> httpx.Response:
    with httpx.Client() as client:
        return auth.send(lambda headers: client.get(f"{fake.url}/api", headers=headers))


def test_refresh_token_is_exchanged_at_start_with_the_documented_form(tmp_path: Path) -> None:
    with Fake().running() as fake:
        auth = _auth(fake, fake.oauth.client_secrets, tmp_path)
        assert _call(auth, fake).json() == {"ok": True}
        exchange = fake.requests[0]
        assert exchange["path"] == "/token" and exchange["method"] == "POST"
        assert {k: v[0] for k, v in parse_qs(exchange["body"].decode()).items()} == {
            "grant_type": "refresh_token", **fake.oauth.client_secrets}
        assert fake.requests[1]["headers"]["Authorization"] == \
            f"Bearer {fake.oauth.issued[0]}"
        assert auth.redact(f"x {fake.oauth.issued[0]} y") == "x [REDACTED] y"


def test_a_401_refreshes_once_then_calls_again(tmp_path: Path) -> None:
    with Fake().running() as fake:
        auth = _auth(fake, {"token": "ya29.stale-given-token",
                            **fake.oauth.client_secrets}, tmp_path)
        assert _call(auth, fake).status_code == 200
        assert [r["path"] for r in fake.requests] == ["/api", "/token", "/api"]
        fake.refuse = True  # the new token is refused too: no second refresh
        with pytest.raises(Rejected) as caught:
            _call(auth, fake)
        assert caught.value.status == 401
        assert [r["path"] for r in fake.requests][3:] == ["/api", "/token", "/api"]


def test_a_given_token_without_refresh_is_used_as_it_is(tmp_path: Path) -> None:
    with Fake().running() as fake:
        auth = _auth(fake, {"token": "ya29.given-token-abc"}, tmp_path)
        with pytest.raises(Rejected) as caught:
            _call(auth, fake)
        assert caught.value.status == 401
        assert [r["path"] for r in fake.requests] == ["/api"]
        with pytest.raises(NotConfigured, match="authorize again"):
            auth.refresh()


def test_an_expiring_token_is_refreshed_before_the_call(tmp_path: Path) -> None:
    now = [0.0]
    with Fake().running() as fake:
        auth = _auth(fake, fake.oauth.client_secrets, tmp_path, clock=lambda: now[0])
        _call(auth, fake)
        now[0] = 3599 - 30  # within a minute of expiry
        _call(auth, fake)
        assert len(fake.oauth.issued) == 2
        assert [r["path"] for r in fake.requests] == ["/token", "/api", "/token", "/api"]


def test_a_revoked_refresh_token_says_to_authorize_again_without_the_secrets(
        tmp_path: Path) -> None:
    with Fake().running() as fake:
        fake.oauth.token_faults.append("invalid_grant")
        auth = _auth(fake, fake.oauth.client_secrets, tmp_path)
        with pytest.raises(NotConfigured) as caught:
            _call(auth, fake)
        message = str(caught.value)
        assert "authorize the app again" in message and "expired or revoked" in message
        for value in fake.oauth.client_secrets.values():
            assert value not in message


def test_a_failing_token_endpoint_is_transient_and_nothing_was_sent(tmp_path: Path) -> None:
    with Fake().running() as fake:
        fake.oauth.token_faults.append("500")
        auth = _auth(fake, fake.oauth.client_secrets, tmp_path)
        with pytest.raises(Transient) as caught:
            _call(auth, fake)
        assert caught.value.maybe_sent is False
        assert [r["path"] for r in fake.requests] == ["/token"]


def test_no_usable_secret_set_is_a_setup_problem(tmp_path: Path) -> None:
    with Fake().running() as fake, pytest.raises(NotConfigured, match="refresh_token"):
        _auth(fake, {"refresh_token": "1//only-half-of-it"}, tmp_path)
