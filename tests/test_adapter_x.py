"""The X adapter against a strict loopback X API v2: OAuth 1.0a signing (checked against the
published example), exact requests, images with alt text, videos and GIFs through the chunked
upload (segments, processing status, failures, the run's time left), threads, rate limits, and
the "duplicate content" 403 settled by reading the timeline, never by rewording."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from tests.fakes.loopback import multipart
from tests.fakes.x import FakeX

from cmops.adapters import (
    ADAPTERS,
    CannotTell,
    ChannelContext,
    MediaFile,
    NotConfigured,
    Outgoing,
    Rejected,
    Remote,
    Transient,
)
from cmops.adapters.x import OAuth1, XAdapter, base_string, signature
from cmops.secrets import Redactor

TWITTER_EXAMPLE = {  # docs.x.com, "Creating a signature" (OAuth 1.0a)
    "status": "Hello Ladies + Gentlemen, a signed OAuth request!",
    "include_entities": "true",
    "oauth_consumer_key": "xvz1evFS4wEEPTGEFPHBog",
    "oauth_nonce": "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
    "oauth_signature_method": "HMAC-SHA1",
    "oauth_timestamp": "1318622958",
    "oauth_token": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
    "oauth_version": "1.0",
}


def test_signature_matches_the_published_example() -> None:
    base = base_string("POST", "https://api.twitter.com/1.1/statuses/update.json",
                       TWITTER_EXAMPLE.items())
    assert base == (
        "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities"
        "%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabx"
        "SWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D"
        "1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth"
        "_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520"
        "signed%2520OAuth%2520request%2521")
    assert signature(base, "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                     "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE") == "hCtSmYh+iHYCEqBWrE7C7hYmtUk="


def test_the_header_signs_query_and_form_but_not_json() -> None:
    auth = OAuth1("xvz1evFS4wEEPTGEFPHBog", "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                  "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
                  "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE", clock=lambda: 1318622958,
                  nonce=lambda: "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg")
    request = httpx.Request(
        "POST", "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
        data={"status": "Hello Ladies + Gentlemen, a signed OAuth request!"})
    header = next(auth.auth_flow(request)).headers["Authorization"]
    assert header == (
        'OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", oauth_nonce="kYjzVBB8Y0ZFabxSWbWov'
        'Y3uYSQ2pTgmZeNu2VS4cg", oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D", '
        'oauth_signature_method="HMAC-SHA1", oauth_timestamp="1318622958", '
        'oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", oauth_version="1.0"')
    as_json = httpx.Request("POST", "https://api.twitter.com/1.1/statuses/update.json"
                            "?include_entities=true", json={"status": "ignored"})
    assert next(auth.auth_flow(as_json)).headers["Authorization"] != header


@pytest.fixture
def fake() -> Iterator[FakeX]:
    with FakeX().running() as server:
        yield server


def make(fake: FakeX, tmp_path: Path, secrets: dict[str, str] | None = None) -> XAdapter:
    redactor = Redactor()
    secrets = dict(fake.secrets) if secrets is None else secrets
    for value in secrets.values():
        redactor.add(value)
    return XAdapter(ChannelContext("x-main", "x", {"network": "x", "server": fake.url},
                                   secrets, tmp_path, redactor, timeout=5.0))


class Clock:
    """The adapter's sleep and monotonic clock: sleeping moves the clock, nothing waits."""

    def __init__(self) -> None:
        self.now, self.sleeps = 0.0, list[float]()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def adapter(fake: FakeX, tmp_path: Path, clock: Clock) -> Iterator[XAdapter]:
    a = make(fake, tmp_path)
    a.sleep, a.monotonic = clock.sleep, lambda: clock.now
    yield a
    a.close()


def out(text: str, part: int = 0, **kwargs: Any) -> Outgoing:
    return Outgoing("p/x-main", "p", "x-main", part, 1, text, f"p/x-main#{part}",
                    published_at=datetime.now(UTC), **kwargs)


def oauth_fields(request: dict[str, Any]) -> dict[str, str]:
    header = request["headers"]["Authorization"]
    assert header.startswith("OAuth ")
    return {k: unquote(v.strip('"')) for k, v in (p.split("=", 1)
                                                   for p in header[6:].split(", "))}


