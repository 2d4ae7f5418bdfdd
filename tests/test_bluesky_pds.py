"""cmops against the real Bluesky PDS (``@atproto/pds``) on 127.0.0.1, with an in-memory PLC
directory: what `cmops publish` writes is read back record by record with
``com.atproto.repo.getRecord``.

Needs ``scripts/pds-setup`` (Node 22 and the PDS, cached under tests/pds/node_modules). Without
it these tests are skipped, saying so; with ``CMOPS_REQUIRE_PDS=1`` in the environment they
fail instead, so a CI that must run them cannot pass green without them.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.fakes.pds import Pds, xrpc

from cmops.adapters import (
    ChannelContext,
    MediaFile,
    NotConfigured,
    Outgoing,
    Rejected,
    Transient,
    Withdrawal,
)
from cmops.adapters.bluesky import BlueskyAdapter, tid
from cmops.secrets import Redactor

POST = "app.bsky.feed.post"
AT = "2026-11-24T09:00Z"


def get_record(pds: Pds, uri: str) -> dict[str, Any]:
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    found: dict[str, Any] = xrpc(pds.url, "GET", "com.atproto.repo.getRecord", params={
        "repo": repo, "collection": collection, "rkey": rkey})
    return found


def all_posts(pds: Pds) -> list[dict[str, Any]]:
    listed = xrpc(pds.url, "GET", "com.atproto.repo.listRecords", params={
        "repo": pds.did, "collection": POST, "limit": 100})
    records: list[dict[str, Any]] = listed["records"]
    return records


def png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xd0\x20\x20" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def calendar(root: Path, pds: Pds, posts: dict[str, str]) -> None:
    (root / "calendar/channels.yaml").write_text(
        "timezone: UTC\nchannels:\n  news:\n    network: outbox\n"
        f"  bsky:\n    network: bluesky\n    server: {pds.url}\n"
        "    secrets:\n      identifier: BSKY_ID\n      password: BSKY_PASSWORD\n", "utf-8")
    (root / "calendar/media/red.png").write_bytes(png())
    for name, text in posts.items():
        (root / f"calendar/posts/{name}.yaml").write_text(text, "utf-8")


def cmops_publish(root: Path, pds: Pds, crash: str | None = None
                  ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    env |= {"BSKY_ID": "brand.test", "BSKY_PASSWORD": pds.app_password}
    if crash:
        env["CMOPS_CRASH_AT"] = crash
    return subprocess.run([sys.executable, "-m", "cmops", "--root", str(root), "publish",
                           "--at", AT, "--format", "json"], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def ledger(root: Path, key: str) -> dict[str, Any]:
    post_id, channel = key.split("/")
    record: dict[str, Any] = json.loads(
        (root / f".cmops/state/records/{post_id}/{channel}.json").read_text())
    return record


FIRST = ("Café crème à l'Élysée ✨🇫🇷 #cmops avec @alice.test : "
         "https://example.com/lancement?x=1")
LAUNCH = f"""id: launch
status: ready
channels: [bsky]
publish_at: 2026-11-24T08:30
lang: fr
utm: false
link:
  url: https://example.com/lancement?x=1
  title: Le lancement
  description: "Tout sur le lancement : dates, lieux et horaires"
  image: calendar/media/red.png
text: "{FIRST}"
thread:
  - text: Deuxième partie 🧵
  - text: Troisième, avec une image
    media:
      - path: calendar/media/red.png
        alt: Un carré rouge
