"""A strict loopback Google: the OAuth 2 token endpoint of a service account and the GA4 Data
API's ``runReport``, on 127.0.0.1.

``POST /token`` takes only ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` and
``assertion``: an RS256 JWT whose signature verifies with the public half of the test's key
pair, whose ``iss`` is the service account, ``scope`` the read-only Analytics scope, ``aud``
this endpoint, ``iat`` the real time (±5 min) and ``exp`` at most one hour later. Refusals
are Google's ``{"error": "invalid_grant", "error_description": …}``.

``POST /v1beta/properties/<id>:runReport`` wants a bearer token this fake issued and a body
of known fields only (an unknown one is a 400 INVALID_ARGUMENT, as the real API's JSON
parser answers), ``dateRanges`` of ``YYYY-MM-DD``, the dimensions ``date``,
``sessionCampaignName``, ``sessionSource`` and the metrics ``sessions``, ``engagedSessions``,
``keyEvents`` (the only ones it can simulate), and a well-formed ``dimensionFilter``. It
answers the scripted ``rows`` that pass the filter and the date range, aggregated by the
requested dimensions, paged by ``offset``/``limit`` (and at most ``page_cap`` rows), with
``rowCount``; no ``rows`` key when none match. Errors: ``{"error": {"code", "message",
"status"}}``.

Faults, one per runReport: ``429`` (RESOURCE_EXHAUSTED, ``Retry-After: 7``),
``429:SECONDS``, ``403``, ``500``, ``echo`` (a 400 whose message repeats the Authorization
header: the client must redact it).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from tests.fakes.loopback import reply_json, running, serve

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
DIMENSIONS = ("date", "sessionCampaignName", "sessionSource")
METRICS = ("sessions", "engagedSessions", "keyEvents")
BODY_FIELDS = {"dateRanges", "dimensions", "metrics", "dimensionFilter", "metricFilter",
               "offset", "limit", "metricAggregations", "orderBys", "currencyCode",
               "cohortSpec", "keepEmptyRows", "returnPropertyQuota", "comparisons"}
MATCH_TYPES = {"EXACT", "BEGINS_WITH", "ENDS_WITH", "CONTAINS", "FULL_REGEXP",
               "PARTIAL_REGEXP"}
_DATE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}|today|yesterday|[0-9]+daysAgo)$")


@dataclass(frozen=True, slots=True)
class Visit:
    day: date
    campaign: str
    source: str
    sessions: int
    engaged: int
    key_events: int = 0


class ApiError(Exception):
    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class FakeGa4:
    def __init__(self, public_key: rsa.RSAPublicKey, client_email: str,
                 property_id: str = "123456789") -> None:
        self.public_key, self.client_email, self.property_id = (public_key, client_email,
                                                                property_id)
        self.rows: list[Visit] = []
        self.faults: list[str] = []
        self.page_cap = 100_000
        self.token_requests: list[dict[str, list[str]]] = []
        self.claims: list[dict[str, Any]] = []
        self.reports: list[dict[str, Any]] = []
        self.issued: set[str] = set()
        self.lock = threading.Lock()

        self.server = serve(self.handle)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    @contextmanager
    def running(self) -> Iterator[Self]:
        with running(self.server):
            yield self

    def _reply(self, h: BaseHTTPRequestHandler, status: int, body: Any,
               headers: dict[str, str] | None = None) -> None:
        reply_json(h, status, body, headers,
                   content_type="application/json; charset=UTF-8")

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length", "0")))
        if h.path == "/token":
            return self._token(h, raw)
        prefix = "/v1beta/properties/"
        if h.path.startswith(prefix) and h.path.endswith(":runReport"):
            return self._report(h, h.path[len(prefix):-len(":runReport")], raw)
        return self._reply(h, 404, {"error": {"code": 404, "message": "Not Found",
                                              "status": "NOT_FOUND"}})

    # -- the token endpoint --------------------------------------------------------------
    def _token(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        if h.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            return self._grant_error(h, "invalid_request", "form encoding expected")
        form = parse_qs(raw.decode(), keep_blank_values=True, strict_parsing=True)
        with self.lock:
            self.token_requests.append(form)
        if set(form) != {"grant_type", "assertion"} or any(len(v) != 1 for v in form.values()):
            return self._grant_error(h, "invalid_request", f"unexpected fields {sorted(form)}")
        if form["grant_type"][0] != JWT_BEARER:
            return self._grant_error(h, "unsupported_grant_type", "Invalid grant_type")
        try:
            claims = self._verify(form["assertion"][0])
        except ValueError as exc:
            return self._grant_error(h, "invalid_grant", str(exc))
        token = f"ya29.fake-{len(self.issued)}-access-token-0f9e8d"
        with self.lock:
            self.claims.append(claims)
            self.issued.add(token)
        return self._reply(h, 200, {"access_token": token, "expires_in": 3599,
                                    "token_type": "Bearer"})

    def _grant_error(self, h: BaseHTTPRequestHandler, error: str, description: str) -> None:
        self._reply(h, 400, {"error": error, "error_description": description})

    def _verify(self, jwt: str) -> dict[str, Any]:
        parts = jwt.split(".")
        if len(parts) != 3:
            raise ValueError("Invalid JWT: not three parts")
        header, claims = (json.loads(_unb64(p)) for p in parts[:2])
        if header.get("alg") != "RS256" or header.get("typ") != "JWT" or \
                set(header) - {"alg", "typ", "kid"}:
            raise ValueError(f"Invalid JWT header {header}")
        try:
            self.public_key.verify(_unb64(parts[2]), f"{parts[0]}.{parts[1]}".encode(),
                                   padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise ValueError("Invalid JWT Signature.") from None
        if set(claims) != {"iss", "scope", "aud", "iat", "exp"}:
            raise ValueError(f"unexpected claims {sorted(claims)}")
        now = time.time()
        if claims["iss"] != self.client_email:
            raise ValueError("Invalid issuer")
        if claims["scope"] != SCOPE:
            raise ValueError("Invalid OAuth scope")
        if claims["aud"] != self.token_uri:
            raise ValueError("Invalid JWT audience")
        iat, exp = claims["iat"], claims["exp"]
        if not isinstance(iat, int) or not isinstance(exp, int) or abs(iat - now) > 300 \
                or not 0 < exp - iat <= 3600 or exp < now:
            raise ValueError("Invalid JWT: Token must be a short-lived token (60 minutes) "
                             "and in a reasonable timeframe.")
        return dict(claims)

    # -- runReport -----------------------------------------------------------------------
    def _report(self, h: BaseHTTPRequestHandler, prop: str, raw: bytes) -> None:
        auth = h.headers.get("Authorization", "")
        with self.lock:
            fault = self.faults.pop(0) if self.faults else ""
        try:
            if not auth.startswith("Bearer ") or auth[7:] not in self.issued:
                raise ApiError(401, "UNAUTHENTICATED", "Request had invalid authentication "
                                                       "credentials.")
            if prop != self.property_id or fault == "403":
                raise ApiError(403, "PERMISSION_DENIED", "User does not have sufficient "
                                                         "permissions for this property.")
            if fault.startswith("429"):
                wait = fault.partition(":")[2] or "7"
                return self._reply(h, 429, {"error": {
                    "code": 429, "status": "RESOURCE_EXHAUSTED",
                    "message": "Exhausted property tokens per hour for this property."}},
                    {"Retry-After": wait})
            if fault == "500":
                raise ApiError(500, "INTERNAL", "Internal error encountered.")
            if fault == "echo":
                raise ApiError(400, "INVALID_ARGUMENT", f"bad request with {auth}")
            if h.headers.get("Content-Type") != "application/json":
                raise ApiError(400, "INVALID_ARGUMENT", "JSON body expected")
            body = json.loads(raw)
            with self.lock:
                self.reports.append(body)
            return self._reply(h, 200, self._answer(body))
        except ApiError as exc:
            return self._reply(h, exc.code, {"error": {"code": exc.code, "message": exc.message,
                                                       "status": exc.status}})

    def _answer(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        unknown = sorted(set(body) - BODY_FIELDS)
        if unknown:
            raise ApiError(400, "INVALID_ARGUMENT", f'Invalid JSON payload received. Unknown '
                                                    f'name "{unknown[0]}": Cannot find field.')
        ranges = body.get("dateRanges")
        if not isinstance(ranges, list) or not 1 <= len(ranges) <= 4:
            raise ApiError(400, "INVALID_ARGUMENT", "one to four dateRanges are required")
        for r in ranges:
            if not isinstance(r, dict) or set(r) - {"startDate", "endDate", "name"} or not all(
                    isinstance(r.get(k), str) and _DATE.match(r[k])
                    for k in ("startDate", "endDate")):
                raise ApiError(400, "INVALID_ARGUMENT", f"invalid dateRange {r}")
        dims = self._names(body.get("dimensions"), DIMENSIONS, "dimension")
        metrics = self._names(body.get("metrics"), METRICS, "metric")
        limit = int(body.get("limit", 10_000))
        offset = int(body.get("offset", 0))
        if not 1 <= limit <= 250_000 or offset < 0:
            raise ApiError(400, "INVALID_ARGUMENT", "limit must be 1-250000, offset >= 0")
        expression = body.get("dimensionFilter")
        if expression is not None:
            self._check_filter(expression)
        start, end = (date.fromisoformat(ranges[0][k]) for k in ("startDate", "endDate"))
        grouped: dict[tuple[str, ...], list[int]] = {}
        for v in self.rows:
            values = {"date": v.day.strftime("%Y%m%d"), "sessionCampaignName": v.campaign,
                      "sessionSource": v.source}
            if not start <= v.day <= end or (expression is not None
                                             and not self._passes(expression, values)):
                continue
            sums = grouped.setdefault(tuple(values[d] for d in dims), [0, 0, 0])
            for i, amount in enumerate((v.sessions, v.engaged, v.key_events)):
                sums[i] += amount
        keys = sorted(grouped)
        page = keys[offset:offset + min(limit, self.page_cap)]
        answer: dict[str, Any] = {
            "dimensionHeaders": [{"name": d} for d in dims],
            "metricHeaders": [{"name": m, "type": "TYPE_INTEGER"} for m in metrics],
            "rowCount": len(keys), "metadata": {"currencyCode": "EUR",
                                                "timeZone": "Europe/Paris"},
            "kind": "analyticsData#runReport"}
        if page:
            answer["rows"] = [{"dimensionValues": [{"value": x} for x in key],
                               "metricValues": [{"value": str(grouped[key][METRICS.index(m)])}
                                                for m in metrics]} for key in page]
        return answer

    @staticmethod
    def _names(items: Any, known: tuple[str, ...], what: str) -> list[str]:
        if not isinstance(items, list) or not items:
            raise ApiError(400, "INVALID_ARGUMENT", f"at least one {what} is required")
        names = []
        for item in items:
            if not isinstance(item, dict) or set(item) != {"name"} or item["name"] not in known:
                raise ApiError(400, "INVALID_ARGUMENT", f"Field {item} is not a valid {what}.")
            names.append(item["name"])
        return names

    def _check_filter(self, node: Any) -> None:
        if not isinstance(node, dict) or len(node) != 1:
            raise ApiError(400, "INVALID_ARGUMENT", f"a FilterExpression has one field: {node}")
        kind, value = next(iter(node.items()))
        if kind in ("andGroup", "orGroup"):
            if not isinstance(value, dict) or set(value) != {"expressions"} or not isinstance(
                    value["expressions"], list) or not value["expressions"]:
                raise ApiError(400, "INVALID_ARGUMENT", f"invalid {kind}")
            for sub in value["expressions"]:
                self._check_filter(sub)
        elif kind == "notExpression":
            self._check_filter(value)
        elif kind == "filter":
            if not isinstance(value, dict) or value.get("fieldName") not in DIMENSIONS or \
                    len(value) != 2:
                raise ApiError(400, "INVALID_ARGUMENT", f"invalid filter {value}")
            (how, spec), = ((k, v) for k, v in value.items() if k != "fieldName")
            if how == "inListFilter":
                ok = isinstance(spec, dict) and set(spec) <= {"values", "caseSensitive"} and \
                    isinstance(spec.get("values"), list) and spec["values"] and all(
                        isinstance(x, str) for x in spec["values"])
            elif how == "stringFilter":
                ok = isinstance(spec, dict) and set(spec) <= {"matchType", "value",
                                                              "caseSensitive"} and \
                    spec.get("matchType", "EXACT") in MATCH_TYPES and \
                    isinstance(spec.get("value"), str)
                if ok and "REGEXP" in spec.get("matchType", ""):
                    re.compile(spec["value"])
            else:
                ok = False
            if not ok or not isinstance(spec.get("caseSensitive", False), bool):
                raise ApiError(400, "INVALID_ARGUMENT", f"invalid {how}: {spec}")
        else:
            raise ApiError(400, "INVALID_ARGUMENT", f'Unknown name "{kind}"')

    def _passes(self, node: dict[str, Any], values: dict[str, str]) -> bool:
        kind, value = next(iter(node.items()))
        if kind == "andGroup":
            return all(self._passes(e, values) for e in value["expressions"])
        if kind == "orGroup":
            return any(self._passes(e, values) for e in value["expressions"])
        if kind == "notExpression":
            return not self._passes(value, values)
        field = values[value["fieldName"]]
        spec = value.get("inListFilter") or value["stringFilter"]
        fold = (lambda s: s) if spec.get("caseSensitive") else str.lower
        if "inListFilter" in value:
            return fold(field) in {fold(x) for x in spec["values"]}
        match, wanted = spec.get("matchType", "EXACT"), spec["value"]
        flags = 0 if spec.get("caseSensitive") else re.IGNORECASE
        if match == "FULL_REGEXP":
            return re.fullmatch(wanted, field, flags) is not None
        if match == "PARTIAL_REGEXP":
            return re.search(wanted, field, flags) is not None
        tests = {"EXACT": fold(field) == fold(wanted),
                 "BEGINS_WITH": fold(field).startswith(fold(wanted)),
                 "ENDS_WITH": fold(field).endswith(fold(wanted)),
                 "CONTAINS": fold(wanted) in fold(field)}
        return tests[match]
