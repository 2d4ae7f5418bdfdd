"""No secret in any output, at any verbosity (issue 14).

``cmops -v publish`` and ``cmops -v collect``, run as real processes for every network adapter
that speaks HTTP (and for Google Analytics), against one loopback server that answers with an
error echoing the whole request (method, path and query, headers, body; in clear and in
base64) in a text longer than 300 characters, placed so that the first secret in it straddles
the character where the adapter cuts error messages. No canary may appear in stdout, stderr or
any file under the repository (ledger, snapshots, inbox, outbox): not raw, URL-encoded or
base64, and not any 12 characters of one of those. Then the pieces one by one: the Redactor
against cuts at every offset, http's error message, the log filter, a bug's traceback.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import random
import string
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from PIL import Image
from tests.fakes.loopback import reply_json, running, serve
from tests.helpers import post

from cmops.adapters import ADAPTERS, Rejected
from cmops.adapters.http import check
from cmops.secrets import REDACTED, LogRedactor, Redactor, redact_known

PUBLISH_AT = "2026-11-24T09:00Z"
COLLECT_AT = "2026-11-24T09:05Z"
WINDOW = 12
"""A run of this many characters of any spelling of a canary in an output is a leak."""
_RNG = random.Random(14)


def canary(tag: str, alphabet: str = string.ascii_letters + string.digits + "+/=~:_-",
           size: int = 40) -> str:
    """A high-entropy value; the default alphabet needs URL-encoding in a query or a form."""
    return f"{tag}{''.join(_RNG.choice(alphabet) for _ in range(size))}"


PATH_SAFE = string.ascii_letters + string.digits + "_-"


def spellings(value: str) -> set[str]:
    """How a value can travel: as is, URL-encoded, and base64 (both alphabets) at each of the
    three alignments it can have inside a longer encoded text (only the characters that
    encode the value's bytes alone)."""
    raw = value.encode()
    found = {value, quote(value, safe=""), quote_plus(value)}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for pad in (b"", b"x", b"xx"):
            encoded = encode(pad + raw).decode()
            found.add(encoded[4 if pad else 0:-4])
    return found


def leaks(text: str, canaries: list[str]) -> list[str]:
    """Each canary spelling of which WINDOW characters in a row appear in ``text``."""
    out = []
    for value in canaries:
        for form in sorted(spellings(value)):
            hits = [form[i:i + WINDOW] for i in range(len(form) - WINDOW + 1)
                    if form[i:i + WINDOW] in text]
            if hits:
                out.append(f"{value!r} as {form!r}: {hits[0]!r}")
    return out


# -- the echoing server ----------------------------------------------------------------------

Placer = Callable[[int], str]
"""cut -> the error text, its first secret straddling character ``cut``."""


@dataclass
class Echo:
    """Answers every request with an error echoing it, except the scripted successes
    (a sign-in that hands out a session: those tokens are canaries too)."""

    canaries: list[str]
    body: Callable[[str, Placer], Any]
    """(path, placer) -> the error body, in the shape the adapter reads."""
    status: int = 400
    script: dict[tuple[str, str], Any] = field(default_factory=dict)
    """(method, path start) -> the JSON of a 200 answer."""
    learn: Callable[[str], list[str]] = lambda echo: []
    """Secrets the client made, found in a request: canaries, and the ones cut there."""
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.server = serve(self.handle)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length", "0")))
        headers = "; ".join(f"{k}: {v}" for k, v in h.headers.items())
        echo = " ".join(f"{h.command} {h.path} {headers} "
                        f"{raw[:4000].decode('utf-8', 'replace')}".split())
        learned = self.learn(echo)
        with self.lock:
            self.requests.append(echo)
            self.canaries.extend(learned)
            n = len(self.requests)
        for (method, start), answer in self.script.items():
            if h.command == method and h.path.startswith(start):
                return reply_json(h, 200, answer)
        encoded = base64.b64encode(echo.encode()).decode()
        # Every other answer puts the base64 copy first, so that a base64 secret is cut too.
        text = f"{echo} | base64: {encoded}" if n % 2 else f"{encoded} | echo: {echo}"
        forms = [f for value in learned or self.canaries for f in spellings(value)]
        reply_json(h, self.status, self.body(h.path, lambda cut: straddle(text, forms, cut)))

    def running(self) -> Any:
        return running(self.server)


def straddle(text: str, forms: list[str], cut: int) -> str:
    """``text`` shifted (padded or its start dropped) so that the first of ``forms`` in it
    is cut in two at character ``cut``."""
    found = [(at, len(form)) for form in forms if (at := text.find(form)) != -1]
    if not found:
        return "x" * cut + text
    at, size = min(found)
    shift = cut - (at + size // 2)
    return "x" * shift + text if shift >= 0 else text[-shift:]


# -- one case per network: its channel, secrets, error shape, scripted sign-in -----------------


@dataclass(frozen=True)
class Case:
    channel: Callable[[str], dict[str, Any]]
    """The fake's URL -> the channel's settings (network included)."""
    secrets: dict[str, str]
    """Role -> canary value (each read from the environment variable SECRET_<ROLE>)."""
    body: Callable[[str, Placer], Any]
    runtime: dict[str, str] = field(default_factory=dict)
    """Secrets the network hands out at sign-in (canaries as well)."""
    script: Callable[[dict[str, str]], dict[tuple[str, str], Any]] = lambda runtime: {}
    reads: bool = True
    media: bool = False
    extra: str = ""
    """More of the posts' YAML (YouTube's title variant and video)."""
    token_key: bool = False
    """Whether the run has a CMOPS_TOKEN_KEY (a canary too), which cmops needs to keep a
    rotated refresh token between runs."""


def _plain(key: str, cut: int = 300) -> Callable[[str, Placer], Any]:
    return lambda path, text: {key: text(cut)}


def _graph(path: str, text: Placer) -> Any:
    # graph_check: "HTTP 400: (#190) <message>", cut at 300
    return {"error": {"message": text(300 - len("HTTP 400: (#190) ")), "type": "OAuthException",
                      "code": 190}}


def _google(path: str, text: Placer) -> Any:
    # Google's error object; http.check finds no string at its top level and cuts the whole
    # body's text at 300, which starts with "{'error': {'message': '"
    return {"error": {"message": text(300 - len("{'error': {'message': '")), "code": 400,
                      "status": "INVALID_ARGUMENT"}}


def _tiktok(path: str, text: Placer) -> Any:
    # TikTok's envelope: "HTTP 400: <error.code>: <error.message>", cut at 300
    return {"error": {"code": "invalid_params",
                      "message": text(300 - len("HTTP 400: invalid_params: ")),
                      "log_id": "202611240900"}, "data": {}}


def _refreshed(**more: Any) -> Callable[[dict[str, str]], dict[str, Any]]:
    """A token endpoint's answer handing out the runtime canaries."""
    return lambda rt: {**rt, "token_type": "bearer", "expires_in": 3600, **more}


def _graph_case(network: str, **settings: Any) -> Case:
    return Case(lambda url: {"network": network, "server": url, **settings},
                {"token" if network != "facebook" else "page_token": canary(f"{network}-")},
                _graph, media=network == "instagram")


CASES: dict[str, Case] = {
    "mastodon": Case(lambda url: {"network": "mastodon", "server": url},
                     {"token": canary("masto-")}, _plain("error")),
    "bluesky": Case(
        lambda url: {"network": "bluesky", "server": url, "appview": url},
        {"identifier": "brand.test", "password": canary("bsky-pw-", PATH_SAFE, 19)},
        # _explained: "<error>: <message>", cut at 300
        lambda path, text: {"error": "InvalidRequest",
                            "message": text(300 - len("InvalidRequest: "))},
        runtime={"accessJwt": "eyJ" + canary("", PATH_SAFE, 60),
                 "refreshJwt": "eyJ" + canary("", PATH_SAFE, 60)},
        script=lambda rt: {("POST", "/xrpc/com.atproto.server.createSession"): {
            **rt, "did": "did:plc:cmopssecretstest", "handle": "brand.test"}}),
    "discord": Case(lambda url: {"network": "discord"},
                    {"webhook_url": "{url}/api/webhooks/1234567890/"
                                    + canary("discord-", PATH_SAFE, 68)},
                    lambda path, text: {"message": text(300), "code": 50035}, reads=False),
    "telegram": Case(lambda url: {"network": "telegram", "server": url,
                                  "chat_id": "@cmops_news"},
                     {"token": "7012345678:" + canary("", PATH_SAFE, 35)},
                     lambda path, text: {"ok": False, "error_code": 400,
                                         "description": text(300)}, reads=False),
    "x": Case(lambda url: {"network": "x", "server": url},
              {"api_key": canary("xk-"), "api_secret": canary("xs-"),
               "access_token": canary("xat-"), "access_secret": canary("xas-")},
              # a 400 on /2/tweets: errors[].message; elsewhere http.check: detail
              lambda path, text: {"errors": [{"message": text(300)}], "detail": text(300),
                                  "title": "Invalid Request"}),
    "linkedin": Case(lambda url: {"network": "linkedin", "server": url,
                                  "account": "urn:li:organization:1"},
                     {"token": canary("li-")}, _plain("message")),
    "facebook": _graph_case("facebook", account="1234567890"),
    "instagram": _graph_case("instagram", account="17841400000000000",
                             media_base_url="https://media.example.org/"),
    "threads": _graph_case("threads", account="17841400000000001",
                           media_base_url="https://media.example.org/"),
    # The four below sign in with a refresh token: the access token handed out (and
    # Pinterest's and TikTok's rotated refresh token) are canaries too.
    "pinterest": Case(
        lambda url: {"network": "pinterest", "server": url, "board": "549755885175"},
        {"refresh_token": canary("pina_"), "client_id": "1484362",
         "client_secret": canary("pin-cs-")},
        _plain("message"),
        runtime={"access_token": canary("pina_at-"), "refresh_token": canary("pinr_")},
        script=lambda rt: {("POST", "/v5/oauth/token"): _refreshed(
            scope="boards:read,pins:write")(rt)},
        media=True, token_key=True),  # a pin is an image
    "tiktok": Case(
        lambda url: {"network": "tiktok", "server": url, "audited": True,
                     "media_base_url": "https://media.example.org/"},
        {"client_key": canary("tt-ck-", PATH_SAFE, 20), "client_secret": canary("tt-cs-"),
         "refresh_token": canary("rft.")},
        _tiktok,
        runtime={"access_token": canary("act."), "refresh_token": canary("rft.")},
        script=lambda rt: {("POST", "/v2/oauth/token/"): _refreshed(
            open_id="_000cmops", refresh_expires_in=31536000, scope="video.publish")(rt)},
        media=True, token_key=True),  # no text-only post; photos fetched by URL
    "youtube": Case(
        lambda url: {"network": "youtube", "server": url, "privacy": "private"},
        {"refresh_token": canary("1//"), "client_id": "1234-cmops.apps.googleusercontent.com",
         "client_secret": canary("GOCSPX-")},
        _google, runtime={"access_token": canary("ya29.", PATH_SAFE, 60)},
        script=lambda rt: {("POST", "/token"): _refreshed()(rt)},
        # one video, and its title
        extra="media:\n  - path: calendar/media/clip.mp4\n"
              "variants:\n  youtube:\n    title: A clip\n"),
    "google_business": Case(
        lambda url: {"network": "google_business", "server": url,
                     "account": "112233445566778899", "location": "998877665544332211",
                     "media_base_url": "https://media.example.org/"},
        {"refresh_token": canary("1//"), "client_id": "5678-cmops.apps.googleusercontent.com",
         "client_secret": canary("GOCSPX-")},
        _google, runtime={"access_token": canary("ya29.", PATH_SAFE, 60)},
        script=lambda rt: {("POST", "/token"): _refreshed()(rt)}, reads=False),
}

def test_every_http_adapter_has_a_case() -> None:
    assert set(CASES) == set(ADAPTERS) - {"outbox"}


TOKEN_KEY = Fernet.generate_key().decode()


def _canaries(case: Case) -> list[str]:
    # Discord's secret is the webhook URL; the part that must never show is its token.
    values = [v.rsplit("/", 1)[-1] if role == "webhook_url" else v
              for role, v in case.secrets.items() if role != "identifier"]
    return values + list(case.runtime.values()) + ([TOKEN_KEY] if case.token_key else [])


def _env(secrets: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    return {**env, **{f"SECRET_{role.upper()}": value for role, value in secrets.items()}}


def cmops(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cmops", "-v", "--root", str(root), *args],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def written(root: Path) -> dict[str, str]:
    """Every file under the repository, as text (bytes kept one to one)."""
    return {str(p.relative_to(root)): p.read_bytes().decode("latin-1")
            for p in sorted(root.rglob("*")) if p.is_file()}


def assert_no_leak(canaries: list[str], *runs: subprocess.CompletedProcess[str],
                   root: Path) -> None:
    outputs = {f"run {i} ({r.args[6]}) {stream}": getattr(r, stream)
               for i, r in enumerate(runs, 1) for stream in ("stdout", "stderr")}
    found = {where: hit for where, text in {**outputs, **written(root)}.items()
             if (hit := leaks(text, canaries))}
    assert not found, json.dumps(found, indent=1)


@pytest.fixture(params=sorted(CASES))
def network(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_publish_and_collect_with_v_never_print_a_secret(network: str, repo: Path) -> None:
    case = CASES[network]
    fake = Echo(_canaries(case), case.body, script=case.script(case.runtime))
    with fake.running():
        secrets = {role: value.format(url=fake.url) for role, value in case.secrets.items()}
        settings = case.channel(fake.url)
        lines = "".join(f"    {k}: {json.dumps(v)}\n" for k, v in settings.items())
        roles = "".join(f"      {role}: SECRET_{role.upper()}\n" for role in secrets)
        (repo / "calendar/channels.yaml").write_text(
            "timezone: Europe/Paris\nchannels:\n  news:\n    network: outbox\n"
            f"  ch:\n{lines}    secrets:\n{roles}", "utf-8")
        media = ""
        if case.media:  # Instagram takes no text alone, and no PNG
            # A real JPEG: validation decodes images as the publisher does (issue 18).
            jpeg = io.BytesIO()
            Image.new("RGB", (8, 8), (200, 0, 0)).save(jpeg, "JPEG")
            (repo / "calendar/media/pic.jpg").write_bytes(jpeg.getvalue())
            media = "media:\n  - path: calendar/media/pic.jpg\n    alt: A red light\n"
        if case.extra:
            (repo / "calendar/media/clip.mp4").write_bytes(
                (Path(__file__).parent / "media/vertical-3s.mp4").read_bytes())
        post(repo, "a", channels="[ch]", extra=media + case.extra)
        post(repo, "b", when="2026-11-24T09:40", channels="[ch]", extra=media + case.extra)
        env = _env(secrets) | ({"CMOPS_TOKEN_KEY": TOKEN_KEY} if case.token_key else {})
        published = cmops(repo, env, "publish", "--at", PUBLISH_AT)
        runs = [published]
        if case.reads:
            runs.append(cmops(repo, env, "collect", "--at", COLLECT_AT))
    assert published.returncode == 1, published.stdout + published.stderr
    assert all(r.returncode in (0, 1) for r in runs), [r.stderr[-2000:] for r in runs]
    assert len(fake.requests) >= 2
    if case.runtime:  # signed in: a token handed out was sent back, and echoed
        assert any(value in r for r in fake.requests for value in case.runtime.values())
    assert_no_leak(_canaries(case), *runs, root=repo)
    # The secrets did reach the output, scrubbed: the test exercises what it claims to.
    assert REDACTED in published.stdout + published.stderr
    assert "INFO httpx: HTTP Request: " in published.stderr  # -v logs every request
    assert "httpcore" not in published.stderr  # its DEBUG lines carry response headers


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _signature(echo: str) -> list[str]:
    """The signature of the JWT a GA4 sign-in posts (``assertion=<header>.<claims>.<sig>``)."""
    return [echo.rsplit("assertion=", 1)[1].split()[0].rsplit(".", 1)[1]] \
        if "assertion=" in echo else []


def test_collect_with_ga4_never_prints_the_key_the_assertion_or_the_token(repo: Path) -> None:
    """A sign-in answered with an echo of its form (the signed JWT, a credential for an
    hour), then a sign-in that works and a report answered with an echo of its headers."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = _pem(key)
    key_id, token = canary("", "0123456789abcdef"), canary("ya29.", PATH_SAFE, 60)
    lines = [line for line in pem.splitlines() if not line.startswith("-----")]

    def body(path: str, text: Placer) -> Any:
        if path.startswith("/token"):  # "GA4 sign-in: HTTP 400 invalid_grant <text>", cut at 400
            return {"error": "invalid_grant",
                    "error_description": text(400 - len("GA4 sign-in: HTTP 400 invalid_grant "))}
        head = "GA4 runReport: HTTP 400 INVALID_ARGUMENT "
        return {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                          "message": text(400 - len(head))}}

    fake = Echo([token, key_id, *lines], body, learn=_signature)
    with fake.running():
        (repo / "calendar/channels.yaml").write_text(
            "timezone: Europe/Paris\nchannels:\n  news:\n    network: outbox\n", "utf-8")
        (repo / "calendar/campaigns/winter.yaml").write_text(
            "id: winter\nname: Winter\nstart: 2026-11-01\nend: 2026-11-30\n"
            "utm:\n  source: '{network}'\n  campaign: winter\n", "utf-8")
        (repo / "calendar/analytics.yaml").write_text(
            f"ga4:\n  property: '123456789'\n  secret: GA4_KEY\n  token_uri: {fake.url}/token\n"
            f"  server: {fake.url}\n", "utf-8")
        env = {**_env({}), "GA4_KEY": json.dumps({
            "type": "service_account", "project_id": "cmops-test", "private_key_id": key_id,
            "private_key": pem, "client_email": "reader@cmops-test.iam.gserviceaccount.com",
            "token_uri": f"{fake.url}/token"})}
        refused = cmops(repo, env, "collect", "--at", COLLECT_AT)
        fake.script[("POST", "/token")] = {"access_token": token, "expires_in": 3600,
                                           "token_type": "Bearer"}
        read = cmops(repo, env, "collect", "--at", COLLECT_AT)
    assert len(fake.requests) >= 3, fake.requests
    assert "invalid_grant" in refused.stdout + refused.stderr
    assert "INVALID_ARGUMENT" in read.stdout + read.stderr
    assert_no_leak(fake.canaries, refused, read, root=repo)


# -- the pieces --------------------------------------------------------------------------------

SECRET = "tok-" + canary("", string.ascii_letters + string.digits + "+/=", 43)


def _fragments(text: str, value: str, longest: int = 8) -> list[str]:
    return [f for form in spellings(value) for i in range(len(form) - longest)
            if (f := form[i:i + longest + 1]) in text]


@pytest.mark.parametrize("form", ["raw", "quote", "quote_plus", "base64", "base64-in-basic"])
def test_a_redacted_message_cut_anywhere_keeps_no_piece_of_the_secret(form: str) -> None:
    spelled = {"raw": SECRET, "quote": quote(SECRET, safe=""), "quote_plus": quote_plus(SECRET),
               "base64": base64.b64encode(SECRET.encode()).decode(),
               "base64-in-basic": base64.b64encode(f"user:{SECRET}".encode()).decode()}[form]
    redact = Redactor()
    redact.add(SECRET)
    message = f"HTTP 400: {'x' * 37} Authorization: Basic {spelled} and again {spelled}."
    for cut in range(len(message) + 1):
        assert not _fragments(redact(message)[:cut], SECRET), cut
        # Cut first (what some adapters still do): the start left at the cut is caught too.
        assert not _fragments(redact(message[:cut]), SECRET), (cut, redact(message[:cut]))


def test_base64_of_a_secret_at_every_alignment_in_a_longer_text() -> None:
    redact = Redactor()
    redact.add(SECRET)
    for prefix in ("", "a", "ab", "abc"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(f"{prefix}{SECRET}!tail".encode()).decode()
            assert not _fragments(redact(text), SECRET), (prefix, encode)


def test_fragments_are_only_scrubbed_for_tokens_not_for_urls() -> None:
    redact = Redactor()
    redact.add("https://discord.com/api/webhooks/1/" + SECRET)
    assert redact("see https://discord.com/channels/1/2/3") == \
        "see https://discord.com/channels/1/2/3"


def test_an_error_body_is_redacted_before_it_is_cut() -> None:
    redact = Redactor()
    redact.add(SECRET)
    for at in range(270, 300):
        body = {"error": "x" * at + f"/bot{SECRET}/sendMessage" + "y" * 100}
        response = httpx.Response(400, json=body, request=httpx.Request("POST", "http://h/"))
        with pytest.raises(Rejected) as caught:
            check(response, redact)
        assert not _fragments(str(caught.value), SECRET), (at, str(caught.value))


def test_log_records_lose_secrets_in_the_message_arguments_and_exception() -> None:
    Redactor().add(SECRET)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(LogRedactor())
    log = logging.getLogger("tests.secrets_output")
    log.addHandler(handler)
    log.propagate = False
    try:
        url = httpx.URL(f"https://api.telegram.org/bot{SECRET}/sendMessage",
                        params={"access_token": SECRET, "fields": "id"})
        log.warning('HTTP Request: %s %s "%s %d %s"', "POST", url, "HTTP/1.1", 200, "OK")
        log.warning("unregistered: %s", "https://graph.example/v1/me?fields=id&"
                                        "access_token=EAAunknown123&appsecret_proof=abc123")
        try:
            raise RuntimeError(f"GET https://h/{quote_plus(SECRET)} failed")
        except RuntimeError:
            log.exception("boom")
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    assert not _fragments(text, SECRET), text
    assert "EAAunknown123" not in text and "abc123" not in text
    assert "bot[REDACTED]/sendMessage" in text
    assert "fields=id" in text and "Traceback" in text


BUG = f"""
import sys
import click
from cmops.cli import CmopsGroup
from cmops.secrets import Redactor

@click.group(cls=CmopsGroup)
@click.option("-v", "--verbose", is_flag=True)
def cli(verbose):
    pass

@cli.command()
def boom():
    Redactor().add({SECRET!r})
    raise RuntimeError("GET https://api.telegram.org/bot{SECRET}/getMe: unexpected answer")

cli()
"""


@pytest.mark.parametrize("verbose", [True, False])
def test_a_bugs_message_and_traceback_hold_no_secret(verbose: bool) -> None:
    done = subprocess.run([sys.executable, "-c", BUG, *(["-v"] if verbose else []), "boom"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 3, done.stderr
    assert ("Traceback" in done.stderr) is verbose
    assert "cmops: unexpected error: RuntimeError: GET https://api.telegram.org/bot" \
           "[REDACTED]/getMe" in done.stderr
    assert not _fragments(done.stdout + done.stderr, SECRET), done.stderr


def test_redact_known_remembers_every_redactors_secrets() -> None:
    other = canary("process-wide-")
    Redactor().add(other)
    assert redact_known(f"a {other} b") == f"a {REDACTED} b"
