"""The Bluesky adapter against a strict loopback PDS: the exact XRPC calls it makes, the
records it writes, and how it settles an attempt whose answer was lost."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from tests.fakes.bluesky import FakeBluesky

from cmops.adapters import (
    ADAPTERS,
    CannotTell,
    ChannelContext,
    LinkCard,
    MediaFile,
    NotConfigured,
    Outgoing,
    Rejected,
    Remote,
    Transient,
)
from cmops.adapters.bluesky import TID, BlueskyAdapter, tid
from cmops.ledger import loads
from cmops.publish import Options, Publisher, adapter_factory
from cmops.retry import Backoff
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.validate import load_calendar

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PASSWORD = "app-pass-7f3k-q9zx"
SESSION = "com.atproto.server.createSession"
CREATE = "com.atproto.repo.createRecord"
GET = "com.atproto.repo.getRecord"
MICROS = (NOW - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


CARD = _encode(Image.new("RGB", (12, 8), (40, 90, 200)), "PNG")
"""A real, small PNG without metadata: a card image is decoded (to strip its metadata), so
it must be an image, and one without metadata goes byte for byte."""


@pytest.fixture
def fake() -> Iterator[FakeBluesky]:
    with FakeBluesky(password=PASSWORD).running() as server:
        server.handles["friend.test"] = "did:plc:friend000000000000000"
        yield server


def make(fake: FakeBluesky, tmp_path: Path, *, timeout: float = 5.0,
         redactor: Redactor | None = None) -> BlueskyAdapter:
    ctx = ChannelContext("bsky", "bluesky", {"network": "bluesky", "server": fake.url},
                         {"identifier": "brand.test", "password": PASSWORD}, tmp_path,
                         redactor or Redactor(), timeout=timeout)
    return BlueskyAdapter(ctx)


@pytest.fixture
def adapter(fake: FakeBluesky, tmp_path: Path) -> Iterator[BlueskyAdapter]:
    a = make(fake, tmp_path)
    yield a
    a.close()


def out(text: str, part: int = 0, **kwargs: Any) -> Outgoing:
    dedupe = kwargs.pop("dedupe", None) or tid(MICROS + part * 1000, 5)
    return Outgoing("p/bsky", "p", "bsky", part, kwargs.pop("parts", 1), text, dedupe,
                    published_at=NOW, **kwargs)


def body(fake: FakeBluesky, method: str, index: int = -1) -> Any:
    sent = [r for r in fake.requests if r["path"] == f"/xrpc/{method}"]
    return json.loads(sent[index]["body"])


def untid(key: str) -> int:
    value = 0
    for ch in key:
        value = value * 32 + "234567abcdefghijklmnopqrstuvwxyz".index(ch)
    return value


# -- record keys --------------------------------------------------------------------------

def test_record_keys_are_tids_from_the_claim_time(adapter: BlueskyAdapter) -> None:
    keys = [adapter.new_dedupe(f"post-{i}/bsky", part, NOW) for i in range(300)
            for part in range(3)]
    assert all(TID.match(k) for k in keys)
    assert len(set(keys)) == len(keys)  # unique per item and per part
    for key in keys:
        assert 0 <= (untid(key) >> 10) - MICROS < 4000  # the claim time, within milliseconds
    thread = [adapter.new_dedupe("t/bsky", part, NOW) for part in range(5)]
    assert thread == sorted(thread)  # a thread's parts sort in order
    assert adapter.new_dedupe("a/bsky", 0, NOW + timedelta(seconds=1)) > max(keys)
    # the encoding: values computed by the reference (@atproto/common-web TID.fromTime)
    assert tid(1_732_400_000_000_000, 0x2A5) == "3lbnjbdrs22p7"
    assert tid(1_796_122_800_000_000, 1023) == "3n3m3qrj522zz"
    assert tid(1_796_122_800_000_000, 0) == "3n3m3qrj52222"


def test_a_non_tid_record_key_is_refused_before_anything_is_sent(
        adapter: BlueskyAdapter, fake: FakeBluesky) -> None:
    with pytest.raises(ValueError, match="not a TID"):
        adapter.publish(out("hello", dedupe="cgp-post-1752673270606"))
    with pytest.raises(Rejected):  # and the publisher files it as a rejection
        adapter.reconcile(out("hello", dedupe="3jzfcijpj2z2aa"), NOW, NOW)
    assert fake.requests == []


# -- publishing ---------------------------------------------------------------------------

def test_post_with_facets_language_and_link_card(adapter: BlueskyAdapter,
                                                 fake: FakeBluesky) -> None:
    text = "Été ✨ on lance #cmops avec @friend.test 👨‍👩‍👧 https://example.com/a?b=1."
    card = LinkCard("https://example.com/a?b=1", "Le lancement", "Tout sur le lancement",
                    CARD, "image/png", "calendar/media/cards/example.com-1.png")
    part = out(text, lang="fr", link="https://example.com/a?b=1", card=card)
    remote = adapter.publish(part)
    assert fake.calls() == [SESSION, "com.atproto.identity.resolveHandle",
                            "com.atproto.repo.uploadBlob", CREATE]
    assert body(fake, SESSION) == {"identifier": "brand.test", "password": PASSWORD}
    sent = body(fake, CREATE)
    assert sent.keys() == {"repo", "collection", "rkey", "record"}
    assert (sent["repo"], sent["collection"], sent["rkey"]) == (
        fake.did, "app.bsky.feed.post", part.dedupe)
    record = sent["record"]
    assert record["$type"] == "app.bsky.feed.post"
    assert record["text"] == text
    assert record["createdAt"] == "2026-11-24T09:00:00.000Z"
    assert record["langs"] == ["fr"]
    data = text.encode()
    sliced = [(data[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(), f["features"])
              for f in record["facets"]]
    assert sliced == [
        ("#cmops", [{"$type": "app.bsky.richtext.facet#tag", "tag": "cmops"}]),
        ("@friend.test", [{"$type": "app.bsky.richtext.facet#mention",
                           "did": "did:plc:friend000000000000000"}]),
        ("https://example.com/a?b=1", [{"$type": "app.bsky.richtext.facet#link",
                                        "uri": "https://example.com/a?b=1"}]),
    ]
    # the card the client must build (lexicon app.bsky.embed.external), its image a blob
    thumb: dict[str, Any] = {"$type": "blob", "ref": {"$link": next(iter(fake.blobs))},
             "mimeType": "image/png", "size": len(CARD)}
    assert record["embed"] == {"$type": "app.bsky.embed.external", "external": {
        "uri": "https://example.com/a?b=1", "title": "Le lancement",
        "description": "Tout sur le lancement", "thumb": thumb}}
    assert fake.blobs[thumb["ref"]["$link"]] == ("image/png", CARD)
    stored = fake.records[part.dedupe]
    assert remote == Remote(stored["uri"], f"https://bsky.app/profile/{fake.did}/post/"
                            f"{part.dedupe}", {"cid": stored["cid"]})
    assert remote.id == f"at://{fake.did}/app.bsky.feed.post/{part.dedupe}"
    auth = [r["headers"].get("Authorization") for r in fake.requests]
    assert auth[0] is None and auth[2] == "Bearer " + next(iter(fake.access))


def test_a_card_image_s_gps_position_never_reaches_bluesky(adapter: BlueskyAdapter,
                                                          fake: FakeBluesky) -> None:
    """A phone photo as a card image fits Bluesky's thumb limit, so it is not re-encoded
    to fit; its EXIF (GPS position, orientation) is still stripped before upload."""
    photo = Image.new("RGB", (40, 20), (0, 0, 255))
    photo.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # turn a quarter clockwise to view
    exif[0x8825] = {1: "N", 2: (IFDRational(48), IFDRational(51), IFDRational(24)),
                    3: "E", 4: (IFDRational(2), IFDRational(21), IFDRational(7))}
    source = _encode(photo, "JPEG", exif=exif.tobytes(), quality=95)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825)[1] == "N"
    card = LinkCard("https://example.com/trip", "Trip", "", source, "image/jpeg",
                    "calendar/media/trip.jpg")
    adapter.publish(out("trip https://example.com/trip", link="https://example.com/trip",
                        card=card))
    [(mime, sent)] = fake.blobs.values()
    assert mime == "image/jpeg" and sent != source
    assert b"Exif" not in sent and b"GPS" not in sent
    received = Image.open(io.BytesIO(sent))
    assert dict(received.getexif()) == {} and received.size == (20, 40)  # turned upright
    thumb = body(fake, CREATE)["record"]["embed"]["external"]["thumb"]
    assert (thumb["mimeType"], thumb["size"]) == ("image/jpeg", len(sent))


def test_one_session_for_every_post_of_a_run(adapter: BlueskyAdapter,
                                             fake: FakeBluesky) -> None:
    for i in range(3):
        adapter.publish(out(f"post {i}", dedupe=tid(1_790_000_000_000_000 + i, 7)))
    assert fake.sessions == 1
    assert fake.calls() == [SESSION, CREATE, CREATE, CREATE]


def test_a_thread_chains_root_and_parent(adapter: BlueskyAdapter, fake: FakeBluesky) -> None:
    first = adapter.publish(out("1/3", 0, parts=3))
    second = adapter.publish(out("2/3", 1, parts=3, reply_to=first, root=first))
    third = adapter.publish(out("3/3", 2, parts=3, reply_to=second, root=first))
    records = [body(fake, CREATE, i)["record"] for i in range(3)]
    assert "reply" not in records[0]
    ref = {"uri": first.id, "cid": first.extra["cid"]}
    assert records[1]["reply"] == {"root": ref, "parent": ref}
    assert records[2]["reply"] == {"root": ref,
                                   "parent": {"uri": second.id, "cid": second.extra["cid"]}}
    assert fake.texts() == ["1/3", "2/3", "3/3"]
    assert third.id.endswith("/" + body(fake, CREATE)["rkey"])


def test_a_reply_needs_the_parent_cid(adapter: BlueskyAdapter, fake: FakeBluesky) -> None:
    with pytest.raises(Rejected, match="cid"):
        adapter.publish(out("2/2", 1, reply_to=Remote("https://bsky.app/x"), root=None))
    assert CREATE not in fake.calls()


def test_images_are_uploaded_with_alt_text(adapter: BlueskyAdapter, fake: FakeBluesky,
                                           tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8\xff" + b"1" * 100)
    media = (MediaFile(tmp_path / "a.png", "media/a.png", "A chart, rising"),
             MediaFile(tmp_path / "b.jpg", "media/b.jpg", None))
    adapter.publish(out("two pictures", media=media, link="https://example.com"))
    assert fake.calls() == [SESSION, "com.atproto.repo.uploadBlob",
                            "com.atproto.repo.uploadBlob", CREATE]
    uploads = [r for r in fake.requests if r["path"].endswith("uploadBlob")]
    assert [(u["headers"]["Content-Type"], u["body"]) for u in uploads] == [
        ("image/png", PNG), ("image/jpeg", b"\xff\xd8\xff" + b"1" * 100)]
    embed = body(fake, CREATE)["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"  # images win over the link card
    assert [(i["alt"], i["image"]["mimeType"], i["image"]["size"]) for i in embed["images"]] == [
        ("A chart, rising", "image/png", len(PNG)), ("", "image/jpeg", 103)]


@pytest.mark.parametrize(("files", "message"), [
    ({f"{i}.png": PNG for i in range(5)}, r"5 media attached; bsky \(bluesky\) takes at most 4"),
    ({"big.jpg": b"\xff" * 1_000_001},
     r"'media/big.jpg' is 1000001 bytes; bsky \(bluesky\) takes at most 1000000 bytes"),
    ({"clip.mov": b"\x00" * 10}, r"does not take video/quicktime \(it takes PNG, JPEG, GIF, "
                                  r"WebP images, MP4 videos\)"),
    ({"a.png": PNG, "clip.mp4": b"\x00" * 10},
     r"bsky \(bluesky\) takes images or a video in one post, not both"),
    ({"a.mp4": b"\x00" * 10, "b.mp4": b"\x00" * 10},
     r"2 videos attached; bsky \(bluesky\) takes at most 1 in one post"),
    ({"notes.txt": b"hello"}, r"does not take text/plain \(it takes PNG, JPEG, GIF, WebP"),
])
def test_media_is_checked_before_anything_is_sent(adapter: BlueskyAdapter, fake: FakeBluesky,
                                                  tmp_path: Path, files: dict[str, bytes],
                                                  message: str) -> None:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    media = tuple(MediaFile(tmp_path / n, f"media/{n}", "alt") for n in files)
    with pytest.raises(Rejected, match=message):
        adapter.publish(out("with media", media=media))
    assert fake.requests == []


def test_an_unresolvable_mention_fails_before_the_post(adapter: BlueskyAdapter,
                                                       fake: FakeBluesky) -> None:
    with pytest.raises(Rejected, match=r"mention @ghost\.test: cannot resolve the handle"):
        adapter.publish(out("hi @ghost.test"))
    assert fake.calls() == [SESSION, "com.atproto.identity.resolveHandle"]
    assert fake.records == {}


def test_an_expired_session_is_refreshed_once(adapter: BlueskyAdapter,
                                              fake: FakeBluesky) -> None:
    adapter.publish(out("one", dedupe=tid(1_790_000_000_000_000, 1)))
    fake.expire_sessions()
    adapter.publish(out("two", dedupe=tid(1_790_000_000_000_001, 1)))
    assert fake.calls() == [SESSION, CREATE, CREATE, "com.atproto.server.refreshSession",
                            CREATE]
    assert (fake.sessions, fake.refreshes) == (1, 1)
    assert fake.texts() == ["one", "two"]
    refresh = next(r for r in fake.requests if r["path"].endswith("refreshSession"))
    assert refresh["headers"]["Authorization"].startswith("Bearer eyJhbGciOi.refresh.")


def test_a_dead_refresh_token_logs_in_again(adapter: BlueskyAdapter, fake: FakeBluesky) -> None:
    adapter.publish(out("one", dedupe=tid(1_790_000_000_000_000, 1)))
    fake.expire_sessions()
    fake.refresh_tokens.clear()
    adapter.publish(out("two", dedupe=tid(1_790_000_000_000_001, 1)))
    assert fake.calls()[-4:] == [CREATE, "com.atproto.server.refreshSession", SESSION, CREATE]
    assert fake.sessions == 2


def test_a_wrong_password_is_rejected_without_the_password(fake: FakeBluesky,
                                                           tmp_path: Path) -> None:
    ctx = ChannelContext("bsky", "bluesky", {"server": fake.url},
                         {"identifier": "brand.test", "password": "wrong-password-123"},
                         tmp_path, Redactor())
    adapter = BlueskyAdapter(ctx)
    with pytest.raises(Rejected) as caught:
        adapter.publish(out("hello"))
    assert str(caught.value) == ("HTTP 401: AuthenticationRequired: Invalid identifier or "
                                 "password")
    assert caught.value.status == 401


def test_tokens_and_password_never_reach_an_error(adapter: BlueskyAdapter,
                                                  fake: FakeBluesky) -> None:
    fake.faults = ["echo"]
    with pytest.raises(Rejected) as caught:
        adapter.publish(out("hello"))
    message = str(caught.value)
    assert "[REDACTED]" in message
    for secret in (PASSWORD, *fake.access, *fake.refresh_tokens):
        assert secret not in message


def test_settings_and_secrets_are_required(tmp_path: Path) -> None:
    with pytest.raises(NotConfigured, match="identifier"):
        BlueskyAdapter(ChannelContext("bsky", "bluesky", {}, {"identifier": "a.test"},
                                      tmp_path, Redactor()))
    with pytest.raises(NotConfigured, match="http"):
        BlueskyAdapter(ChannelContext("bsky", "bluesky", {"server": "bsky.social"},
                                      {"identifier": "a", "password": "b"}, tmp_path,
                                      Redactor()))
    default = BlueskyAdapter(ChannelContext("bsky", "bluesky", {}, {"identifier": "a",
                                            "password": "bbbbbbbb"}, tmp_path, Redactor()))
    assert str(default.http.base_url) == "https://bsky.social"
    default.close()
    assert ADAPTERS["bluesky"] is BlueskyAdapter


# -- failures and reconciliation -----------------------------------------------------------

def test_rate_limit_reset_is_read_from_epoch_seconds(adapter: BlueskyAdapter,
                                                     fake: FakeBluesky) -> None:
    fake.faults = ["429"]
    with pytest.raises(Transient) as caught:
        adapter.publish(out("hello"))
    assert caught.value.maybe_sent is False
    assert caught.value.retry_after is not None and 25 < caught.value.retry_after <= 30
    assert str(caught.value) == "rate limited: HTTP 429: RateLimitExceeded: Rate Limit Exceeded"


def test_failures_before_the_record_mean_nothing_was_sent(adapter: BlueskyAdapter,
                                                          fake: FakeBluesky) -> None:
    fake.fault_on, fake.faults = "com.atproto.identity.resolveHandle", ["503"]
    with pytest.raises(Transient) as caught:
        adapter.publish(out("hi @friend.test"))
    assert caught.value.maybe_sent is False
    assert CREATE not in fake.calls()


def test_answer_lost_then_reconciled_by_record_key(adapter: BlueskyAdapter,
                                                   fake: FakeBluesky) -> None:
    part = out("hello")
    fake.faults = ["accept-then-drop"]
    with pytest.raises(Transient) as caught:
        adapter.publish(part)
    assert caught.value.maybe_sent is True
    found = adapter.reconcile(part, NOW, NOW + timedelta(days=2))
    stored = fake.records[part.dedupe]
    assert found == Remote(stored["uri"], f"https://bsky.app/profile/{fake.did}/post/"
                           f"{part.dedupe}", {"cid": stored["cid"]})
    (get,) = [r for r in fake.requests if r["path"] == f"/xrpc/{GET}"]
    assert get["method"] == "GET"
    assert get["query"] == {"repo": [fake.did], "collection": ["app.bsky.feed.post"],
                            "rkey": [part.dedupe]}


def test_nothing_at_the_key_means_sending_again_is_safe(adapter: BlueskyAdapter,
                                                        fake: FakeBluesky) -> None:
    part = out("hello")
    fake.faults = ["drop"]  # lost before the server did anything
    with pytest.raises(Transient):
        adapter.publish(part)
    assert adapter.reconcile(part, NOW, NOW) is None
    assert adapter.publish(part).id.endswith(part.dedupe)
    assert fake.texts() == ["hello"]


def test_a_different_record_at_the_key_needs_a_human(adapter: BlueskyAdapter,
                                                     fake: FakeBluesky) -> None:
    part = out("hello")
    adapter.publish(part)
    with pytest.raises(CannotTell, match="exists with a different text"):
        adapter.reconcile(out("hello, edited", dedupe=part.dedupe), NOW, NOW)


def test_a_duplicate_key_answers_500_and_reconciles_to_the_first(
        adapter: BlueskyAdapter, fake: FakeBluesky) -> None:
    part = out("hello")
    first = adapter.publish(part)
    with pytest.raises(Transient) as caught:
        adapter.publish(part)
    assert (caught.value.status, caught.value.maybe_sent) == (500, True)
    assert adapter.reconcile(part, NOW, NOW) == first
    assert len(fake.records) == 1


def test_a_duplicate_key_refused_with_a_4xx_is_found_as_published(
        adapter: BlueskyAdapter, fake: FakeBluesky) -> None:
    part = out("hello")
    first = adapter.publish(part)
    fake.faults = ["status:409"]
    assert adapter.publish(part) == first
    assert fake.calls()[-2:] == [CREATE, GET]


def test_a_rejected_record_stays_rejected(adapter: BlueskyAdapter, fake: FakeBluesky) -> None:
    with pytest.raises(Rejected) as caught:
        adapter.publish(out("x" * 301))
    assert str(caught.value) == ("HTTP 400: InvalidRequest: Invalid app.bsky.feed.post record: "
                                 "grapheme too big (maximum 300, got 301) at $.record.text")
    assert fake.calls() == [SESSION, CREATE, GET]


# -- through the publisher -----------------------------------------------------------------

def test_publisher_posts_a_thread_once_and_records_each_part(repo: Path,
                                                             fake: FakeBluesky) -> None:
    (repo / "calendar/channels.yaml").write_text(
        "timezone: Europe/Paris\nchannels:\n  news:\n    network: outbox\n"
        "  bsky:\n    network: bluesky\n"
        f"    server: {fake.url}\n    secrets:\n      identifier: BSKY_ID\n"
        "      password: BSKY_PASSWORD\n", "utf-8")
    (repo / "calendar/posts/t.yaml").write_text(
        "id: t\nstatus: ready\nchannels: [bsky]\npublish_at: 2026-11-24T09:30\n"
        "text: Bonjour à tous 👋\nthread:\n  - text: deuxième\n  - text: troisième\n", "utf-8")
    fake.faults = ["accept-then-drop"]  # the first part's answer is lost
    env = {"BSKY_ID": "brand.test", "BSKY_PASSWORD": PASSWORD}

    def run(now: datetime) -> list[str]:
        calendar, report = load_calendar(repo, use_cache=False)
        assert report.ok, [p.message for p in report.problems]
        store = LocalStore(repo / ".cmops/state")
        try:
            result = Publisher(repo, calendar, store,
                               adapter_factory(repo, calendar, Redactor(), env),
                               Options(now, backoff=Backoff(base=0.01, cap=0.01)),
                               sleep=lambda s: None).run()
        finally:
            store.close()
        return [o.state for o in result.outcomes]

    assert run(NOW) == ["published"]
    assert run(NOW + timedelta(hours=1)) == []
    assert fake.texts() == ["Bonjour à tous 👋", "deuxième", "troisième"]
    assert fake.sessions == 1
    ledger = loads((repo / ".cmops/state/records/t/bsky.json").read_bytes(), "t/bsky")
    rkeys = [p.dedupe for p in ledger.parts]
    assert list(fake.records) == rkeys
    assert all(TID.match(k) for k in rkeys)
    assert [p.remote_id for p in ledger.parts] == [r["uri"] for r in fake.records.values()]
    assert [dict(p.extra) for p in ledger.parts] == [{"cid": r["cid"]}
                                                     for r in fake.records.values()]
    root = {"uri": ledger.parts[0].remote_id, "cid": ledger.parts[0].extra["cid"]}
    assert fake.records[rkeys[2]]["value"]["reply"] == {
        "root": root, "parent": {"uri": ledger.parts[1].remote_id,
                                 "cid": ledger.parts[1].extra["cid"]}}
    assert fake.calls().count(GET) == 1  # the lost answer was settled by one lookup
