"""Refresh tokens a network rotates, kept encrypted in the state store from one run to the next.

TikTok retires a refresh token as soon as it issues the next one ("Always save the
refresh_token from the most recent response", developers.tiktok.com/docs/en/oauth-refresh-a-
user-access-token), and Pinterest's continuous refresh renews its 60-day token at each refresh.
A repository secret cannot be written back from a run, so the newest token is kept in the
ledger's store (``tokens/<channel>.fernet``: a local ``.cmops/state/`` or the git state branch,
one commit pushed), encrypted with Fernet (AES-128-CBC and HMAC-SHA256, from ``cryptography``)
under the key in ``CMOPS_TOKEN_KEY``. The token itself is never written in the clear, printed,
logged or put in an error; both tokens go to the redactor.

The file is a small JSON document: ``from``, the SHA-256 of the secret the kept token descends
from, and ``token``, the Fernet token of the refresh token. When the secret changes (the user
authorized the app again and updated it) the digest no longer matches and the new secret is
used; the digest is readable without the key, so a new secret also gets past a kept token the
current key cannot open. A refresh token is random and long: its digest tells nothing of it,
and the secret's own token is retired by the first refresh anyway.

``CMOPS_TOKEN_KEY`` is one Fernet key, or several separated by commas: the first encrypts, any
decrypts (a key can be replaced without authorizing again). Make one with::

    python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from cmops.adapters.base import NotConfigured
from cmops.faults import crash_point
from cmops.secrets import Redactor

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

TOKEN_KEY_ENV = "CMOPS_TOKEN_KEY"
PREFIX = "tokens/"
ROTATING = frozenset({"tiktok", "pinterest"})
"""Networks whose refresh answers a new refresh token, which cmops keeps."""
MAKE_KEY = ('python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"')


class DataFiles(Protocol):
    """The part of a ledger store (:class:`cmops.stores.Store`) the keeper uses."""

    description: str

    def read_files(self, prefix: str) -> dict[str, bytes]:
        ...

    def write_files(self, files: dict[str, bytes], message: str | None = None) -> None:
        ...


def digest(secret: str) -> str:
    return "sha256:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def needs_key(network: str | None, secrets: Mapping[str, object]) -> bool:
    """Whether a channel refreshes a token cmops must keep (its workflow step then needs
    ``CMOPS_TOKEN_KEY``)."""
    return network in ROTATING and "refresh_token" in secrets


class TokenKeeper:
    """One channel's kept refresh token in ``store``, under the key ``key`` (the value of
    ``CMOPS_TOKEN_KEY``; None or empty when it is not set)."""

    def __init__(self, store: DataFiles, channel: str, key: str | None,
                 redactor: Redactor) -> None:
        self.store, self.channel, self.redact = store, channel, redactor
        self.path = f"{PREFIX}{channel}.fernet"
        self._key = (key or "").strip()
        for part in self._key.split(","):
            redactor.add(part.strip())
        self._fernet: MultiFernet | None = None

    @property
    def has_key(self) -> bool:
        return bool(self._key)

    def require(self, network: str) -> None:
        """Raise :class:`NotConfigured` unless the key is set and is a Fernet key: said when
        the adapter is built, before anything is sent, never at a second run's refresh."""
        if not self._key:
            raise NotConfigured(
                f"channel {self.channel}: {network} replaces the refresh token at each "
                f"refresh, and cmops keeps the newest one encrypted in the state store: set "
                f"{TOKEN_KEY_ENV} to a Fernet key (make one with {MAKE_KEY}; keep it as a "
                "repository secret given to the publish and collect steps); without it the "
                "secret's refresh token stops working after the first run")
        self._cipher()

    def _cipher(self) -> MultiFernet:
        if self._fernet is None:
            from cryptography.fernet import Fernet, MultiFernet

            try:
                self._fernet = MultiFernet([Fernet(k.strip()) for k in self._key.split(",")])
            except ValueError:
                raise NotConfigured(
                    f"channel {self.channel}: {TOKEN_KEY_ENV} is not a Fernet key (32 bytes, "
                    f"url-safe base64; several keys separated by commas): make one with "
                    f"{MAKE_KEY}") from None
        return self._fernet

    def current(self, secret: str) -> str:
        """The refresh token to send: the kept one when it descends from ``secret``, else
        ``secret`` (nothing kept yet, or the user authorized again and updated the secret)."""
        data = self.store.read_files(PREFIX).get(self.path)
        if data is None:
            return secret
        try:
            kept = json.loads(data)
            origin, sealed = kept["from"], kept["token"]
            if not isinstance(origin, str) or not isinstance(sealed, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise NotConfigured(f"channel {self.channel}: {self.path} in the "
                                f"{self.store.description} is not a token cmops kept: "
                                "delete it and authorize the app again") from None
        if origin != digest(secret):
            return secret
        from cryptography.fernet import InvalidToken

        try:
            token = self._cipher().decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise NotConfigured(
                f"channel {self.channel}: the refresh token kept in {self.path} does not "
                f"decrypt with {TOKEN_KEY_ENV} (the key changed?): restore the key it was "
                "kept with, or authorize the app again and update the channel's "
                "refresh_token secret (cmops then starts from the new one)") from None
        self.redact.add(token)
        return token

    def save(self, token: str, secret: str) -> None:
        """Keep ``token``, descended from ``secret``, durably (a local file replaced
        atomically; on the git branch one commit, pushed) before the caller goes on."""
        self.redact.add(token)
        sealed = self._cipher().encrypt(token.encode("utf-8")).decode("ascii")
        body = json.dumps({"from": digest(secret), "token": sealed}, sort_keys=True)
        try:
            self.store.write_files({self.path: body.encode() + b"\n"},
                                   f"cmops: keep {self.channel}'s refresh token (encrypted)")
        except Exception as exc:
            raise NotConfigured(self.redact(
                f"channel {self.channel}: the network renewed the refresh token and cmops "
                f"could not keep it ({type(exc).__name__}: {exc}); the one in the secret "
                "may be retired: authorize the app again and update the secret")[:500]
            ) from None
        crash_point("after-token-kept")  # the crash tests: killed before the token is used
