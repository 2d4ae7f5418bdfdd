"""A realistic ledger for the synthetic year: every item due before a date, published.

    python benchmarks/ledger.py REPO --at 2027-07-01T00:00Z [--no-metrics]

For a repository written by benchmarks/synth.py, writes what a year of ``cmops publish``
runs (and ``cmops collect``, unless --no-metrics) would have left in the local store
``.cmops/state/``: one record per post x channel timed before ``--at``, in the store's own
layout (records/<post>/<channel>.json, :func:`cmops.stores.record_path`) and format
(:class:`cmops.ledger.Record`, checksummed by :func:`cmops.ledger.dumps`), each part as sent
(the rendered text of every thread part, its alt texts), published a minute after its time
with a URL of its network's shape. The outbox channel's message files are written where the
outbox adapter keeps them (``.cmops/outbox/<channel>/<dedupe>.json``) so the report links
and copies them as it would. Metrics: a weekly snapshot per channel (the collector's format,
:mod:`cmops.report.sources`) with totals for every item published in the four weeks before,
so campaign pages show results for each post.

Deterministic for a given repository and date. Used by benchmarks/lighthouse.py and, with
``--ledger``, benchmarks/report.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cmops.ledger import (
    Attempt,
    PartRecord,
    PartState,
    Record,
    RecordState,
    content_digest,
    dumps,
)
from cmops.plan import build_plan
from cmops.render import render
from cmops.stores import record_path
from cmops.stores.local import DEFAULT_STATE
from cmops.times import iso
from cmops.validate import load_calendar

SEND_DELAY = timedelta(minutes=1)
"""How long after its time an item goes out (the publish workflow runs every few minutes)."""
SNAPSHOT_EVERY = timedelta(days=7)
SNAPSHOT_WINDOW = timedelta(days=28)
"""How far back a collection reads each post's counters."""
RUN = "synth0000001"
DEFAULT_OUTBOX = ".cmops/outbox"


Published = dict[str, list[tuple[str, str, datetime, int]]]
"""Channel -> (key, URL, when published, parts) of each item published there."""


def _number(key: str, salt: str, modulo: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{salt}:{key}".encode()).digest()[:8], "big") % modulo


def _url(network: str, channel: str, dedupe: str, key: str, part: int) -> str:
    """A URL of the network's own shape (the outbox's is its message file's path)."""
    n = _number(key, f"url{part}", 10**18)
    return {
        "outbox": f"{DEFAULT_OUTBOX}/{channel}/{dedupe}.json",
        "bluesky": f"https://bsky.app/profile/lumen-velo.bsky.social/post/3l{n:x}"[:64],
        "mastodon": f"https://mastodon.example/@lumenvelo/{n % 10**17}",
        "x": f"https://x.com/lumenvelo/status/{n}",
        "linkedin": f"https://www.linkedin.com/feed/update/urn:li:share:{n % 10**19}/",
    }.get(network, f"https://{network}.example/{n}")


def write_ledger(repo: Path, at: datetime, metrics: bool = True) -> dict[str, int]:
    """Write the store (and the outbox files) of ``repo`` as of ``at``; counts written."""
    calendar, _ = load_calendar(repo, use_cache=False)
    plan = build_plan(calendar, at, horizon=at)
    state = repo / DEFAULT_STATE
    counts = {"records": 0, "parts": 0, "outbox files": 0, "snapshots": 0}
    published: Published = {}
    for item in plan.items:
        if item.when is None or item.when >= at:
            continue
        rendered = render(item.post, item.channel, calendar)
        sent = item.when
        done = sent + SEND_DELAY
        record = Record(item.key, item.post.id, item.channel, item.network, item.occurrence,
                        RecordState.PUBLISHED, publish_at=iso(item.when),
                        digest=content_digest([p.text for p in rendered.parts]),
                        updated=iso(done))
        for index, part in enumerate(rendered.parts):
            dedupe = hashlib.sha256(f"{item.key}#{index}".encode()).hexdigest()[:26]
            url = _url(item.network, item.channel, dedupe, item.key, index)
            record.parts.append(PartRecord(
                PartState.PUBLISHED, dedupe, sent_at=iso(sent), remote_id=dedupe, url=url,
                at=iso(done), text=part.text, alts=[m.alt for m in part.media]))
            record.note(Attempt(RUN, index, iso(done), "published"))
            if item.network == "outbox":
                _outbox_file(repo / url, dedupe, item.post.id, item.channel, index,
                             len(rendered.parts), part.text, done)
                counts["outbox files"] += 1
        file = state / record_path(item.key)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(dumps(record))
        counts["records"] += 1
        counts["parts"] += len(record.parts)
        published.setdefault(item.channel, []).append(
            (item.key, record.url or "", done, len(record.parts)))
    if metrics:
        networks = {name: c.network or "" for name, c in calendar.channels.items()}
        counts["snapshots"] = _snapshots(state, networks, published, at)
    return counts


def _outbox_file(path: Path, dedupe: str, post: str, channel: str, part: int, parts: int,
                 text: str, when: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"id": dedupe, "post": post, "channel": channel, "part": part + 1, "parts": parts,
            "text": text, "published_at": iso(when)}
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", "utf-8")


def _snapshots(state: Path, networks: dict[str, str], published: Published,
               at: datetime) -> int:
    firsts = [done for items in published.values() for _, _, done, _ in items]
    if not firsts:
        return 0
    day = min(firsts).replace(hour=6, minute=0, second=0, microsecond=0) + SNAPSHOT_EVERY
    written = 0
    while day < at:
        for channel, items in sorted(published.items()):
            posts = []
            for key, url, done, _ in items:
                if not day - SNAPSHOT_WINDOW <= done <= day:
                    continue
                age = (day - done).days + 1
                seen = 200 + _number(key, "seen", 2000)
                posts.append({"key": key, "url": url, "published_at": iso(done),
                              "impressions": seen * min(age, 7) // 7,
                              "likes": _number(key, "likes", 60) * min(age, 7) // 7,
                              "comments": _number(key, "comments", 9),
                              "shares": _number(key, "shares", 15),
                              "clicks": _number(key, "clicks", 40)})
            followers = 1000 + (day - min(firsts)).days * 3 + _number(channel, "f", 500)
            body = {"format": 1, "channel": channel, "network": networks.get(channel, ""),
                    "collected_at": iso(day), "account": {"followers": followers},
                    "posts": posts}
            file = state / "snapshots" / f"{day.astimezone(UTC):%Y-%m-%d}" / f"{channel}.json"
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(json.dumps(body, ensure_ascii=False) + "\n", "utf-8")
            written += 1
        day += SNAPSHOT_EVERY
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--at", required=True, help="ISO time: items before it are published")
    parser.add_argument("--no-metrics", action="store_true")
    args = parser.parse_args()
    at = datetime.fromisoformat(args.at.replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise SystemExit("--at needs a zone (Z or +hh:mm)")
    counts = write_ledger(args.repo, at, metrics=not args.no_metrics)
    print(", ".join(f"{v} {k}" for k, v in counts.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
