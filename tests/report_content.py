"""The content repository the report tests build on (test_report.py, test_ga4.py,
test_site_browser.py): the example calendar, a hostile post and campaign, a fixture ledger,
metric snapshots and an inbox; ``generate_site`` runs the report on it in memory."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.conftest import PROJECT

from cmops.ledger import Attempt, PartRecord, PartState, Record, RecordState, dumps
from cmops.report import generate
from cmops.stores import record_path
from cmops.validate import load_calendar

AT = "2026-11-24T09:00+01:00"
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)

# Hostile strings (reliability.md §7.G): each must reach the page as the same visible text.
XSS = [
    "<script>window.__xss=1;alert(1)</script>",
    '<img src=x onerror="window.__xss=1;alert(1)">',
    '<svg onload="window.__xss=1">',
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "[x](javascript:alert(1))",
    "[x](jAvAsCrIpT:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "<javascript:alert(1)>",
    '<a href="vbscript:msgbox(1)">v</a>',
    '--8<-- "/proc/self/environ"',
    "{{ config }}",
    "{% include 'x' %}",
    "</title><script>alert(1)</script>",
]
HOSTILE_TEXT = "\n".join(XSS)
HOSTILE_NAME = "</title><script>window.__xss=1</script>{{ config }} *Launch*"
EVIL_AUTHOR = '<img src=x onerror="window.__xss=1">'
PRIVATE_DM = "my address is 12 rue des Lilas"


def write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def write_record(state: Path, record: Record) -> None:
    path = state / record_path(record.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dumps(record))


def published_record(key: str, network: str, urls: list[str], at: str) -> Record:
    post, _, channel = key.rpartition("/")
    parts = [PartRecord(PartState.PUBLISHED, f"d{i}", sent_at=at, url=url, at=at)
             for i, url in enumerate(urls)]
    return Record(key, post, channel, network, state=RecordState.PUBLISHED, publish_at=at,
                  parts=parts,
                  attempts=[Attempt("run1", i, at, "published") for i in range(len(urls))])


def make_content(root: Path, *, pause: bool = True, collected: bool = True) -> Path:
    """A content repository: the example calendar plus hostile content, a ledger, snapshots
    and an inbox; with the project's mkdocs.yml and docs/ so the site builds for real."""
    shutil.copytree(PROJECT / "calendar", root / "calendar")
    shutil.copytree(PROJECT / "docs", root / "docs",
                    ignore=lambda folder, names: ["report"] if Path(folder) == PROJECT / "docs"
                    else [])
    shutil.copy(PROJECT / "mkdocs.yml", root / "mkdocs.yml")
    write_file(root / "calendar/campaigns/hostile.yaml",
           f"id: hostile-launch\nname: {json.dumps(HOSTILE_NAME)}\nstart: 2026-11-20\n"
           "end: 2026-11-30\ndescription: '<b>bold</b> [x](javascript:alert(1))'\n"
           "goals: {comments: 5}\n")
    write_file(root / "calendar/posts/2026-11/hostile.yaml",
           "id: hostile-corpus\npublish_at: 2026-11-25T10:00\nchannels: [newsroom]\n"
           f"status: ready\ncampaign: hostile-launch\ntext: {json.dumps(HOSTILE_TEXT)}\n"
           "media:\n  - path: calendar/media/halo.png\n"
           f"    alt: {json.dumps(XSS[1] + ' ' + XSS[11])}\n")
    if pause:
        write_file(root / "calendar/pause.yaml",
               'paused: true\nreason: "Recall: <b>hold</b> {{ config }}"\n'
               'since: "2026-11-24T07:30:00Z"\nby: "@camille"\nchannels: [x-main]\n')
    state = root / ".cmops/state"
    at = "2026-11-24T07:31:00Z"
    write_record(state, published_record("night-riding-tips/newsroom", "outbox",
                              ["https://news.lumen-velo.example/night/1",
                               "https://news.lumen-velo.example/night/2",
                               "https://news.lumen-velo.example/night/3",
                               "https://news.lumen-velo.example/night/4"], at))
    write_record(state, published_record("night-riding-tips/bluesky-main", "bluesky",
                              ["https://bsky.app/profile/lumen-velo.bsky.social/post/3k1"], at))
    write_record(state, Record("night-riding-tips/mastodon-main", "night-riding-tips",
                          "mastodon-main", "mastodon", state=RecordState.FAILED, publish_at=at,
                          error=f"HTTP 422: {XSS[0]}",
                          attempts=[Attempt("run1", 0, at, "failed", "422")]))
    write_record(state, Record("summer-teaser/bluesky-main", "summer-teaser", "bluesky-main",
                          "bluesky", state=RecordState.NEEDS_HUMAN,
                          publish_at="2026-11-20T10:00:00Z",
                          error="the answer was lost; check the network, then cmops resolve"))
    write_record(state, published_record("old-post/x-main", "x", ["javascript:alert(1)"],
                              "2026-11-10T10:00:00Z"))
    if collected:
        snapshot = {"format": 1, "network": "bluesky", "collected_at": "2026-11-24T06:00:00Z",
                    "account": {"followers": 520}, "posts": [
                        {"key": "night-riding-tips/bluesky-main",
                         "url": "https://bsky.app/profile/lumen-velo.bsky.social/post/3k1",
                         "published_at": "2026-11-24T07:31:00Z", "impressions": 1000,
                         "likes": 40, "comments": 6, "shares": 14, "clicks": None}]}
        write_file(state / "snapshots/2026-11-24/bluesky-main.json", json.dumps(snapshot))
        write_file(state / "snapshots/2026-11-20/bluesky-main.json", json.dumps(
            {**snapshot, "collected_at": "2026-11-20T06:00:00Z", "account": {"followers": 500},
             "posts": []}))
        for day, count in (("2026-11-20", 1000), ("2026-11-24", 1030)):
            write_file(state / f"snapshots/{day}/mastodon-main.json", json.dumps(
                {"format": 1, "collected_at": f"{day}T06:00:00Z",
                 "account": {"followers": count}, "posts": []}))
        write_file(state / "inbox/2026-11-24.json", json.dumps({"format": 1, "items": [
            {"id": "m1", "channel": "mastodon-main", "kind": "dm",
             "author": {"name": "Léa", "handle": "@lea@piaille.example"},
             "text": "Merci !", "received_at": "2026-11-22T08:00:00Z",
             "replied_at": "2026-11-22T10:00:00Z", "sentiment": "positive"},
            {"id": "m2", "channel": "mastodon-main", "kind": "mention",
             "author": {"name": EVIL_AUTHOR, "handle": "@evil@bad.example",
                        "url": "javascript:alert(1)", "followers": 50000},
             "text": XSS[0] + " " + XSS[11], "url": "https://bad.example/@evil/1",
             "received_at": "2026-11-24T06:00:00Z", "sentiment": "negative"},
            {"id": "m3", "channel": "bluesky-main", "kind": "dm",
             "author": {"name": "Client", "handle": "client.bsky.social"},
             "text": PRIVATE_DM, "received_at": "2026-11-23T18:00:00Z"},
        ]}))
    return root


def generate_site(root: Path, at: datetime = NOW) -> Any:
    from cmops.report.sources import read_dir
    from cmops.stores.local import LocalStore

    calendar, report = load_calendar(root, use_cache=False)
    state = root / ".cmops/state"
    return generate(root, calendar, LocalStore(state).load(), read_dir(state), at,
                    errors=len(report.errors))


def page_text(generated: Any, rel: str) -> str:
    return str(generated.files[rel].decode("utf-8"))


