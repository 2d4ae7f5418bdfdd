"""Google Analytics 4: the website sessions each campaign's links brought, per source.

Setup, once per content repository:

1. In Google Cloud, enable the *Google Analytics Data API*, create a service account and a
   JSON key for it.
2. In Google Analytics (Admin, Property access management), add the service account's email
   as a *Viewer* of the property.
3. Store the whole JSON key as a CI secret (``GA4_KEY``) and map it into the collect job.
4. Write ``calendar/analytics.yaml``::

       ga4:
         property: "123456789"   # Admin, Property settings, Property ID
         secret: GA4_KEY         # the environment variable holding the JSON key
         days: 30                # how far back each collect reads

Sign-in is the OAuth 2 service-account flow (JWT bearer grant, RFC 7523): a JWT naming the
service account and the read-only Analytics scope, signed RS256 with the key, is exchanged
at the key's ``token_uri`` for an access token valid one hour. Then one ``runReport`` (paged
by 10,000 rows) asks for ``sessions``, ``engagedSessions`` and ``keyEvents`` per ``date``,
``sessionCampaignName`` and ``sessionSource``, filtered to the ``utm_campaign`` values the
calendar's campaigns put on their links. Rows are kept per day, so a later collect replaces
the days GA4 was still processing.

The key, its private key and the access token are added to the :class:`~cmops.secrets.
Redactor` before any request: no message, file or log line can carry them.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from cmops.adapters.base import PublishError, Rejected, Transient
from cmops.adapters.http import USER_AGENT
from cmops.model import Campaign
from cmops.retry import wait_from_headers
from cmops.secrets import Redactor
from cmops.utm import campaign_matcher, campaign_pattern

CONFIG_FILES = ("calendar/analytics.yaml", "calendar/analytics.yml")
DATA_API = "https://analyticsdata.googleapis.com"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_SECONDS = 3600
"""The longest lifetime Google accepts for the signed assertion."""
DIMENSIONS = ("date", "sessionCampaignName", "sessionSource")
METRICS = ("sessions", "engagedSessions", "keyEvents")
PAGE_ROWS = 10_000
MAX_PAGES = 50
MAX_WAIT = 60.0
"""A 429 or 503 asking to wait longer than this is reported, not waited for."""
DEFAULT_DAYS = 30
_LOOPBACK = re.compile(r"^http://127\.0\.0\.1(:[0-9]+)?(/|$)")


class AnalyticsError(Exception):
    """calendar/analytics.yaml does not parse or fails its schema."""


@dataclass(frozen=True, slots=True)
class Ga4Config:
    property: str
    secret: str
    """Name of the environment variable holding the service-account JSON key."""
    days: int = DEFAULT_DAYS
    token_uri: str | None = None
    server: str = DATA_API


def parse_config(text: str, rel: str = CONFIG_FILES[0]) -> Ga4Config | None:
    """analytics.yaml's text -> the GA4 settings (None: the file configures no GA4)."""
    from cmops import schemas, yamlsafe

    try:
        data = yamlsafe.loads(text)
    except yamlsafe.YamlError as exc:
        raise AnalyticsError(f"{rel}: {exc}") from None
    if data is None:
        return None
    ga4 = data.get("ga4") if isinstance(data, dict) else None
    if isinstance(ga4, dict) and isinstance(ga4.get("property"), int):
        ga4["property"] = yamlsafe.original_scalar(text, ("ga4", "property"))
    if not isinstance(data, dict) or not schemas.is_valid("analytics", data):
        raise AnalyticsError(f"{rel} is not valid; run cmops validate")
    if ga4 is None:
        return None
    return Ga4Config(ga4["property"], ga4["secret"], ga4.get("days", DEFAULT_DAYS),
                     ga4.get("token_uri"), ga4.get("server", DATA_API).rstrip("/"))


@dataclass(slots=True)
class Ga4Setup:
    """What the collect step needs: the settings, where secrets come from, the HTTP seam."""

    config: Ga4Config
    env: Mapping[str, str]
    redactor: Redactor
    transport: httpx.BaseTransport | None = None
    timeout: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    """Real time for the assertion's iat/exp (``collect --at`` must not sign in the past)."""


