"""Every reading adapter satisfies the whole :class:`Reader` protocol, ``unavailable``
included, and collect calls it directly (no probing with hasattr/getattr); Meta's Graph errors
carry their code as typed fields and the gone/denied classification uses those fields, never
the message's text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest

import cmops.adapters.facebook
import cmops.adapters.graph
import cmops.adapters.instagram
import cmops.adapters.reading
import cmops.adapters.threads
import cmops.collect
from cmops.adapters import ADAPTERS, ChannelContext, Rejected, Transient
from cmops.adapters.graph import (
    GraphError,
    GraphErrorBody,
    GraphTransient,
    Unreadable,
    graph_check,
    unreadable,
)
from cmops.adapters.reading import Reader, reader_of
from cmops.secrets import Redactor

SECRET = "secret-canary-0123456789"
# Google Business reads nothing (no per-post counters, no followers, reviews not read) but is
# a Reader all the same: it records each of those as unavailable, with the reason.
READERS = {"outbox", "mastodon", "bluesky", "x", "linkedin", "facebook", "instagram",
           "threads", "tiktok", "youtube", "pinterest", "google_business"}
SETTINGS: dict[str, dict[str, str]] = {
    "linkedin": {"account": "urn:li:organization:1"},
    "pinterest": {"board": "987654321098765432"},
    "google_business": {"account": "112233445566778899", "location": "998877665544332211"},
    "discord": {},
}


def build(network: str, tmp_path: Path) -> object:
    settings = {"network": network, "account": "123456789", "server": "https://example.invalid",
                "instance": "https://example.invalid", "handle": "a.example",
                "path": "outbox", "chat_id": "1", "media_base_url": "https://m.example/",
                **SETTINGS.get(network, {})}
    secrets = {k: SECRET for k in ("token", "page_token", "access_token", "identifier",
                                   "password", "bot_token", "api_key", "api_secret",
                                   "access_secret", "access_token_secret")}
    secrets["webhook_url"] = f"https://discord.com/api/webhooks/1/{SECRET}"
    return ADAPTERS[network](ChannelContext(network, network, settings, secrets, tmp_path,
                                            Redactor(), timeout=5.0))


@pytest.mark.parametrize("network", sorted(ADAPTERS))
def test_every_reader_satisfies_the_protocol(network: str, tmp_path: Path) -> None:
    adapter = build(network, tmp_path)
    try:
        if network not in READERS:
            assert not isinstance(adapter, Reader) and reader_of(adapter) is None
            return
        assert isinstance(adapter, Reader) and reader_of(adapter) is adapter
        # Nothing was read yet, so nothing was refused: an empty mapping, not a missing one.
        assert isinstance(adapter.unavailable, Mapping) and dict(adapter.unavailable) == {}
    finally:
        close = getattr(adapter, "close", None)  # the test's own tidying, not collect's
        if close is not None:
            close()


def test_reader_protocol_declares_unavailable() -> None:
    assert "unavailable" in dir(Reader)


@pytest.mark.parametrize("module", [cmops.collect, cmops.adapters.reading,
                                    cmops.adapters.graph, cmops.adapters.facebook,
                                    cmops.adapters.instagram, cmops.adapters.threads])
def test_no_probing_of_readers(module: object) -> None:
    source = Path(str(getattr(module, "__file__", ""))).read_text(encoding="utf-8")
    assert not re.search(r"\b(hasattr|getattr)\s*\(", source)


def test_no_graph_code_read_from_a_message() -> None:
    for module in (cmops.collect, cmops.adapters.graph, cmops.adapters.facebook,
                   cmops.adapters.instagram, cmops.adapters.threads):
        source = Path(str(module.__file__)).read_text(encoding="utf-8")
        assert "import re\n" not in source and "graph_code" not in source


# -- Graph errors: typed fields, classification by code -----------------------------------
DOCUMENTED = {"error": {"message": "Message describing the error", "type": "OAuthException",
                        "code": 190, "error_subcode": 460,
                        "error_user_title": "A title", "error_user_msg": "A message",
                        "fbtrace_id": "EJplcsCHuLu"}}


def response(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("GET", "https://g.test/x"))


def rejected(status: int, body: object) -> Rejected:
    redact = Redactor()
    redact.add(SECRET)
    with pytest.raises(Rejected) as caught:
        graph_check(response(status, body), redact)
    return caught.value


def test_the_documented_error_json_is_parsed_into_fields() -> None:
    assert GraphErrorBody.parse(DOCUMENTED) == GraphErrorBody(
        code=190, subcode=460, type="OAuthException", fbtrace_id="EJplcsCHuLu",
        message="A message")
    error = rejected(400, DOCUMENTED)
    assert isinstance(error, GraphError)
    assert (error.code, error.subcode, error.type, error.fbtrace_id, error.status) == (
        190, 460, "OAuthException", "EJplcsCHuLu", 400)
    assert str(error) == "HTTP 400: (#190) A message"
    assert unreadable(error) is None  # an expired token is an error, not "unavailable"


def test_fields_missing_or_odd_are_none() -> None:
    assert GraphErrorBody.parse({"error": {"code": "100"}}) == GraphErrorBody(code=100)
    assert GraphErrorBody.parse({"error": {"code": 100, "error_subcode": "x",
                                           "type": 3}}) == GraphErrorBody(code=100)
    for body in ({"error": {"message": "no code"}}, {"error": "text"}, [1], "x"):
        assert GraphErrorBody.parse(body) is None
    assert graph_check(response(400, {"error": "text"}), Redactor()).status_code == 400


def test_classification_uses_the_code_not_the_message() -> None:
    gone = rejected(400, {"error": {"code": 100, "error_subcode": 33,
                                    "message": "Object does not exist"}})
    assert unreadable(gone) is Unreadable.GONE
    # A message that quotes another code is classified by its own code field.
    denied = rejected(403, {"error": {"code": 10, "message": "(#100) was said here"}})
    assert isinstance(denied, GraphError) and denied.code == 10
    assert str(denied).startswith("HTTP 403: (#10) (#100)")
    assert unreadable(denied) is Unreadable.DENIED
    for code in (200, 299):
        assert unreadable(rejected(400, {"error": {"code": code}})) is Unreadable.DENIED
    other = rejected(400, {"error": {"code": 803, "message": "(#100) (#10) (#200)"}})
    assert unreadable(other) is None
    # Not a Graph error at all: the text says nothing, only a 404 counts as gone.
    assert unreadable(Rejected("HTTP 400: (#100) Unsupported get request", status=400)) \
        is None
    assert unreadable(Rejected("HTTP 403: (#10) no", status=403)) is None
    assert unreadable(Rejected("HTTP 404: not found", status=404)) is Unreadable.GONE


def test_rate_limits_and_transient_codes_carry_fields_too() -> None:
    for status, body, code in ((400, {"error": {"code": 4, "fbtrace_id": "T"}}, 4),
                               (500, {"error": {"code": 2}}, 2),
                               (400, {"error": {"code": 3000, "is_transient": True}}, 3000)):
        with pytest.raises(Transient) as caught:
            graph_check(response(status, body), Redactor())
        assert isinstance(caught.value, GraphTransient) and caught.value.code == code
    assert caught.value.maybe_sent


def test_secrets_stay_redacted() -> None:
    error = rejected(400, {"error": {"code": 100, "message": f"bad token {SECRET}",
                                     "type": f"T{SECRET}", "fbtrace_id": SECRET}})
    assert isinstance(error, GraphError)
    assert SECRET not in str(error)
    assert SECRET not in f"{error.type} {error.fbtrace_id}"
