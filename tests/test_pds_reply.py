"""Replies (issue 19, a post's ``reply_to:``) against the real Bluesky PDS (``@atproto/pds``)
on 127.0.0.1: another account of the server posts, cmops answers it by its bsky.app address
and by its ``at://`` URI, and each record is read back to check its ``reply`` strong refs
(uri and cid), the conversation's root kept through a thread part and a first comment. A post
deleted before it is answered is refused, naming it, with the real server's own words.

Needs ``scripts/pds-setup`` (see tests/fakes/pds.py); skipped without it, failing instead under
``CMOPS_REQUIRE_PDS=1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.pds import Pds, xrpc

from cmops.adapters import ChannelContext, Outgoing, Rejected, Remote
from cmops.adapters.bluesky import BlueskyAdapter
from cmops.secrets import Redactor

POST = "app.bsky.feed.post"


@pytest.fixture
def adapter(pds: Pds, tmp_path: Path) -> Iterator[BlueskyAdapter]:
    ctx = ChannelContext("bsky", "bluesky", {"server": pds.url},
                         {"identifier": "brand.test", "password": pds.app_password}, tmp_path,
                         Redactor())
    made = BlueskyAdapter(ctx)
    yield made
    made.close()


def alice_posts(pds: Pds, text: str, reply: dict[str, Any] | None = None) -> dict[str, str]:
    """A post by the other account (alice.test), written straight to the PDS."""
    session = xrpc(pds.url, "POST", "com.atproto.server.createSession", json={
        "identifier": "alice.test", "password": "alice.test-account-password"})
    record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": datetime.now(
        UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    if reply is not None:
        record["reply"] = reply
    created = xrpc(pds.url, "POST", "com.atproto.repo.createRecord", session["accessJwt"],
                   json={"repo": pds.friend, "collection": POST, "record": record})
    return {"uri": created["uri"], "cid": created["cid"]}


def stored(pds: Pds, uri: str) -> dict[str, Any]:
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    found: dict[str, Any] = xrpc(pds.url, "GET", "com.atproto.repo.getRecord", params={
        "repo": repo, "collection": collection, "rkey": rkey})
    return found


def web(ref: dict[str, str]) -> str:
    return f"https://bsky.app/profile/alice.test/post/{ref['uri'].rsplit('/', 1)[1]}"


def part(adapter: BlueskyAdapter, text: str, index: int = 0, parts: int = 1, *,
         reply_url: str | None = None, reply_to: Remote | None = None,
         root: Remote | None = None, comment: bool = False) -> Outgoing:
    now = datetime.now(UTC)
    return Outgoing("answer/bsky", "answer", "bsky", index, parts, text,
                    adapter.new_dedupe(f"answer/bsky/{text}", index, now), published_at=now,
                    reply_url=reply_url, reply_to=reply_to, root=root, comment=comment)


def test_a_reply_to_a_web_address_lands_under_that_post(pds: Pds,
                                                         adapter: BlueskyAdapter) -> None:
    question = alice_posts(pds, "@brand.test vous ouvrez quand ?")
    remote = adapter.publish(part(adapter, "Lundi à 9 h !", reply_url=web(question)))
    record = stored(pds, remote.id)
    assert record["cid"] == remote.extra["cid"]
    assert record["value"]["reply"] == {"root": question, "parent": question}
    assert remote.id.startswith(f"at://{pds.did}/{POST}/")


def test_a_reply_in_a_conversation_keeps_its_root_through_thread_and_comment(
        pds: Pds, adapter: BlueskyAdapter) -> None:
    opening = alice_posts(pds, "Qui vient samedi ?")
    question = alice_posts(pds, "@brand.test et vous ?",
                           reply={"root": opening, "parent": opening})
    first = adapter.publish(part(adapter, "Nous serons là", 0, 2, reply_url=question["uri"]))
    second = adapter.publish(part(adapter, "avec le stand", 1, 2, reply_to=first, root=first))
    comment = adapter.publish(part(adapter, "Plan d'accès", 2, 2, reply_to=first, root=first,
                                   comment=True))
    mine = {"uri": first.id, "cid": first.extra["cid"]}
    assert stored(pds, first.id)["value"]["reply"] == {"root": opening, "parent": question}
    assert stored(pds, second.id)["value"]["reply"] == {"root": opening, "parent": mine}
    assert stored(pds, comment.id)["value"]["reply"] == {"root": opening, "parent": mine}
    assert (first.extra["root"], first.extra["root_cid"]) == (opening["uri"], opening["cid"])


def test_a_deleted_post_is_refused_naming_it(pds: Pds, adapter: BlueskyAdapter) -> None:
    question = alice_posts(pds, "Message bientôt supprimé")
    session = xrpc(pds.url, "POST", "com.atproto.server.createSession", json={
        "identifier": "alice.test", "password": "alice.test-account-password"})
    xrpc(pds.url, "POST", "com.atproto.repo.deleteRecord", session["accessJwt"], json={
        "repo": pds.friend, "collection": POST, "rkey": question["uri"].rsplit("/", 1)[1]})
    with pytest.raises(Rejected) as caught:
        adapter.publish(part(adapter, "Trop tard", reply_url=web(question)))
    assert str(caught.value) == (
        f"reply_to {web(question)}: no such post to answer (deleted, or never there): "
        f"HTTP 400: RecordNotFound: Could not locate record: {question['uri']}")
    assert pds.app_password not in str(caught.value)