def load_setup(root: Path, redactor: Redactor, env: Mapping[str, str] | None = None
               ) -> Ga4Setup | None:
    """The GA4 step of ``root``'s calendar, or None without ``calendar/analytics.yaml`` (or
    without a ``ga4:`` section). Raises :class:`AnalyticsError` for an invalid file."""
    for rel in CONFIG_FILES:
        path = root / rel
        if path.is_file():
            from cmops import yamlsafe

            try:  # bounded, and a file that is not UTF-8 is an invalid file, not a crash
                text = yamlsafe.read_bounded(path).decode("utf-8")
            except (yamlsafe.YamlError, UnicodeDecodeError, OSError) as exc:
                reason = "it is not UTF-8" if isinstance(exc, UnicodeDecodeError) else str(exc)
                raise AnalyticsError(f"{rel} cannot be read: {reason}; run cmops validate"
                                     ) from None
            config = parse_config(text, rel)
            return Ga4Setup(config, os.environ if env is None else env, redactor) \
                if config else None
    return None


# -- which campaigns, which rows ------------------------------------------------------------


def campaign_filter(campaigns: Iterable[Campaign]) -> dict[str, Any] | None:
    """The runReport ``dimensionFilter`` for these campaigns' ``utm_campaign`` values (None:
    no campaign tags its links, there is nothing to ask for)."""
    exact: set[str] = set()
    patterns: set[str] = set()
    for campaign in campaigns:
        found = campaign_pattern(campaign)
        if found is None:
            continue
        pattern, wildcard = found
        if wildcard:
            patterns.add(pattern)
        else:
            exact.add(re.sub(r"\\(.)", r"\1", pattern))
    field_name = "sessionCampaignName"
    expressions: list[dict[str, Any]] = []
    if exact:
        expressions.append({"filter": {"fieldName": field_name, "inListFilter": {
            "values": sorted(exact), "caseSensitive": False}}})
    expressions += [{"filter": {"fieldName": field_name, "stringFilter": {
        "matchType": "FULL_REGEXP", "value": p, "caseSensitive": False}}}
        for p in sorted(patterns)]
    if not expressions:
        return None
    return expressions[0] if len(expressions) == 1 else {"orGroup": {"expressions": expressions}}


def report_body(start: date, end: date, dimension_filter: Mapping[str, Any], offset: int = 0
                ) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dateRanges": [{"startDate": start.isoformat(), "endDate": end.isoformat()}],
        "dimensions": [{"name": n} for n in DIMENSIONS],
        "metrics": [{"name": n} for n in METRICS],
        "dimensionFilter": dict(dimension_filter),
        "limit": PAGE_ROWS,
    }
    if offset:
        body["offset"] = offset
    return body


@dataclass(frozen=True, slots=True)
class TrafficRow:
    day: date
    campaign: str
    source: str
    sessions: int
    engaged_sessions: int
    key_events: float
    """A count in practice; GA4 types it as a float."""

    def as_json(self) -> dict[str, Any]:
        key_events = int(self.key_events) if self.key_events.is_integer() else self.key_events
        return {"date": self.day.isoformat(), "campaign": self.campaign, "source": self.source,
                "sessions": self.sessions, "engaged_sessions": self.engaged_sessions,
                "key_events": key_events}


class MalformedReport(Rejected):
    pass


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise MalformedReport(f"GA4 sent a metric that is not a number: {str(value)[:40]!r}"
                              ) from None
    if not math.isfinite(number) or number < 0:
        raise MalformedReport(f"GA4 sent a metric that is not a count: {number}")
    return number


def _values(row: Mapping[str, Any], name: str, size: int) -> list[Any]:
    values = row.get(name)
    if not isinstance(values, list) or len(values) != size or not all(
            isinstance(v, dict) for v in values):
        raise MalformedReport(f"GA4 sent a row whose {name} are not the {size} asked for")
    return [v.get("value") for v in values]


def parse_rows(body: Mapping[str, Any]) -> list[TrafficRow]:
    """A runReport response's rows (none: ``rows`` is absent). Raises MalformedReport when
    the headers are not the dimensions and metrics asked for, or a value does not parse."""
    for key, names in (("dimensionHeaders", DIMENSIONS), ("metricHeaders", METRICS)):
        headers = body.get(key)
        if headers is not None and (not isinstance(headers, list) or tuple(
                h.get("name") if isinstance(h, dict) else None for h in headers) != names):
            raise MalformedReport(f"GA4 answered with other {key} than asked for")
    rows = body.get("rows") or []
    if not isinstance(rows, list):
        raise MalformedReport("GA4 sent rows that are not a list")
    out = []
    for row in rows:
        if not isinstance(row, dict):
            raise MalformedReport("GA4 sent a row that is not an object")
        day_text, campaign, source = _values(row, "dimensionValues", len(DIMENSIONS))
        sessions, engaged, key_events = (_number(v) for v in
                                         _values(row, "metricValues", len(METRICS)))
        try:
            day = datetime.strptime(str(day_text), "%Y%m%d").date()
        except ValueError:
            raise MalformedReport(f"GA4 sent a date that is not YYYYMMDD: "
                                  f"{str(day_text)[:20]!r}") from None
        if not isinstance(campaign, str) or not isinstance(source, str):
            raise MalformedReport("GA4 sent a campaign or source that is not text")
        out.append(TrafficRow(day, campaign, source, int(sessions), int(engaged), key_events))
    return out