"""


def test_cmops_publish_writes_the_records_it_means(repo: Path, pds: Pds) -> None:
    calendar(repo, pds, {"launch": LAUNCH})
    result = cmops_publish(repo, pds)
    assert result.returncode == 0, result.stdout + result.stderr
    parts = ledger(repo, "launch/bsky")["parts"]
    records = [get_record(pds, p["remote_id"]) for p in parts]
    assert [p["remote_id"].rsplit("/", 1)[1] for p in parts] == [p["dedupe"] for p in parts]
    assert [r["cid"] for r in records] == [p["extra"]["cid"] for p in parts]
    first, second, third = (r["value"] for r in records)
    assert [first["text"], second["text"], third["text"]] == [
        FIRST, "Deuxième partie 🧵", "Troisième, avec une image"]
    assert first["langs"] == ["fr"]
    created = datetime.fromisoformat(first["createdAt"].replace("Z", "+00:00"))
    assert first["createdAt"].endswith("Z")  # the run's --at time, plus the time it took
    assert timedelta(0) <= created - datetime(2026, 11, 24, 9, 0, tzinfo=UTC) < timedelta(
        seconds=30)
    data = FIRST.encode()
    assert [(data[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(),
             f["features"][0]) for f in first["facets"]] == [
        ("#cmops", {"$type": "app.bsky.richtext.facet#tag", "tag": "cmops"}),
        ("@alice.test", {"$type": "app.bsky.richtext.facet#mention", "did": pds.friend}),
        ("https://example.com/lancement?x=1",
         {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/lancement?x=1"}),
    ]
    # the card as the client built it (app.bsky.embed.external), read back from the PDS
    thumb = first["embed"]["external"].pop("thumb")
    assert first["embed"] == {"$type": "app.bsky.embed.external", "external": {
        "uri": "https://example.com/lancement?x=1", "title": "Le lancement",
        "description": "Tout sur le lancement : dates, lieux et horaires"}}
    assert (thumb["$type"], thumb["mimeType"], thumb["size"]) == ("blob", "image/png",
                                                                  len(png()))
    assert xrpc(pds.url, "GET", "com.atproto.sync.getBlob", params={
        "did": pds.did, "cid": thumb["ref"]["$link"]}) == png()
    root = {"uri": parts[0]["remote_id"], "cid": records[0]["cid"]}
    assert "reply" not in first
    assert second["reply"] == {"root": root, "parent": root}
    assert third["reply"] == {"root": root,
                              "parent": {"uri": parts[1]["remote_id"], "cid": records[1]["cid"]}}
    (image,) = third["embed"]["images"]
    assert third["embed"]["$type"] == "app.bsky.embed.images"
    assert image["alt"] == "Un carré rouge"
    assert (image["image"]["mimeType"], image["image"]["size"]) == ("image/png", len(png()))
    blob = xrpc(pds.url, "GET", "com.atproto.sync.getBlob", params={
        "did": pds.did, "cid": image["image"]["ref"]["$link"]})
    assert blob == png()
    assert parts[0]["url"] == f"https://bsky.app/profile/{pds.did}/post/{parts[0]['dedupe']}"


def test_a_card_image_over_1_mb_is_shrunk_to_a_thumb_the_pds_accepts(repo: Path,
                                                                     pds: Pds) -> None:
    """The PDS refuses a ``thumb`` over the lexicon's 1,000,000 bytes; the Bluesky adapter
    re-encodes a bigger card image (Pillow) rather than drop it. A link with images on the
    same post goes in the text, as a link facet."""
    from PIL import Image

    calendar(repo, pds, {})
    noise = Image.frombytes("RGB", (700, 700), random.Random(7).randbytes(700 * 700 * 3))
    noise.save(repo / "calendar/media/noise.png")
    assert (repo / "calendar/media/noise.png").stat().st_size > 1_000_000
    (repo / "calendar/posts/big.yaml").write_text(
        "id: big-card\nstatus: ready\nchannels: [bsky]\npublish_at: 2026-11-24T08:40\n"
        "text: Une grande image\nlink:\n  url: https://example.com/grande\n"
        "  title: Grande image\n  image: calendar/media/noise.png\n", "utf-8")
    (repo / "calendar/posts/photo.yaml").write_text(
        "id: photo-link\nstatus: ready\nchannels: [bsky]\npublish_at: 2026-11-24T08:41\n"
        "text: Avec une photo\nlink: https://example.com/photo\nmedia:\n"
        "  - path: calendar/media/red.png\n    alt: Un carré rouge\n", "utf-8")
    result = cmops_publish(repo, pds)
    assert result.returncode == 0, result.stdout + result.stderr
    big = get_record(pds, ledger(repo, "big-card/bsky")["parts"][0]["remote_id"])["value"]
    thumb = big["embed"]["external"]["thumb"]
    assert thumb["mimeType"] == "image/jpeg" and thumb["size"] <= 1_000_000
    data = xrpc(pds.url, "GET", "com.atproto.sync.getBlob", params={
        "did": pds.did, "cid": thumb["ref"]["$link"]})
    assert len(data) == thumb["size"] and data[:3] == b"\xff\xd8\xff"
    photo = get_record(pds, ledger(repo, "photo-link/bsky")["parts"][0]["remote_id"])["value"]
    assert photo["text"] == "Avec une photo\nhttps://example.com/photo"
    assert photo["embed"]["$type"] == "app.bsky.embed.images"
    assert photo["facets"] == [{"index": {"byteStart": 15, "byteEnd": 40}, "features": [
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/photo"}]}]


def test_killed_between_create_and_ledger_then_rerun_posts_once(repo: Path, pds: Pds) -> None:
    calendar(repo, pds, {"once": "id: once\nstatus: ready\nchannels: [bsky]\n"
                                 "publish_at: 2026-11-24T08:45\ntext: Une seule fois\n"})
    crashed = cmops_publish(repo, pds, crash="after-send:1")
    assert crashed.returncode == -signal.SIGKILL
    assert ledger(repo, "once/bsky")["parts"][0]["state"] == "sending"
    rerun = cmops_publish(repo, pds)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    posts = [p for p in all_posts(pds) if p["value"]["text"] == "Une seule fois"]
    assert len(posts) == 1
    part = ledger(repo, "once/bsky")["parts"][0]
    assert part["state"] == "published"
    assert part["remote_id"] == posts[0]["uri"]
    assert [a["outcome"] for a in ledger(repo, "once/bsky")["attempts"]] == ["reconciled"]


def test_duplicate_record_key_and_record_not_found(pds: Pds, tmp_path: Path) -> None:
    ctx = ChannelContext("bsky", "bluesky", {"server": pds.url},
                         {"identifier": "brand.test", "password": pds.app_password}, tmp_path,
                         Redactor())
    adapter = BlueskyAdapter(ctx)
    now = datetime.now(UTC)
    part = Outgoing("dup/bsky", "dup", "bsky", 0, 1, "Deux fois la même clé",
                    adapter.new_dedupe("dup/bsky", 0, now), published_at=now)
    try:
        first = adapter.publish(part)
        with pytest.raises(Transient) as caught:  # the reference server's answer to a
            adapter.publish(part)                 # duplicate key: a plain 500
        assert (caught.value.status, caught.value.maybe_sent) == (500, True)
        assert adapter.reconcile(part, now, now) == first
        unsent = Outgoing("dup/bsky", "dup", "bsky", 0, 1, "jamais envoyé",
                          tid((now - datetime(1970, 1, 1, tzinfo=UTC))
                              // timedelta(microseconds=1), 999), published_at=now)
        assert adapter.reconcile(unsent, now, now) is None
        too_long = Outgoing("long/bsky", "long", "bsky", 0, 1, "é" * 301,
                            adapter.new_dedupe("long/bsky", 0, now), published_at=now)
        with pytest.raises(Rejected) as rejected:
            adapter.publish(too_long)
        assert str(rejected.value) == (
            "HTTP 400: InvalidRequest: Invalid app.bsky.feed.post record: grapheme too big "
            "(maximum 300, got 301) at $.record.text")
        assert pds.app_password not in str(rejected.value)
    finally:
        adapter.close()
    texts = [p["value"]["text"] for p in all_posts(pds)]
    assert texts.count("Deux fois la même clé") == 1
    assert "jamais envoyé" not in texts


@pytest.mark.parametrize("where", ["the PDS itself", "nothing listening"])
def test_a_video_through_a_server_with_no_video_service_says_so(pds: Pds, tmp_path: Path,
                                                                where: str) -> None:
    """The local PDS has no video service (app.bsky.video.* is not among its methods):
    pointing video_service at it, or at a port nothing answers on, names the problem and
    posts nothing. ``localhost``, as atproto allows a port in a did:web only there."""
    port = pds.url.rpartition(":")[2]
    if where == "nothing listening":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = str(probe.getsockname()[1])
    service = f"http://localhost:{port}"
    ctx = ChannelContext("bsky", "bluesky", {"server": pds.url, "video_service": service},
                         {"identifier": "brand.test", "password": pds.app_password}, tmp_path,
                         Redactor())
    adapter = BlueskyAdapter(ctx)
    now = datetime.now(UTC)
    clip = Path(__file__).parent / "media" / "landscape-2s.mp4"
    part = Outgoing("vid/bsky", "vid", "bsky", 0, 1, "Une vidéo",
                    adapter.new_dedupe("vid/bsky", 0, now), published_at=now,
                    media=(MediaFile(clip, "media/landscape-2s.mp4", "Une mire"),))
    before = len(all_posts(pds))
    try:
        with pytest.raises(NotConfigured) as caught:
            adapter.publish(part)
    finally:
        adapter.close()
    assert str(caught.value).startswith(
        f"bluesky channel bsky: no video service at {service} (a self-hosted PDS has none; "
        "set video_service): ")
    assert pds.app_password not in str(caught.value)
    assert len(all_posts(pds)) == before


def test_a_withdrawn_record_is_deleted_and_deleting_it_again_is_fine(pds: Pds,
                                                                   tmp_path: Path) -> None:
    """``deleteRecord`` on the real PDS: the record is gone from the repository, and a second
    delete (a run that died before recording the first) is the PDS's no-op, not an error."""
    ctx = ChannelContext("bsky", "bluesky", {"server": pds.url},
                         {"identifier": "brand.test", "password": pds.app_password}, tmp_path,
                         Redactor())
    adapter = BlueskyAdapter(ctx)
    now = datetime.now(UTC)
    first = Outgoing("gone/bsky", "gone", "bsky", 0, 2, "Bientôt retiré",
                     adapter.new_dedupe("gone/bsky", 0, now), published_at=now)
    try:
        root = adapter.publish(first)
        reply = adapter.publish(Outgoing(
            "gone/bsky", "gone", "bsky", 1, 2, "Sa suite, retirée aussi",
            adapter.new_dedupe("gone/bsky", 1, now), published_at=now, reply_to=root,
            root=root))
        kept = adapter.publish(Outgoing("kept/bsky", "kept", "bsky", 0, 1, "Reste en ligne",
                                        adapter.new_dedupe("kept/bsky", 0, now),
                                        published_at=now))
        for remote, part in ((reply, 1), (root, 0)):
            adapter.delete(Withdrawal("bsky", "gone", part, remote, now))
        for remote, part in ((reply, 1), (root, 0)):
            adapter.delete(Withdrawal("bsky", "gone", part, remote, now))  # again: fine
        assert adapter.reconcile(first, now, now) is None  # getRecord: RecordNotFound
    finally:
        adapter.close()
    assert [p["uri"] for p in all_posts(pds)
            if p["value"]["text"] in ("Bientôt retiré", "Sa suite, retirée aussi",
                                      "Reste en ligne")] == [kept.id]
    repo, collection, rkey = root.id.removeprefix("at://").split("/")
    response = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.getRecord", params={
        "repo": repo, "collection": collection, "rkey": rkey}, timeout=20)
    assert (response.status_code, response.json()["error"]) == (400, "RecordNotFound")
