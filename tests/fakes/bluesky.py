"""A strict loopback Bluesky PDS: a real HTTP server on 127.0.0.1 speaking the XRPC methods
cmops uses, keeping every record and blob it accepts, and able to misbehave on request.

It enforces what the lexicons and the reference PDS enforce (platforms.md §2; error names and
wordings as @atproto/pds 0.5.35 gives them): sessions and bearer tokens (``ExpiredToken`` as
a 400), ``createRecord`` inputs and the post record (``$type``, text within 3000 bytes and 300
graphemes, RFC 3339 ``createdAt``, facets inside the text and not overlapping, one embed: up
to 4 uploaded images of at most 1,000,000 bytes each with ``alt``, or an external card as
lexicon ``app.bsky.embed.external`` says (uri, title, description; a ``thumb`` blob of
``image/*`` within its maxSize of 1,000,000 bytes);
replies whose strong refs exist and whose root is the parent's own root when the parent is
itself a reply, else the parent (docs.bsky.app/docs/advanced-guides/posts#replies)), TID
record keys, a duplicate key as the reference's HTTP
500, ``getRecord``'s 400 ``RecordNotFound``. ``deleteRecord`` (lexicon
com.atproto.repo.deleteRecord; docs.bsky.app/docs/api/com-atproto-repo-delete-record) as
the reference's handler does it (api/com/atproto/repo/deleteRecord and
AuthVerifier.findAccount): a record already gone is a no-op answered 200 ``{}``, another
account of the server (``handles``) a 401 ``AuthenticationRequired``, a repo the server does
not hold a 403 ``AccountNotFound``; a deleted record answers 200 with its ``commit``.
Other accounts' posts (``others``, made by :meth:`FakeBluesky.theirs`) are read with
``getRecord`` by DID or handle, as a PDS passes another repository to its AppView; one deleted
(:meth:`FakeBluesky.remove`) answers ``RecordNotFound``, and ``resolveHandle`` answers 400
``HandleNotFound`` for a handle it does not know (``handles``).
Unknown input keys are refused, which the real server does not do, so that a misspelt
field in cmops cannot pass unnoticed. Errors have the XRPC shape
``{"error": Name, "message": text}``.

Faults, consumed one per call of the method named by ``fault_on`` (``createRecord`` unless
a test says otherwise): ``drop``, ``accept-then-drop``, ``500``/``502``/``503``, ``429``
(``RateLimit-*`` headers, reset in epoch seconds), ``status:NNN``, ``echo`` (a 400 that
repeats the request's headers and body, as careless servers do), ``slow:SECONDS``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import regex  # type: ignore[import-untyped, unused-ignore]
from tests.fakes.loopback import reply_json, running, serve

POST = "app.bsky.feed.post"
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
CREATE_KEYS = {"repo", "collection", "rkey", "validate", "record", "swapCommit"}
RECORD_KEYS = {"$type", "text", "createdAt", "langs", "facets", "embed", "reply", "tags",
               "labels"}
FEATURES = {"app.bsky.richtext.facet#mention": "did", "app.bsky.richtext.facet#link": "uri",
            "app.bsky.richtext.facet#tag": "tag"}
MAX_IMAGE = 1_000_000
EXTERNAL = json.loads((Path(__file__).parent.parent / "vectors/atproto/lexicons"
                       / "app.bsky.embed.external.json").read_text("utf-8"))
"""Lexicon app.bsky.embed.external (bluesky-social/atproto, see tests/vectors/README.md)."""
VIDEO_KEYS = {"$type", "video", "captions", "alt", "aspectRatio", "presentation"}
MAX_VIDEO = 300_000_000
"""Lexicon app.bsky.embed.video (bluesky-social/atproto d6296a1, lexicons/app/bsky/embed/
video.json): ``video`` a blob accepting video/mp4, maxSize 300,000,000."""
SIGNING_KEY = b"fake-pds-signing-key"
"""Stands in for the account's signing key: the fake video service checks service-auth tokens
with it, as the real one checks them against the key in the account's DID document."""


def _tid(micros: int) -> str:
    value = micros << 10
    return "".join("234567abcdefghijklmnopqrstuvwxyz"[(value >> s) & 31] for s in range(60, -5, -5))