@dataclass(slots=True)
class Traffic:
    sessions: int = 0
    engaged_sessions: int = 0
    key_events: float = 0.0

    def add(self, row: TrafficRow) -> None:
        self.sessions += row.sessions
        self.engaged_sessions += row.engaged_sessions
        self.key_events += row.key_events


def totals(rows: Iterable[TrafficRow], matcher: re.Pattern[str] | None = None
           ) -> dict[str, Traffic]:
    """Source -> totals over ``rows`` (only campaigns ``matcher`` fully matches, if given),
    most sessions first."""
    out: dict[str, Traffic] = {}
    for row in rows:
        if matcher is None or matcher.fullmatch(row.campaign):
            out.setdefault(row.source, Traffic()).add(row)
    return dict(sorted(out.items(), key=lambda kv: (-kv[1].sessions, kv[0])))


# -- the service account and the two HTTP calls ---------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    client_email: str
    private_key: str = field(repr=False)
    token_uri: str | None = None
    key_id: str | None = field(default=None, repr=False)


def service_account(text: str, name: str, redactor: Redactor) -> ServiceAccount:
    """The key JSON held by environment variable ``name``; every secret part of it is added
    to ``redactor`` first. Raises Rejected (never quoting the value) when it is not one."""
    redactor.add(text)
    try:
        raw = json.loads(text)
    except ValueError:
        raw = None
    if not isinstance(raw, dict):
        raise Rejected(f"{name} does not hold a JSON key (download one for the service "
                       "account: Keys, Add key, JSON)")
    private_key, email = raw.get("private_key"), raw.get("client_email")
    if isinstance(private_key, str):
        redactor.add(private_key)
        redactor.add(json.dumps(private_key)[1:-1])  # as it appears inside the JSON text
        for line in private_key.splitlines():
            if not line.startswith("-----"):
                redactor.add(line.strip())
    key_id = raw.get("private_key_id")
    if isinstance(key_id, str):
        redactor.add(key_id)
    if raw.get("type") != "service_account" or not isinstance(email, str) or not email \
            or not isinstance(private_key, str) or "PRIVATE KEY-----" not in private_key:
        raise Rejected(f"{name} is not a service-account key (it needs type "
                       "service_account, client_email and private_key)")
    token_uri = raw.get("token_uri")
    return ServiceAccount(email, private_key, token_uri if isinstance(token_uri, str) else None,
                          key_id if isinstance(key_id, str) else None)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def assertion(account: ServiceAccount, audience: str, issued: int) -> str:
    """The signed JWT (RS256) exchanged for an access token."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    header: dict[str, str] = {"alg": "RS256", "typ": "JWT"}
    if account.key_id:
        header["kid"] = account.key_id
    claims = {"iss": account.client_email, "scope": SCOPE, "aud": audience, "iat": issued,
              "exp": issued + ASSERTION_SECONDS}
    signing_input = ".".join(_b64(json.dumps(part, separators=(",", ":")).encode())
                             for part in (header, claims))
    try:
        key = serialization.load_pem_private_key(account.private_key.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise Rejected("the service-account key's private_key is not an RSA key in PEM form")
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def _checked_url(url: str, what: str) -> str:
    if url.startswith("https://") or _LOOPBACK.match(url):
        return url
    raise Rejected(f"refusing to send GA4 credentials to {what} over plain http: {url[:80]}")


def _failure(response: httpx.Response, redact: Callable[[str], str], what: str
             ) -> PublishError:
    """Google's error shapes: ``{"error": {"code", "message", "status"}}`` from the API,
    ``{"error": "...", "error_description": "..."}`` from the token endpoint."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        status, message = error.get("status"), error.get("message")
    else:
        status = error
        message = body.get("error_description") if isinstance(body, dict) else None
    detail = " ".join(str(x) for x in (status, message) if isinstance(x, str) and x)
    code = response.status_code
    text = redact(" ".join(f"{what}: HTTP {code} {detail}".split()))[:400]
    if code == 403:
        text += " (is the service account a Viewer of the property?)"
    if code in (429, 503) or code >= 500:
        return Transient(text, retry_after=wait_from_headers(response.headers,
                                                             datetime.now(UTC)),
                         maybe_sent=False, status=code)
    return Rejected(text, status=code)


