"""A second opinion on the Mastodon adapter: ``mastodon-mock`` (PyPI, a stateful FastAPI +
SQLite re-implementation of the client API written by others) run on 127.0.0.1 in a
subprocess. cmops publishes a post, a thread and an image through MastodonAdapter and reads
them back through the mock's own API, then reads counters, followers, mentions and hashtags.

It is not proof of compatibility with Mastodon itself (no real server installs here), only an
independent reading of the same documentation. Skipped, saying so, when the test extra is
not installed.
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cmops.adapters import ChannelContext, MediaFile, Outgoing, Rejected, Remote
from cmops.adapters.mastodon import MastodonAdapter
from cmops.adapters.reading import Counters
from cmops.secrets import Redactor

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Mock:
    url: str

    def user(self, name: str) -> str:
        """A fresh account on the mock; its access token."""
        answer = httpx.post(f"{self.url}/api/v1/_mock/dev_user", json={"username": name},
                            timeout=10)
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    def get(self, token: str, path: str, **params: Any) -> Any:
        answer = httpx.get(f"{self.url}{path}", params=params, timeout=10,
                           headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, (path, answer.status_code, answer.text)
        return answer.json()

    def post(self, token: str, text: str) -> str:
        answer = httpx.post(f"{self.url}/api/v1/statuses", json={"status": text}, timeout=10,
                            headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        sid: str = answer.json()["id"]
        return sid


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mock]:
    pytest.importorskip("mastodon_mock", reason="mastodon-mock (test extra) is not installed")
    workdir = tmp_path_factory.mktemp("mastodon-mock")  # no config file of ours is read
    log_path = workdir / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOST", "PORT"))}
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mastodon_mock", "serve", "--host", "127.0.0.1", "--port",
             str(port), "--in-memory", "--log-level", "warning"],
            cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/api/v2/instance", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"mastodon-mock did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.1)
            yield Mock(url)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def make(mock: Mock, token: str, root: Path) -> MastodonAdapter:
    return MastodonAdapter(ChannelContext("masto", "mastodon", {"server": mock.url},
                                          {"token": token}, root, Redactor(), timeout=10))


def out(a: MastodonAdapter, text: str, part: int = 0, parts: int = 1, key: str = "p/masto",
        **kwargs: Any) -> Outgoing:
    return Outgoing(key, key.split("/")[0], "masto", part, parts, text,
                    a.new_dedupe(key, part, NOW), lang="fr", **kwargs)


def png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x20\x60\xd0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_post_is_published_once_and_reads_back(mock: Mock, tmp_path: Path) -> None:
    token = mock.user("brand1")
    a = make(mock, token, tmp_path)
    try:
        text = "Été 🌞 : la lampe Halo arrive ! https://example.org/halo #lampe"
        first = out(a, text)
        remote = a.publish(first)
        status = mock.get(token, f"/api/v1/statuses/{remote.id}")
        assert (status["visibility"], status["language"]) == ("public", "fr")
        assert "la lampe Halo arrive" in status["content"] and remote.url == status["url"]
        # Replaying the same intent (an answer that was lost) gives the same status.
        assert a.publish(first).id == remote.id
        assert len(mock.get(token, f"/api/v1/accounts/{status['account']['id']}/statuses")) == 1
        # Over the instance's limit (read from /api/v2/instance): refused before sending.
        with pytest.raises(Rejected, match="501/500"):
            a.publish(out(a, "x" * 501, key="long/masto"))
        assert a.metrics([remote.id]) == {remote.id: Counters(likes=0, comments=0, shares=0,
                                                               quotes=status.get(
                                                                   "quotes_count"))}
        assert a.followers() == 0
    finally:
        a.close()


def test_thread_chains_replies(mock: Mock, tmp_path: Path) -> None:
    token = mock.user("brand2")
    a = make(mock, token, tmp_path)
    try:
        remotes: list[Remote] = []
        for part, text in enumerate(["1/3 Le fil", "2/3 La suite", "3/3 La fin"]):
            reply_to = remotes[-1] if remotes else None
            remotes.append(a.publish(out(a, text, part, 3, key="fil/masto",
                                         reply_to=reply_to, root=remotes[0] if remotes
                                         else None)))
        chain = [mock.get(token, f"/api/v1/statuses/{r.id}")["in_reply_to_id"]
                 for r in remotes]
        assert chain == [None, remotes[0].id, remotes[1].id]
        context = mock.get(token, f"/api/v1/statuses/{remotes[0].id}/context")
        assert [d["id"] for d in context["descendants"]] == [r.id for r in remotes[1:]]
    finally:
        a.close()


def test_image_with_alt_text(mock: Mock, tmp_path: Path) -> None:
    token = mock.user("brand3")
    image = tmp_path / "red.png"
    image.write_bytes(png())
    a = make(mock, token, tmp_path)
    try:
        remote = a.publish(out(a, "Avec une image", key="img/masto", media=(
            MediaFile(image, "calendar/media/red.png", "Une lampe rouge sur une table"),)))
        status = mock.get(token, f"/api/v1/statuses/{remote.id}")
        [media] = status["media_attachments"]
        assert (media["type"], media["description"]) == ("image",
                                                         "Une lampe rouge sur une table")
    finally:
        a.close()


def test_mentions_and_hashtags_are_read(mock: Mock, tmp_path: Path) -> None:
    token = mock.user("brand4")
    fan = mock.user("fan4")
    mention = mock.post(fan, "@brand4 ma lampe Halo ne s'allume plus")
    tagged = mock.post(fan, "Qui a la nouvelle #halolampe ?")
    a = make(mock, token, tmp_path)
    try:
        items, cursor = a.inbox(None)
        assert [(i.id, i.kind, i.author.handle) for i in items] == [
            (mention, "mention", "@fan4")]
        assert cursor is not None
        assert a.inbox(cursor) == ([], cursor)
        found, _ = a.search(["#halolampe"], None)
        assert [(i.id, i.kind) for i in found] == [(tagged, "keyword")]
        assert "ne s'allume plus" in items[0].text
    finally:
        a.close()
