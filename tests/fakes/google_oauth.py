"""Google's OAuth 2.0 token endpoint, strict: ``POST /token`` with a form of
``grant_type=refresh_token``, ``refresh_token``, ``client_id`` and ``client_secret`` answers
``{"access_token", "expires_in", "scope", "token_type": "Bearer"}``; anything else is 400
``invalid_request``, a wrong refresh token or client 400 ``invalid_grant`` /
``invalid_client`` (developers.google.com/identity/protocols/oauth2/web-server, "Refreshing
an access token (offline access)"; the error codes of RFC 6749 section 5.2). Each access token
issued is new; ``issued`` lists them and ``valid`` says which an API fake should accept.

Used alone (tests/test_google_auth.py) or mixed into a Google API fake, which routes
``/token`` to :meth:`token`."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs

REFRESH_TOKEN = "1//refresh-canary-0a1b2c3d4e5f"
CLIENT_ID = "123-canary.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-client-canary-9z8y7x"


class TokenEndpoint:
    """The token endpoint's state and answer; ``expires_in`` as Google gives it."""

    def __init__(self, expires_in: int = 3599) -> None:
        self.refresh_token = REFRESH_TOKEN
        self.client_id, self.client_secret = CLIENT_ID, CLIENT_SECRET
        self.expires_in = expires_in
        self.issued: list[str] = []
        self.revoked: set[str] = set()
        self.token_faults: list[str] = []
        """``500`` or ``invalid_grant``, consumed by the next exchange."""

    @property
    def client_secrets(self) -> dict[str, str]:
        return {"refresh_token": self.refresh_token, "client_id": self.client_id,
                "client_secret": self.client_secret}

    def valid(self, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Bearer "):
            return False
        token = authorization[7:]
        return token in self.issued and token not in self.revoked

    def token(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if request["method"] != "POST":
            return 405, {"error": "invalid_request"}, {}
        kind = request["headers"].get("Content-Type", "")
        if not kind.startswith("application/x-www-form-urlencoded"):
            return 400, {"error": "invalid_request",
                         "error_description": "form body required"}, {}
        form = {k: v[0] for k, v in parse_qs(request["body"].decode()).items()}
        fault = self.token_faults.pop(0) if self.token_faults else ""
        if fault == "500":
            return 500, {"error": "internal_failure"}, {}
        if form.get("grant_type") != "refresh_token" or "refresh_token" not in form:
            return 400, {"error": "unsupported_grant_type"}, {}
        if form.get("client_id") != self.client_id or \
                form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}, {}
        if fault == "invalid_grant" or form["refresh_token"] != self.refresh_token:
            return 400, {"error": "invalid_grant",
                         "error_description": "Token has been expired or revoked."}, {}
        access = "ya29.canary-" + secrets.token_urlsafe(24)
        self.issued.append(access)
        return 200, {"access_token": access, "expires_in": self.expires_in,
                     "scope": "https://www.googleapis.com/auth/youtube.upload",
                     "token_type": "Bearer"}, {}