class Ga4Client:
    """Signs in once, then reads reports. ``with Ga4Client(...) as client: ...``"""

    def __init__(self, setup: Ga4Setup, account: ServiceAccount) -> None:
        self.setup, self.account = setup, account
        self.redact = setup.redactor
        self.token_uri = _checked_url(setup.config.token_uri or account.token_uri
                                      or GOOGLE_TOKEN_URI, "the token endpoint")
        self.server = _checked_url(setup.config.server, "the Data API")
        self.http = httpx.Client(transport=setup.transport, timeout=setup.timeout,
                                 headers={"User-Agent": USER_AGENT}, follow_redirects=False)
        self.token: str | None = None

    def __enter__(self) -> Ga4Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def _send(self, what: str, call: Callable[[], httpx.Response]) -> Any:
        for attempt in (1, 2):
            try:
                response = call()
            except httpx.TransportError as exc:
                raise Transient(self.redact(f"{what}: connection failed: "
                                            f"{type(exc).__name__}"), maybe_sent=False) from None
            if 200 <= response.status_code < 300:
                try:
                    return response.json()
                except ValueError:
                    raise MalformedReport(f"{what}: the answer is not JSON") from None
            failure = _failure(response, self.redact, what)
            wait = failure.retry_after if isinstance(failure, Transient) else None
            if attempt == 1 and wait is not None and wait <= MAX_WAIT:
                self.setup.sleep(wait)
                continue
            raise failure
        raise AssertionError("unreachable")  # pragma: no cover

    def sign_in(self) -> None:
        issued = int(self.setup.clock())
        form = {"grant_type": JWT_BEARER,
                "assertion": assertion(self.account, self.token_uri, issued)}
        self.redact.add(form["assertion"])  # a bearer credential for the next hour
        body = self._send("GA4 sign-in", lambda: self.http.post(self.token_uri, data=form))
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise Rejected("GA4 sign-in: the token endpoint sent no access_token")
        self.redact.add(token)
        self.token = token

    def run_report(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if self.token is None:
            self.sign_in()
        url = f"{self.server}/v1beta/properties/{self.setup.config.property}:runReport"
        headers = {"Authorization": f"Bearer {self.token}"}
        answer = self._send("GA4 runReport",
                            lambda: self.http.post(url, json=dict(body), headers=headers))
        if not isinstance(answer, dict):
            raise MalformedReport("GA4 runReport: the answer is not an object")
        return answer

    def traffic(self, start: date, end: date, dimension_filter: Mapping[str, Any]
                ) -> list[TrafficRow]:
        """Every row of the window, following ``offset`` pages up to ``rowCount``."""
        rows: list[TrafficRow] = []
        for _ in range(MAX_PAGES):
            answer = self.run_report(report_body(start, end, dimension_filter, len(rows)))
            page = parse_rows(answer)
            rows += page
            count = answer.get("rowCount", 0)
            if not page or not isinstance(count, int) or len(rows) >= count:
                return rows
        raise MalformedReport(f"GA4 runReport: more than {MAX_PAGES * PAGE_ROWS} rows; "
                              "lower days in calendar/analytics.yaml")


@dataclass(slots=True)
class Reading:
    """One collect's answer from GA4: rows, or why there are none."""

    start: date
    end: date
    rows: list[TrafficRow] = field(default_factory=list)
    unavailable: str | None = None
    """Not configured enough to ask (no secret, no tagged campaign): not a failure."""
    error: str | None = None


def read_traffic(setup: Ga4Setup, campaigns: Sequence[Campaign], start: date, end: date,
                 progress: Callable[[str], None] = lambda message: None) -> Reading:
    """Sign in and read the window's rows for these campaigns. Never raises for a network
    or key problem: it is the reading's ``error`` (redacted)."""
    reading = Reading(start, end)
    name = setup.config.secret
    text = setup.env.get(name)
    if not text:
        reading.unavailable = f"{name} not set"
        return reading
    dimension_filter = campaign_filter(campaigns)
    if dimension_filter is None:
        reading.unavailable = "no campaign tags its links (utm in the campaign file)"
        return reading
    try:
        account = service_account(text, name, setup.redactor)
        with Ga4Client(setup, account) as client:
            progress("signing in")
            client.sign_in()
            progress(f"reading {start.isoformat()} to {end.isoformat()}")
            reading.rows = client.traffic(start, end, dimension_filter)
    except PublishError as exc:
        reading.error = setup.redactor(str(exc))
    return reading


__all__ = ["AnalyticsError", "Ga4Client", "Ga4Config", "Ga4Setup", "Reading", "ServiceAccount",
           "Traffic", "TrafficRow", "campaign_filter", "campaign_matcher", "load_setup",
           "parse_config", "parse_rows", "read_traffic", "report_body", "service_account",
           "totals"]
