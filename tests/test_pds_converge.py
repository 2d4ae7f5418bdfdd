"""The whole convergence flow (issue 19) through ``cmops publish`` against the real Bluesky PDS
(``@atproto/pds``) on 127.0.0.1: a thread with a first comment published; a reply to it
(``reply_to:`` its bsky.app address, no ``publish_at``) published by the next run and read back
with its strong refs; a text change listed as ``not_applied`` and never sent; then the thread
withdrawn: every record of it gone from the PDS (getRecord: 400 RecordNotFound), the ledger
withdrawn with when and why, and a further run sends nothing.

Needs ``scripts/pds-setup`` (see tests/fakes/pds.py); skipped without it, failing instead under
``CMOPS_REQUIRE_PDS=1``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from tests.fakes.pds import Pds, xrpc

POST = "app.bsky.feed.post"
THREAD = ("publish_at: 2026-11-24T08:30\ntext: Atelier réparation samedi 🔧\n"
          "thread:\n  - text: De 10 h à 16 h, place du marché\n"
          "first_comment: Inscriptions en commentaire\n")


def setup(root: Path, pds: Pds) -> None:
    (root / "calendar/channels.yaml").write_text(
        "timezone: UTC\nchannels:\n  news:\n    network: outbox\n"
        f"  bsky:\n    network: bluesky\n    server: {pds.url}\n"
        "    secrets:\n      identifier: BSKY_ID\n      password: BSKY_PASSWORD\n", "utf-8")


def write(root: Path, name: str, body: str) -> None:
    (root / f"calendar/posts/{name}.yaml").write_text(
        f"id: {name}\nchannels: [bsky]\n{body}", "utf-8")


def cmops(root: Path, pds: Pds, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    env |= {"BSKY_ID": "brand.test", "BSKY_PASSWORD": pds.app_password}
    return subprocess.run([sys.executable, "-m", "cmops", "--root", str(root), *args,
                           "--format", "json"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def publish(root: Path, pds: Pds, at: str) -> list[tuple[str, str]]:
    done = cmops(root, pds, "publish", "--at", at)
    assert done.returncode == 0, done.stdout + done.stderr
    outcomes = json.loads(done.stdout)["outcomes"]
    # the login identifier is the handle, a secret the output redacts: the links printed
    # use the account's DID, so they still work
    for o in outcomes:
        if o["state"] == "published":
            assert o["url"] == f"https://bsky.app/profile/{pds.did}/post/" + \
                o["url"].rsplit("/", 1)[1], o["url"]
    assert "[REDACTED]" not in done.stdout
    return [(o["key"], o["state"]) for o in outcomes]


def ledger(root: Path, key: str) -> dict[str, Any]:
    post_id, channel = key.split("/")
    data: dict[str, Any] = json.loads(
        (root / f".cmops/state/records/{post_id}/{channel}.json").read_text("utf-8"))
    return data


def get(pds: Pds, uri: str) -> dict[str, Any]:
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    found: dict[str, Any] = xrpc(pds.url, "GET", "com.atproto.repo.getRecord", params={
        "repo": repo, "collection": collection, "rkey": rkey})
    return found


def gone(pds: Pds, uri: str) -> tuple[int, str]:
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    answer = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.getRecord", params={
        "repo": repo, "collection": collection, "rkey": rkey}, timeout=20)
    return answer.status_code, answer.json().get("error", "")


def ref(part: dict[str, Any]) -> dict[str, str]:
    return {"uri": part["remote_id"], "cid": part["extra"]["cid"]}


def test_publish_reply_refuse_an_edit_then_withdraw(repo: Path, pds: Pds) -> None:
    setup(repo, pds)
    write(repo, "atelier", "status: ready\n" + THREAD)
    assert publish(repo, pds, "2026-11-24T09:00Z") == [("atelier/bsky", "published")]
    parts = ledger(repo, "atelier/bsky")["parts"]
    assert len(parts) == 3
    main, second, comment = (get(pds, p["remote_id"]) for p in parts)
    root = ref(parts[0])
    assert "reply" not in main["value"]
    assert second["value"]["reply"] == {"root": root, "parent": root}
    assert comment["value"]["reply"] == {"root": root, "parent": root}
    address = parts[0]["url"]
    assert address.startswith("https://bsky.app/profile/")
    assert address.endswith("/post/" + parts[0]["remote_id"].rsplit("/", 1)[1])

    # the answer, merged without publish_at: sent by the next run, under the main post
    write(repo, "merci", f"status: ready\nreply_to: {address}\n"
          "text: Merci à tous, 40 vélos réparés !\n")
    assert publish(repo, pds, "2026-11-24T18:00Z") == [("merci/bsky", "published")]
    [answer] = ledger(repo, "merci/bsky")["parts"]
    stored = get(pds, answer["remote_id"])
    assert stored["value"]["text"] == "Merci à tous, 40 vélos réparés !"
    assert stored["value"]["reply"] == {"root": root, "parent": root}

    # Bluesky posts are not edited: the plan says so, the publisher sends nothing
    write(repo, "atelier", "status: ready\n" + THREAD.replace("samedi", "dimanche"))
    plan = cmops(repo, pds, "plan", "--at", "2026-11-24T19:00Z")
    assert plan.returncode == 0, plan.stderr
    [item] = [i for i in json.loads(plan.stdout)["items"] if i["post"] == "atelier"]
    assert (item["state"], item["reason"]) == (
        "not_applied",
        "bluesky posts cannot be edited through cmops: the change stays in the repository only")
    assert [e["after"] for e in item["edits"]] == ["Atelier réparation dimanche 🔧"]
    assert publish(repo, pds, "2026-11-24T19:00Z") == []
    assert get(pds, parts[0]["remote_id"])["value"]["text"] == "Atelier réparation samedi 🔧"
    assert get(pds, parts[0]["remote_id"])["cid"] == parts[0]["extra"]["cid"]

    # withdrawn: the comment, the parts and the main post go; the answer stays
    write(repo, "atelier", "status: withdrawn\nwithdrawn_reason: annulé, météo\n" + THREAD)
    assert publish(repo, pds, "2026-11-24T20:00Z") == [("atelier/bsky", "withdrawn")]
    assert [gone(pds, p["remote_id"]) for p in parts] == [(400, "RecordNotFound")] * 3
    rec = ledger(repo, "atelier/bsky")
    assert rec["state"] == "withdrawn"
    assert rec["withdrawn_reason"] == "annulé, météo"
    assert rec["withdrawn_at"].startswith("2026-11-24T20:00")
    assert get(pds, answer["remote_id"])["value"]["reply"]["parent"] == root
    assert publish(repo, pds, "2026-11-24T21:00Z") == []
    assert ledger(repo, "atelier/bsky")["state"] == "withdrawn"