def test_a_post_is_one_signed_json_request(adapter: XAdapter, fake: FakeX) -> None:
    remote = adapter.publish(out("Hello from cmops ✨"))
    [sent] = fake.requests
    assert (sent["method"], sent["path"], sent["query"]) == ("POST", "/2/tweets", {})
    assert sent["headers"]["Content-Type"] == "application/json"
    assert json.loads(sent["body"]) == {"text": "Hello from cmops ✨"}
    fields = oauth_fields(sent)
    assert set(fields) == {"oauth_consumer_key", "oauth_nonce", "oauth_signature",
                           "oauth_signature_method", "oauth_timestamp", "oauth_token",
                           "oauth_version"}
    assert (fields["oauth_consumer_key"], fields["oauth_token"]) == (
        fake.secrets["api_key"], fake.secrets["access_token"])
    tweet = fake.tweets[0]
    assert remote == Remote(tweet["id"], f"https://x.com/i/web/status/{tweet['id']}")
    assert ADAPTERS["x"] is XAdapter and XAdapter.reconcile_by == "lookup"


def test_an_oauth2_user_token_is_a_bearer(fake: FakeX, tmp_path: Path) -> None:
    adapter = make(fake, tmp_path, {"token": fake.bearer})
    adapter.publish(out("bearer"))
    assert fake.requests[0]["headers"]["Authorization"] == f"Bearer {fake.bearer}"
    wrong = make(fake, tmp_path, {**fake.secrets, "access_secret": "not-the-right-secret"})
    with pytest.raises(Rejected) as caught:
        wrong.publish(out("bad signature"))
    assert (str(caught.value), caught.value.status) == ("HTTP 401: Unauthorized", 401)


def _signed(fake: FakeX, request: httpx.Request) -> httpx.Request:
    """``request`` as cmops's OAuth1 signs it (the fake checks it with oauthlib)."""
    s = fake.secrets
    auth = OAuth1(s["api_key"], s["api_secret"], s["access_token"], s["access_secret"])
    return next(auth.auth_flow(request))


def _tampered(request: httpx.Request) -> httpx.Request:
    fields = dict(p.split("=", 1) for p in request.headers["Authorization"][6:].split(", "))
    sig = unquote(fields["oauth_signature"].strip('"'))
    bad = ("B" if sig[0] == "A" else "A") + sig[1:]
    header = request.headers["Authorization"].replace(
        fields["oauth_signature"], '"' + bad.replace("+", "%2B").replace("/", "%2F")
        .replace("=", "%3D") + '"')
    assert header != request.headers["Authorization"]
    request.headers["Authorization"] = header
    return request


def test_the_fake_verifies_signatures_independently(fake: FakeX) -> None:
    """The fake checks OAuth 1.0a with oauthlib: a good signature passes, and a tampered
    signature, query or form body is a 401, as X answers."""
    with httpx.Client() as client:
        good = _signed(fake, httpx.Request("POST", f"{fake.url}/2/tweets",
                                           json={"text": "signed"}))
        assert client.send(good).status_code == 201
        assert client.send(_tampered(_signed(fake, httpx.Request(
            "POST", f"{fake.url}/2/tweets", json={"text": "tampered"})))).status_code == 401
        assert len(fake.tweets) == 1

        me = _signed(fake, httpx.Request("GET", f"{fake.url}/2/users/me",
                                         params={"user.fields": "public_metrics"}))
        assert client.send(me).status_code == 200
        moved = httpx.Request("GET", me.url.copy_set_param("user.fields", "id"),
                              headers={"Authorization": me.headers["Authorization"]})
        assert client.send(moved).status_code == 401

        # A form body is signed (RFC 5849 §3.4.1.3.1): changing it breaks the signature.
        # (The endpoint then refuses a non-JSON body with a 400: past the signature check.)
        form = _signed(fake, httpx.Request("POST", f"{fake.url}/2/media/metadata",
                                           data={"id": "1", "alt": "x"}))
        assert client.send(form).status_code == 400
        changed = httpx.Request("POST", form.url, content=form.content.replace(b"alt=x", b"alt=y"),
                                headers={"Authorization": form.headers["Authorization"],
                                         "Content-Type": form.headers["Content-Type"]})
        assert client.send(changed).status_code == 401

        # A multipart body is not signed: only the query and OAuth fields are.
        upload = _signed(fake, httpx.Request(
            "POST", f"{fake.url}/2/media/upload", data={"media_category": "tweet_image"},
            files={"media": ("a.png", b"\x89PNG-a", "image/png")}))
        assert client.send(upload).status_code == 200
        assert client.send(_tampered(_signed(fake, httpx.Request(
            "POST", f"{fake.url}/2/media/upload", data={"media_category": "tweet_image"},
            files={"media": ("a.png", b"\x89PNG-a", "image/png")})))).status_code == 401