class XrpcError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def _cid(data: bytes) -> str:
    return "bafyrei" + hashlib.sha256(data).hexdigest()[:52]


class FakeBluesky:
    def __init__(self, handle: str = "brand.test", password: str = "app-pass-7f3k-q9zx",
                 did: str = "did:plc:brand0000000000000000") -> None:
        self.handle, self.password, self.did = handle, password, did
        self.handles = {handle: did}
        """Handles resolveHandle knows; tests add others."""
        self.records: dict[str, dict[str, Any]] = {}
        """rkey -> {uri, cid, value}, in creation order."""
        self.blobs: dict[str, tuple[str, bytes]] = {}
        self.faults: list[str] = []
        self.fault_on = "com.atproto.repo.createRecord"
        """The XRPC method whose calls consume ``faults``."""
        self.requests: list[dict[str, Any]] = []
        self.sessions = self.refreshes = 0
        self.access: set[str] = set()
        self.expired: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.deleted: list[str] = []
        """Record keys deleted, in order."""
        self.others: dict[str, dict[str, Any]] = {}
        """Other accounts' posts: uri -> {uri, cid, value}."""
        self.lock = threading.Lock()

        self.server = serve(self.handle_request)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.endpoint = f"http://localhost:{self.server.server_address[1]}"
        """The PDS as its DID document names it (what the upload token's aud is made from:
        atproto allows a port in a did:web only for localhost)."""

    # -- helpers for tests ------------------------------------------------------------------
    def texts(self) -> list[str]:
        return [r["value"]["text"] for r in self.records.values()]

    def calls(self) -> list[str]:
        """The XRPC methods called, in order."""
        return [r["path"].removeprefix("/xrpc/") for r in self.requests]

    def theirs(self, handle: str, text: str,
               reply: dict[str, Any] | None = None) -> dict[str, Any]:
        """A post by another account (its handle in ``handles``), as if made elsewhere;
        ``reply``: its own ``{root, parent}``."""
        value: dict[str, Any] = {"$type": POST, "text": text,
                                 "createdAt": "2026-11-24T08:00:00.000Z"}
        if reply is not None:
            value["reply"] = reply
        with self.lock:
            rkey = _tid(time.time_ns() // 1000 + len(self.others))
            uri = f"at://{self.handles[handle]}/{POST}/{rkey}"
            stored = {"uri": uri, "cid": _cid(json.dumps(value, sort_keys=True).encode()),
                      "value": value}
            self.others[uri] = stored
        return stored

    def remove(self, uri: str) -> None:
        """Another account deletes its post."""
        with self.lock:
            del self.others[uri]

    def _found(self, uri: str) -> dict[str, Any] | None:
        """A post by its uri, the account's or another's."""
        repo, _, rkey = uri.removeprefix("at://").partition(f"/{POST}/")
        if repo == self.did:
            return self.records.get(rkey)
        return self.others.get(uri)

    def expire_sessions(self) -> None:
        with self.lock:
            self.expired |= self.access
            self.access.clear()

    # -- the server -------------------------------------------------------------------------
    def _reply(self, h: BaseHTTPRequestHandler, status: int, body: Any,
               headers: dict[str, str] | None = None) -> None:
        reply_json(h, status, body, headers,
                   content_type="application/json; charset=utf-8")

    def handle_request(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length", "0")))
        url = urlsplit(h.path)
        method = url.path.removeprefix("/xrpc/")
        with self.lock:
            self.requests.append({"method": h.command, "path": url.path,
                                  "query": parse_qs(url.query), "headers": dict(h.headers),
                                  "body": raw})
            fault = self.faults.pop(0) if self.faults and method == self.fault_on else ""
        if fault == "drop":
            h.close_connection = True
            return
        if fault.startswith("slow:"):
            time.sleep(float(fault.split(":")[1]))
        try:
            if fault in ("500", "502", "503"):
                raise XrpcError(int(fault), "InternalServerError", "Internal Server Error")
            if fault.startswith("status:"):
                raise XrpcError(int(fault[7:]), "InvalidRequest", f"injected {fault}")
            if fault == "429":
                reset = str(int(time.time()) + 30)
                return self._reply(h, 429, {"error": "RateLimitExceeded",
                                            "message": "Rate Limit Exceeded"},
                                   {"RateLimit-Limit": "5000", "RateLimit-Remaining": "0",
                                    "RateLimit-Reset": reset, "RateLimit-Policy": "5000;w=3600"})
            if fault == "echo":
                raise XrpcError(400, "InvalidRequest",
                                f"bad request {dict(h.headers)} {raw.decode(errors='replace')}")
            route = ROUTES.get((h.command, method))
            if route is None:
                raise XrpcError(501, "MethodNotImplemented", "Method Not Implemented")
            result = route(self, h, parse_qs(url.query), raw)
        except XrpcError as exc:
            return self._reply(h, exc.status, {"error": exc.error, "message": exc.message})
        if fault == "accept-then-drop":
            h.close_connection = True
            return
        self._reply(h, 200, result)

    def _json(self, h: BaseHTTPRequestHandler, raw: bytes, known: set[str]) -> dict[str, Any]:
        if h.headers.get("Content-Type", "").split(";")[0] != "application/json":
            raise XrpcError(400, "InvalidRequest", "Wrong request encoding (Content-Type)")
        try:
            body = json.loads(raw)
        except ValueError:
            raise XrpcError(400, "InvalidRequest", "Invalid JSON") from None
        if not isinstance(body, dict):
            raise XrpcError(400, "InvalidRequest", "Input must be an object")
        if set(body) - known:
            raise XrpcError(400, "InvalidRequest", f"unknown input {sorted(set(body) - known)}")
        return body

    def _auth(self, h: BaseHTTPRequestHandler, pool: set[str] | None = None) -> str:
        header = h.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise XrpcError(401, "AuthMissing", "Authentication Required")
        token = header[7:]
        if token in self.expired:
            raise XrpcError(400, "ExpiredToken", "Token has expired")
        if token not in (self.access if pool is None else pool):
            raise XrpcError(400, "InvalidToken", "Token could not be verified")
        return token

    def _session(self) -> dict[str, Any]:
        stamp = f"{self.sessions}-{self.refreshes}-{time.monotonic_ns()}"
        access, refresh = f"eyJhbGciOi.access.{stamp}", f"eyJhbGciOi.refresh.{stamp}"
        self.access.add(access)
        self.refresh_tokens.add(refresh)
        return {"accessJwt": access, "refreshJwt": refresh, "handle": self.handle,
                "did": self.did, "active": True, "didDoc": {
                    "id": self.did, "service": [{
                        "id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                        "serviceEndpoint": self.endpoint}]}}

    def create_session(self, h: BaseHTTPRequestHandler, q: Any, raw: bytes) -> Any:
        body = self._json(h, raw, {"identifier", "password", "authFactorToken",
                                   "allowTakendown"})
        if body.get("identifier") not in (self.handle, self.did) or \
                body.get("password") != self.password:
            raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
        with self.lock:
            self.sessions += 1
            return self._session()

    def refresh_session(self, h: BaseHTTPRequestHandler, q: Any, raw: bytes) -> Any:
        with self.lock:
            token = self._auth(h, self.refresh_tokens)
            self.refresh_tokens.discard(token)
            self.refreshes += 1
            return self._session()

    def service_auth(self, h: BaseHTTPRequestHandler, q: dict[str, list[str]],
                     raw: bytes) -> Any:
        """``com.atproto.server.getServiceAuth`` as @atproto/pds checks it
        (packages/pds/src/api/com/atproto/server/getServiceAuth.ts): ``aud`` a did:plc or a
        did:web with no port unless localhost (packages/did/src/atproto.ts), ``exp`` not past
        and at most an hour ahead (a minute without ``lxm``); the token names the account
        (``iss``), ``aud``, ``lxm`` and ``exp`` (default a minute)."""
        with self.lock:
            self._auth(h)
        aud, lxm = q.get("aud", [""])[0], q.get("lxm", [""])[0] or None
        host = aud.removeprefix("did:web:")
        if not aud.startswith(("did:plc:", "did:web:")) or (
                aud.startswith("did:web:") and "%3A" in host
                and not host.startswith("localhost%3A")):
            raise XrpcError(400, "InvalidRequest",
                            "aud must be a valid atproto DID or did#serviceId reference")
        now = time.time()
        exp = int(q["exp"][0]) if "exp" in q else int(now) + 60
        if exp < now:
            raise XrpcError(400, "BadExpiration", "expiration is in past")
        if exp - now > 3600:
            raise XrpcError(400, "BadExpiration", "cannot request a token with an expiration "
                            "more than an hour in the future")
        if lxm is None and exp - now > 60:
            raise XrpcError(400, "BadExpiration", "cannot request a method-less token with an "
                            "expiration more than a minute in the future")
        return {"token": jwt({"iss": self.did, "aud": aud, "lxm": lxm, "exp": exp,
                              "iat": int(now)})}

    def resolve_handle(self, h: BaseHTTPRequestHandler, q: dict[str, list[str]],
                       raw: bytes) -> Any:
        handle = q.get("handle", [""])[0]
        if handle not in self.handles:
            raise XrpcError(400, "HandleNotFound", "Unable to resolve handle")
        return {"did": self.handles[handle]}

    def upload_blob(self, h: BaseHTTPRequestHandler, q: Any, raw: bytes) -> Any:
        with self.lock:
            self._auth(h)
        mime = h.headers.get("Content-Type", "")
        cid = _cid(raw)
        self.blobs[cid] = (mime, raw)
        return {"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime,
                         "size": len(raw)}}

    def get_record(self, h: BaseHTTPRequestHandler, q: dict[str, list[str]], raw: bytes) -> Any:
        if set(q) - {"repo", "collection", "rkey", "cid"}:
            raise XrpcError(400, "InvalidRequest", "unknown parameters")
        rkey, repo = q.get("rkey", [""])[0], q.get("repo", [""])[0]
        did = self.handles.get(repo, repo)
        uri = f"at://{did}/{POST}/{rkey}"
        found = self._found(uri) if q.get("collection", [""])[0] == POST else None
        if found is None:
            raise XrpcError(400, "RecordNotFound", f"Could not locate record: {uri}")
        return found

    def delete_record(self, h: BaseHTTPRequestHandler, q: Any, raw: bytes) -> Any:
        with self.lock:
            self._auth(h)
        body = self._json(h, raw, {"repo", "collection", "rkey", "swapRecord", "swapCommit"})
        if not all(isinstance(body.get(k), str) for k in ("repo", "collection", "rkey")):
            raise XrpcError(400, "InvalidRequest", "Input must have the properties \"repo\", "
                            "\"collection\" and \"rkey\"")
        repo = self.handles.get(body["repo"], body["repo"])
        if repo != self.did:
            if repo in self.handles.values():
                raise XrpcError(401, "AuthenticationRequired", "Authentication Required")
            raise XrpcError(403, "AccountNotFound", "Account not found")
        with self.lock:
            if body["collection"] != POST or self.records.pop(body["rkey"], None) is None:
                return {}  # "No-op if record already doesn't exist"
            self.deleted.append(body["rkey"])
            return {"commit": {"cid": _cid(f"commit-{time.time_ns()}".encode()),
                               "rev": _tid(time.time_ns() // 1000)}}

    def create_record(self, h: BaseHTTPRequestHandler, q: Any, raw: bytes) -> Any:
        with self.lock:
            self._auth(h)
        body = self._json(h, raw, CREATE_KEYS)
        if body.get("repo") != self.did:
            raise XrpcError(401, "AuthenticationRequired", "Authentication Required")
        if body.get("collection") != POST:
            raise XrpcError(400, "InvalidRequest", "this fake only holds posts")
        rkey = body.get("rkey")
        if rkey is not None and not TID.match(str(rkey)):
            raise XrpcError(400, "InvalidRequest", f"Invalid record key for {POST}: Invalid "
                            f"TID string (got {json.dumps(rkey)}) at $")
        record = body.get("record")
        try:
            self._check_post(record)
        except (KeyError, TypeError, AttributeError) as exc:
            raise XrpcError(400, "InvalidRequest", f"Invalid {POST} record: {exc!r}") from None
        with self.lock:
            rkey = rkey or _tid(time.time_ns() // 1000)
            if rkey in self.records:  # the reference's MST insert throws a plain Error
                raise XrpcError(500, "InternalServerError", "Internal Server Error")
            data = json.dumps(record, sort_keys=True).encode()
            stored = {"uri": f"at://{self.did}/{POST}/{rkey}", "cid": _cid(data),
                      "value": record}
            self.records[rkey] = stored
        return {"uri": stored["uri"], "cid": stored["cid"],
                "commit": {"cid": _cid(b"commit" + data), "rev": rkey},
                "validationStatus": "valid"}

    def _check_post(self, record: Any) -> None:
        def bad(message: str) -> XrpcError:
            return XrpcError(400, "InvalidRequest", f"Invalid {POST} record: {message}")

        if not isinstance(record, dict) or record.get("$type") != POST:
            raise bad("Record/$type must be app.bsky.feed.post")
        if set(record) - RECORD_KEYS:
            raise bad(f"unknown fields {sorted(set(record) - RECORD_KEYS)}")
        text = record.get("text")
        if not isinstance(text, str):
            raise bad("Record must have the property \"text\"")
        data = text.encode()
        if len(data) > 3000:  # the wording of @atproto/pds 0.5.35
            raise bad(f"string too big (maximum 3000, got {len(data)}) at $.record.text")
        if (graphemes := len(regex.findall(r"\X", text))) > 300:
            raise bad(f"grapheme too big (maximum 300, got {graphemes}) at $.record.text")
        try:
            created = str(record.get("createdAt"))
            if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", created):
                raise ValueError
            datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            raise bad("Record/createdAt must be an valid atproto datetime") from None
        langs = record.get("langs", [])
        if not isinstance(langs, list) or len(langs) > 3:
            raise bad("Record/langs must not have more than 3 elements")
        last = 0
        for facet in sorted(record.get("facets", []), key=lambda f: f["index"]["byteStart"]):
            start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
            if not 0 <= start < end <= len(data) or start < last:
                raise bad(f"facet {start}..{end} is outside the text or overlaps")
            last = end
            for feature in facet["features"]:
                field = FEATURES.get(feature.get("$type"))
                if field is None or not isinstance(feature.get(field), str) or \
                        (field == "did" and not feature["did"].startswith("did:")):
                    raise bad(f"bad facet feature {feature}")
        self._check_embed(record.get("embed"), bad)
        reply = record.get("reply")
        if reply is not None:
            if set(reply) != {"root", "parent"}:
                raise bad("Record/reply must have the properties \"root\" and \"parent\"")
            for ref in (reply["root"], reply["parent"]):
                found = self._found(str(ref.get("uri", "")))
                if set(ref) != {"uri", "cid"} or found is None or found["cid"] != ref["cid"]:
                    raise bad(f"reply ref {ref} names no record")
            parent = self._found(reply["parent"]["uri"]) or {}
            root = (parent["value"].get("reply") or {}).get("root") or reply["parent"]
            if reply["root"] != {"uri": root["uri"], "cid": root["cid"]}:
                raise bad(f"reply root {reply['root']} is not the root of the parent's thread "
                          f"({root['uri']})")

    def _check_embed(self, embed: Any, bad: Any) -> None:
        if embed is None:
            return
        if embed.get("$type") == "app.bsky.embed.external":
            self._check_external(embed, bad)
            return
        if embed.get("$type") == "app.bsky.embed.video":
            self._check_video(embed, bad)
            return
        if embed.get("$type") != "app.bsky.embed.images":
            raise bad(f"unsupported embed {embed.get('$type')}")
        images = embed.get("images", [])
        if not 1 <= len(images) <= 4:
            raise bad("Record/embed/images must not have more than 4 elements")
        for image in images:
            if set(image) - {"image", "alt", "aspectRatio"} or not isinstance(
                    image.get("alt"), str):
                raise bad("Record/embed/images/0 must have the property \"alt\"")
            if "aspectRatio" in image:
                self._check_aspect(image["aspectRatio"], bad)
            blob = image.get("image", {})
            stored = self.blobs.get(blob.get("ref", {}).get("$link"))
            if stored is None or blob.get("$type") != "blob":
                raise bad("Could not find blob")
            if not stored[0].startswith("image/") or blob.get("mimeType") != stored[0]:
                raise bad("Wrong type of file. It is text/plain but it must match image/*.")
            if len(stored[1]) > MAX_IMAGE:
                raise bad(f"This file is too large. It is {len(stored[1])} but the maximum "
                          f"size is {MAX_IMAGE}.")

    @staticmethod
    def _check_aspect(ratio: Any, bad: Any) -> None:
        """Lexicon app.bsky.embed.defs#aspectRatio: an object of exactly ``width`` and
        ``height``, both required integers of at least 1 (bluesky-social/atproto,
        lexicons/app/bsky/embed/defs.json; docs.bsky.app/docs/advanced-guides/posts)."""
        if not isinstance(ratio, dict) or set(ratio) != {"width", "height"}:
            raise bad("Record/embed/images/0/aspectRatio must have the properties \"width\" "
                      "and \"height\"")
        for key in ("width", "height"):
            value = ratio[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise bad(f"Record/embed/images/0/aspectRatio/{key} can not be less than 1")

    def _check_video(self, embed: dict[str, Any], bad: Any) -> None:
        """Lexicon app.bsky.embed.video: known keys only, ``video`` an uploaded blob of
        video/mp4 within maxSize, ``alt`` a string, ``aspectRatio`` as for images."""
        if set(embed) - VIDEO_KEYS:
            raise bad(f"Record/embed has unknown fields {sorted(set(embed) - VIDEO_KEYS)}")
        video = embed.get("video")
        if not isinstance(video, dict) or video.get("$type") != "blob":
            raise bad("Record/embed must have the property \"video\"")
        stored = self.blobs.get(video.get("ref", {}).get("$link"))
        if stored is None:
            raise bad("Could not find blob")
        if stored[0] != "video/mp4" or video.get("mimeType") != stored[0]:
            raise bad(f"Wrong type of file. It is {stored[0]} but it must match video/mp4.")
        if len(stored[1]) > MAX_VIDEO:
            raise bad(f"This file is too large. It is {len(stored[1])} but the maximum size "
                      f"is {MAX_VIDEO}.")
        if "alt" in embed and not isinstance(embed["alt"], str):
            raise bad("Record/embed/alt must be a string")
        if "aspectRatio" in embed:
            self._check_aspect(embed["aspectRatio"], bad)

    def _check_external(self, embed: dict[str, Any], bad: Any) -> None:
        """A link card, checked against lexicon app.bsky.embed.external (tests/vectors):
        its keys, the required uri/title/description strings, an http(s) ``uri``, and a
        ``thumb`` that is an uploaded ``image/*`` blob within ``maxSize``."""
        defs = EXTERNAL["defs"]
        if set(embed) - {"$type", *defs["main"]["properties"]} or not isinstance(
                embed.get("external"), dict):
            raise bad("Record/embed must have the property \"external\"")
        external, shape = embed["external"], defs["external"]
        if set(external) - set(shape["properties"]):
            raise bad(f"Record/embed/external has unknown fields "
                      f"{sorted(set(external) - set(shape['properties']))}")
        for key in shape["required"]:
            if not isinstance(external.get(key), str):
                raise bad(f"Record/embed/external must have the property \"{key}\"")
        if not re.match(r"^https?://\S+$", external["uri"]):
            raise bad("Record/embed/external/uri must be a valid uri")
        if "thumb" in external:
            thumb, rule = external["thumb"], shape["properties"]["thumb"]
            stored = self.blobs.get(thumb.get("ref", {}).get("$link")) \
                if isinstance(thumb, dict) else None
            if stored is None or thumb.get("$type") != "blob":
                raise bad("Could not find blob")
            if rule["accept"] != ["image/*"] or not stored[0].startswith("image/") or \
                    thumb.get("mimeType") != stored[0] or thumb.get("size") != len(stored[1]):
                raise bad(f"Wrong type of file. It is {stored[0]} but it must match image/*.")
            if len(stored[1]) > rule["maxSize"]:
                raise bad(f"This file is too large. It is {len(stored[1])} but the maximum "
                          f"size is {rule['maxSize']}.")

    @contextmanager
    def running(self) -> Iterator[Self]:
        with running(self.server):
            yield self


ROUTES: dict[tuple[str, str], Any] = {
    ("POST", "com.atproto.server.createSession"): FakeBluesky.create_session,
    ("POST", "com.atproto.server.refreshSession"): FakeBluesky.refresh_session,
    ("GET", "com.atproto.identity.resolveHandle"): FakeBluesky.resolve_handle,
    ("GET", "com.atproto.server.getServiceAuth"): FakeBluesky.service_auth,
    ("POST", "com.atproto.repo.uploadBlob"): FakeBluesky.upload_blob,
    ("POST", "com.atproto.repo.createRecord"): FakeBluesky.create_record,
    ("GET", "com.atproto.repo.getRecord"): FakeBluesky.get_record,
    ("POST", "com.atproto.repo.deleteRecord"): FakeBluesky.delete_record,
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict[str, Any]) -> str:
    """A service-auth token shaped like the PDS's (header.claims.signature), signed with
    :data:`SIGNING_KEY` (HMAC here; the real one signs with the account's key)."""
    head = _b64(json.dumps({"typ": "JWT", "alg": "ES256K"}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = hmac.new(SIGNING_KEY, f"{head}.{body}".encode(), "sha256").digest()
    return f"{head}.{body}.{_b64(signature)}"


def claims_of(token: str) -> dict[str, Any] | None:
    """The claims of a token :func:`jwt` signed; None when forged or malformed."""
    try:
        head, body, signature = token.split(".")
        good = hmac.new(SIGNING_KEY, f"{head}.{body}".encode(), "sha256").digest()
        if not hmac.compare_digest(_b64(good), signature):
            return None
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return claims
    except ValueError:
        return None


class FakeVideoService:
    """A strict loopback Bluesky video service (video.bsky.app), in front of a
    :class:`FakeBluesky` whose blob store it uploads processed videos to.

    It enforces what docs.bsky.app/docs/tutorials/video ("Uploading Video") and the lexicons
    app.bsky.video.{getUploadLimits,uploadVideo,getJobStatus,defs} (bluesky-social/atproto
    d6296a1) say: ``getUploadLimits`` with a service-auth token whose aud is this service's
    did:web and whose lxm is ``app.bsky.video.getUploadLimits``; ``uploadVideo`` with a
    token whose aud is the account's PDS (its DID document's endpoint) and whose lxm is
    ``com.atproto.repo.uploadBlob``, unexpired, ``did`` in the query equal to the token's
    issuer, a ``name``, a body of Content-Type video/mp4; ``getJobStatus?jobId=`` needs no
    token. Expired, forged or misdirected tokens get 401 ``AuthRequired`` / 400
    ``InvalidToken``. The same bytes uploaded again by the same account answer 409 with
    ``error: already_exists`` and the earlier job (as the tutorial handles). What the docs
    leave open is chosen here and said: a file that is not MP4 (no ``ftyp`` box) fails its job
    with failureCode ``validation_failure``; a file over ``max_bytes`` gets 400.

    ``steps``: the in-process states a job passes through, one per getJobStatus call, before
    it completes; ``fail``: ``(error, message)`` to fail every job with instead;
    ``limits``: the getUploadLimits answer.
    """

    def __init__(self, pds: FakeBluesky) -> None:
        self.pds = pds
        self.steps = ["JOB_STATE_ENCODING", "JOB_STATE_SCANNING"]
        self.fail: tuple[str, str] | None = None
        self.limits: dict[str, Any] = {"canUpload": True, "remainingDailyVideos": 25,
                                       "remainingDailyBytes": 10_000_000_000}
        self.max_bytes = MAX_VIDEO
        self.jobs: dict[str, dict[str, Any]] = {}
        self.done: dict[tuple[str, str], str] = {}
        """(did, sha256 of the bytes) -> job id, for already_exists."""
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.server = serve(self.handle_request)
        self.url = f"http://localhost:{self.server.server_address[1]}"
        self.did = f"did:web:localhost%3A{self.server.server_address[1]}"

    def calls(self) -> list[str]:
        return [r["path"].removeprefix("/xrpc/") for r in self.requests]

    def handle_request(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length", "0")))
        url = urlsplit(h.path)
        nsid, query = url.path.removeprefix("/xrpc/"), parse_qs(url.query)
        with self.lock:
            self.requests.append({"method": h.command, "path": url.path, "query": query,
                                  "headers": dict(h.headers), "body": raw})
        try:
            if (h.command, nsid) == ("GET", "app.bsky.video.getUploadLimits"):
                self._token(h, self.did, nsid)
                status, body = 200, self.limits
            elif (h.command, nsid) == ("POST", "app.bsky.video.uploadVideo"):
                status, body = self._upload(h, query, raw)
            elif (h.command, nsid) == ("GET", "app.bsky.video.getJobStatus"):
                status, body = 200, {"jobStatus": self._status(query.get("jobId", [""])[0])}
            else:
                raise XrpcError(404, "XRPCNotSupported", "XRPCNotSupported")
        except XrpcError as exc:
            status, body = exc.status, {"error": exc.error, "message": exc.message}
        reply_json(h, status, body, content_type="application/json; charset=utf-8")

    def _token(self, h: BaseHTTPRequestHandler, aud: str, lxm: str) -> dict[str, Any]:
        header = h.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise XrpcError(401, "AuthRequired", "Authentication Required")
        claims = claims_of(header[7:])
        if claims is None:
            raise XrpcError(400, "InvalidToken", "jwt signature does not match jwt issuer")
        if claims.get("aud") != aud:
            raise XrpcError(401, "AuthRequired", f"jwt audience does not match service did: "
                            f"{claims.get('aud')}")
        if claims.get("lxm") != lxm:
            raise XrpcError(401, "AuthRequired", f"bad jwt lexicon method (\"lxm\"). must "
                            f"match: {lxm}")
        if claims.get("exp", 0) < time.time():
            raise XrpcError(400, "ExpiredToken", "jwt expired")
        return claims

    def _upload(self, h: BaseHTTPRequestHandler, query: dict[str, list[str]],
                raw: bytes) -> tuple[int, Any]:
        claims = self._token(h, f"did:web:{urlsplit(self.pds.endpoint).hostname}%3A"
                                f"{urlsplit(self.pds.endpoint).port}",
                             "com.atproto.repo.uploadBlob")
        did = query.get("did", [""])[0]
        if did != claims["iss"] or not query.get("name", [""])[0]:
            raise XrpcError(400, "InvalidRequest", "did and name are required and the did "
                            "must be the token's issuer")
        if h.headers.get("Content-Type", "").split(";")[0] != "video/mp4":
            raise XrpcError(400, "InvalidRequest", "Wrong request encoding (Content-Type)")
        if not raw or len(raw) > self.max_bytes:
            raise XrpcError(400, "InvalidRequest", f"video is {len(raw)} bytes; at most "
                            f"{self.max_bytes}")
        digest = hashlib.sha256(raw).hexdigest()
        with self.lock:
            if (did, digest) in self.done:
                job = self._public(self.done[(did, digest)])
                return 409, {**job, "error": "already_exists",
                             "message": "Video already processed"}
            job_id = f"job{len(self.jobs) + 1:04d}"
            self.jobs[job_id] = {"jobId": job_id, "did": did, "state": "JOB_STATE_CREATED"}
            self.jobs[job_id]["_data"] = raw
            self.jobs[job_id]["_steps"] = list(self.steps)
        return 200, {"jobStatus": self._public(job_id)}

    def _public(self, job_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.jobs[job_id].items() if not k.startswith("_")}

    def _status(self, job_id: str) -> dict[str, Any]:
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None:
                raise XrpcError(404, "NotFound", "job not found")
            if job["state"] in ("JOB_STATE_COMPLETED", "JOB_STATE_FAILED"):
                return self._public(job_id)
            if job["_steps"]:
                job["state"] = job["_steps"].pop(0)
                job["progress"] = 50
                return self._public(job_id)
            data: bytes = job["_data"]
            if self.fail is not None or data[4:8] != b"ftyp":
                error, message = self.fail or ("validation_failure",
                                               "the file is not an MP4 video")
                job.update(state="JOB_STATE_FAILED", error=error, message=message,
                           failureCode="validation_failure" if self.fail is None
                           else "generic_failure")
                return self._public(job_id)
            cid = _cid(data)
            self.pds.blobs[cid] = ("video/mp4", data)
            job.update(state="JOB_STATE_COMPLETED", progress=100, blob={
                "$type": "blob", "ref": {"$link": cid}, "mimeType": "video/mp4",
                "size": len(data)})
            self.done[(job["did"], hashlib.sha256(data).hexdigest())] = job_id
            return self._public(job_id)

    @contextmanager
    def running(self) -> Iterator[Self]:
        with running(self.server):
            yield self