def test_a_thread_replies_to_the_previous_part(adapter: XAdapter, fake: FakeX) -> None:
    first = adapter.publish(out("1/2"))
    adapter.publish(out("2/2", part=1, reply_to=first, root=first))
    assert json.loads(fake.requests[1]["body"]) == {
        "text": "2/2", "reply": {"in_reply_to_tweet_id": first.id}}


def test_images_are_uploaded_with_alt_text(adapter: XAdapter, fake: FakeX,
                                           tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n-a")
    (tmp_path / "b.gif").write_bytes(b"GIF89a-b")
    adapter.publish(out("pictures", media=(
        MediaFile(tmp_path / "a.png", "media/a.png", "A red light"),
        MediaFile(tmp_path / "b.gif", "media/b.gif", None))))
    ids = list(fake.media)
    assert [(r["method"], r["path"]) for r in fake.requests] == [
        ("POST", "/2/media/upload"), ("POST", "/2/media/metadata"),
        # A GIF goes through the chunked upload, processed asynchronously (best-practices).
        ("POST", "/2/media/upload/initialize"), ("POST", f"/2/media/upload/{ids[1]}/append"),
        ("POST", f"/2/media/upload/{ids[1]}/finalize"), ("GET", "/2/media/upload"),
        ("GET", "/2/media/upload"), ("POST", "/2/tweets")]
    upload = fake.requests[0]
    fields = multipart(upload["headers"]["Content-Type"], upload["body"])
    assert fields == {"media": ("a.png", "image/png", b"\x89PNG\r\n\x1a\n-a"),
                      "media_category": (None, "text/plain", b"tweet_image")}
    assert json.loads(fake.requests[1]["body"]) == {
        "id": ids[0], "metadata": {"alt_text": {"text": "A red light"}}}
    assert json.loads(fake.requests[2]["body"]) == {
        "media_type": "image/gif", "total_bytes": 8, "media_category": "tweet_gif"}
    assert json.loads(fake.requests[-1]["body"]) == {"text": "pictures",
                                                     "media": {"media_ids": ids}}
    assert [m["category"] for m in fake.media.values()] == ["tweet_image", "tweet_gif"]
    assert fake.media[ids[1]]["bytes"] == b"GIF89a-b"
    assert all("oauth_signature" in r["headers"]["Authorization"] for r in fake.requests)


MEDIA = Path(__file__).parent / "media"


def video(tmp_path: Path, alt: str | None = None) -> MediaFile:
    shutil.copy(MEDIA / "vertical-3s.mp4", tmp_path / "v.mp4")
    return MediaFile(tmp_path / "v.mp4", "media/v.mp4", alt)


def test_a_video_goes_up_in_segments_and_waits_for_processing(
        adapter: XAdapter, fake: FakeX, tmp_path: Path, clock: Clock) -> None:
    adapter.chunk = 10_000  # vertical-3s.mp4 (34,083 bytes) in four segments
    remote = adapter.publish(out("a video", media=(video(tmp_path, "A test pattern"),)))
    [media_id] = list(fake.media)
    data = (MEDIA / "vertical-3s.mp4").read_bytes()
    assert [(r["method"], r["path"]) for r in fake.requests] == [
        ("POST", "/2/media/upload/initialize"),
        *[("POST", f"/2/media/upload/{media_id}/append")] * 4,
        ("POST", f"/2/media/upload/{media_id}/finalize"),
        ("GET", "/2/media/upload"), ("GET", "/2/media/upload"),
        ("POST", "/2/media/metadata"), ("POST", "/2/tweets")]
    assert json.loads(fake.requests[0]["body"]) == {
        "media_type": "video/mp4", "total_bytes": len(data), "media_category": "tweet_video"}
    segments = [multipart(r["headers"]["Content-Type"], r["body"]) for r in fake.requests[1:5]]
    assert [s["segment_index"][2] for s in segments] == [b"0", b"1", b"2", b"3"]
    assert [len(s["media"][2]) for s in segments] == [10_000, 10_000, 10_000, 4_083]
    assert fake.media[media_id]["bytes"] == data
    assert [r["query"] for r in fake.requests[6:8]] == [
        {"command": ["STATUS"], "media_id": [media_id]}] * 2
    assert clock.sleeps == [1.0, 1.0]  # check_after_secs of finalize, then of in_progress
    assert json.loads(fake.requests[8]["body"]) == {
        "id": media_id, "metadata": {"alt_text": {"text": "A test pattern"}}}
    assert json.loads(fake.requests[-1]["body"]) == {"text": "a video",
                                                     "media": {"media_ids": [media_id]}}
    assert remote.id == fake.tweets[0]["id"]
    assert all("oauth_signature" in r["headers"]["Authorization"] for r in fake.requests)


def test_processing_is_polled_after_check_after_secs(adapter: XAdapter, fake: FakeX,
                                                    tmp_path: Path, clock: Clock) -> None:
    fake.check_after, fake.processing_polls = 5, 2
    adapter.publish(out("patience", media=(video(tmp_path),)))
    polls = [r for r in fake.requests if r["method"] == "GET"]
    assert len(polls) == 3
    assert sum(clock.sleeps) == 1 + 5 + 5


def test_failed_processing_is_rejected_with_x_reason(adapter: XAdapter, fake: FakeX,
                                                     tmp_path: Path) -> None:
    fake.processing_error = "Unsupported video codec"
    with pytest.raises(Rejected) as caught:
        adapter.publish(out("doomed", media=(video(tmp_path),)))
    assert str(caught.value) == "X could not process 'media/v.mp4': Unsupported video codec"
    assert fake.tweets == []


def test_processing_longer_than_the_run_has_left_is_not_sent(
        adapter: XAdapter, fake: FakeX, tmp_path: Path, clock: Clock) -> None:
    fake.processing_polls = 10**6
    with pytest.raises(Transient) as caught:
        adapter.publish(out("slow", media=(video(tmp_path),), time_left=60.0))
    assert caught.value.maybe_sent is False
    assert "X's processing of 'media/v.mp4' still not ready after" in str(caught.value)
    assert clock.now <= 60.0 - 15.0  # the run keeps its margin to record the outcome
    assert fake.tweets == []


def test_a_failed_segment_is_sent_again_once(adapter: XAdapter, fake: FakeX,
                                             tmp_path: Path, clock: Clock) -> None:
    adapter.chunk = 10_000
    fake.append_faults = ["503"]
    adapter.publish(out("retried", media=(video(tmp_path),)))
    appends = [multipart(r["headers"]["Content-Type"], r["body"])["segment_index"][2]
               for r in fake.requests if r["path"].endswith("/append")]
    assert appends == [b"0", b"0", b"1", b"2", b"3"]
    assert clock.sleeps[0] == 1.0
    [media_id] = list(fake.media)
    assert fake.media[media_id]["bytes"] == (MEDIA / "vertical-3s.mp4").read_bytes()


def test_a_segment_failing_twice_is_transient_and_not_sent(adapter: XAdapter, fake: FakeX,
                                                           tmp_path: Path) -> None:
    fake.append_faults = ["503", "503"]
    with pytest.raises(Transient) as caught:
        adapter.publish(out("unlucky", media=(video(tmp_path),)))
    assert (caught.value.maybe_sent, caught.value.status) == (False, 503)
    assert not any(r["path"].endswith("/finalize") for r in fake.requests)
    assert fake.tweets == []


def test_the_fake_holds_the_chunked_upload_to_its_order(fake: FakeX) -> None:
    """The fake's own contract: append only after initialize and contiguously from 0,
    finalize only with every byte, STATUS only after finalize, a post only once processed."""
    auth = {"Authorization": f"Bearer {fake.bearer}"}

    def append(client: httpx.Client, media_id: str, index: str, data: bytes) -> int:
        return client.post(f"/2/media/upload/{media_id}/append", data={"segment_index": index},
                           files={"media": ("blob", data, "application/octet-stream")}
                           ).status_code

    mp4 = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 10
    with httpx.Client(base_url=fake.url, headers=auth) as client:
        assert append(client, "1880000000000000999", "0", mp4) == 400  # never initialized
        assert client.post("/2/media/upload/initialize", json={
            "media_type": "video/mp4", "total_bytes": 22, "media_category": "tweet_video",
            "command": "INIT"}).status_code == 400  # no such property
        media_id = client.post("/2/media/upload/initialize", json={
            "media_type": "video/mp4", "total_bytes": len(mp4),
            "media_category": "tweet_video"}).json()["data"]["id"]
        assert append(client, media_id, "1", mp4[11:]) == 400  # skips segment 0
        status = {"command": "STATUS", "media_id": media_id}
        assert client.get("/2/media/upload", params=status).status_code == 400
        assert append(client, media_id, "0", mp4[:11]) == 200
        assert client.post(f"/2/media/upload/{media_id}/finalize").status_code == 400  # short
        assert append(client, media_id, "1", mp4[11:] + b"!") == 400  # over total_bytes
        assert append(client, media_id, "1", mp4[11:]) == 200
        done = client.post(f"/2/media/upload/{media_id}/finalize").json()["data"]
        assert done["processing_info"] == {"state": "pending", "check_after_secs": 1}
        assert append(client, media_id, "2", b"late") == 400  # finalized
        post = {"text": "too soon", "media": {"media_ids": [media_id]}}
        assert client.post("/2/tweets", json=post).status_code == 400
        assert client.get("/2/media/upload", params=status).json()["data"][
            "processing_info"]["state"] == "in_progress"
        assert client.get("/2/media/upload", params=status).json()["data"][
            "processing_info"] == {"state": "succeeded"}
        assert client.post("/2/tweets", json=post).status_code == 201
        # Bytes that are no MP4 fail processing, as X's InvalidMedia.
        other = client.post("/2/media/upload/initialize", json={
            "media_type": "video/mp4", "total_bytes": 4,
            "media_category": "tweet_video"}).json()["data"]["id"]
        assert append(client, other, "0", b"junk") == 200
        assert client.post(f"/2/media/upload/{other}/finalize").status_code == 200
        for _ in range(2):
            info = client.get("/2/media/upload", params={
                "command": "STATUS", "media_id": other}).json()["data"]["processing_info"]
        assert info == {"state": "failed", "error": {
            "code": 1, "name": "InvalidMedia", "message": "file is invalid"}}


def test_a_video_x_would_refuse_is_never_uploaded(adapter: XAdapter, fake: FakeX,
                                                  tmp_path: Path) -> None:
    (tmp_path / "v.mp4").write_bytes(b"\x00\x00\x00\x18ftyp")
    with pytest.raises(Rejected, match=r"cannot read 'media/v.mp4' as a video"):
        adapter.publish(out("video", media=(MediaFile(tmp_path / "v.mp4", "media/v.mp4",
                                                      None),)))
    assert fake.requests == []


def test_a_bad_request_says_why(adapter: XAdapter, fake: FakeX) -> None:
    with pytest.raises(Rejected) as caught:
        adapter.publish(out("reply", reply_to=Remote("1234")))
    assert (str(caught.value), caught.value.status) == (
        "HTTP 400: The post 1234 does not exist", 400)


@pytest.mark.parametrize(("fault", "wait"), [("429", 15.0), ("429-retry-after", 3.0)])
def test_rate_limits_say_how_long_to_wait(adapter: XAdapter, fake: FakeX, fault: str,
                                          wait: float) -> None:
    fake.faults = [fault]
    with pytest.raises(Transient) as caught:
        adapter.publish(out("hello"))
    assert (caught.value.maybe_sent, caught.value.status) == (False, 429)
    assert caught.value.retry_after == pytest.approx(wait, abs=1.5)
    assert fake.tweets == []


def test_a_lost_answer_then_duplicate_content_is_reconciled(adapter: XAdapter,
                                                            fake: FakeX) -> None:
    text = "Q&A <live> at https://example.com/launch?x=1 and example.org 🚀"
    sent_at = datetime.now(UTC)
    fake.faults = ["accept-then-drop"]
    with pytest.raises(Transient) as lost:
        adapter.publish(out(text))
    assert lost.value.maybe_sent is True
    with pytest.raises(Transient) as duplicate:
        adapter.publish(out(text))
    assert (duplicate.value.maybe_sent, duplicate.value.status) == (True, 403)
    assert "duplicate content" in str(duplicate.value)
    found = adapter.reconcile(out(text), sent_at, datetime.now(UTC))
    tweet = fake.tweets[0]
    assert found == Remote(tweet["id"], f"https://x.com/i/web/status/{tweet['id']}")
    assert len(fake.tweets) == 1
    bodies = [json.loads(r["body"]) for r in fake.requests if r["path"] == "/2/tweets"]
    assert bodies == [{"text": text}, {"text": text}]  # never reworded
    reads = [(r["path"], r["query"]) for r in fake.requests if r["method"] == "GET"]
    assert reads == [("/2/users/me", {}), (f"/2/users/{fake.user['id']}/tweets", {
        "max_results": ["100"], "tweet.fields": ["created_at"],
        "start_time": [(sent_at - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")]})]


def test_reconcile_reads_every_page_before_saying_nothing_went_out(adapter: XAdapter,
                                                                   fake: FakeX) -> None:
    sent_at = datetime.now(UTC)
    fake.post("the one we look for")
    for n in range(150):
        fake.post(f"later post {n}")
    assert adapter.reconcile(out("the one we look for"), sent_at, sent_at) == Remote(
        fake.tweets[0]["id"], f"https://x.com/i/web/status/{fake.tweets[0]['id']}")
    assert adapter.reconcile(out("never sent"), sent_at, sent_at) is None
    pages = [r["query"].get("pagination_token") for r in fake.requests
             if r["path"].endswith("/tweets")]
    assert pages == [None, ["100"], None, ["100"]]


def test_a_duplicate_of_an_older_post_goes_to_a_human(adapter: XAdapter, fake: FakeX) -> None:
    fake.post("Same words as last week", at=datetime.now(UTC) - timedelta(days=7))
    sent_at = datetime.now(UTC)
    with pytest.raises(Transient):
        adapter.publish(out("Same words as last week"))
    with pytest.raises(CannotTell, match="duplicate content, yet the account has no post"):
        adapter.reconcile(out("Same words as last week"), sent_at, datetime.now(UTC))
    assert len(fake.tweets) == 1


def test_a_tier_without_reads_cannot_tell(adapter: XAdapter, fake: FakeX) -> None:
    fake.read_forbidden = True
    with pytest.raises(CannotTell) as caught:
        adapter.reconcile(out("hello"), datetime.now(UTC), datetime.now(UTC))
    message = str(caught.value)
    assert "access tier cannot read the account's posts (HTTP 403: When authenticating" in \
        message
    assert message.endswith("cmops resolve p --channel x-main --as published --url … "
                            "(or --as retry to send it again)")


@pytest.mark.parametrize("mode", ["oauth1", "bearer"])
def test_no_secret_reaches_an_error(fake: FakeX, tmp_path: Path, mode: str) -> None:
    secrets = dict(fake.secrets) if mode == "oauth1" else {"token": fake.bearer}
    adapter = make(fake, tmp_path, secrets)
    fake.faults = ["echo"]
    with pytest.raises(Rejected) as caught:
        adapter.publish(out("hello"))
    message = str(caught.value)
    assert "[REDACTED]" in message
    assert not any(value in message for value in [*fake.secrets.values(), fake.bearer])


def test_credentials_are_required(fake: FakeX, tmp_path: Path) -> None:
    with pytest.raises(NotConfigured, match="api_key, api_secret"):
        make(fake, tmp_path, {"api_key": "only-one-of-four"})
