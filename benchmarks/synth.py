"""A synthetic content repository in the real format, for benchmarks.

Deterministic for a given N and seed: a year of posts over 5 channels and 24 campaigns, with
threads, variants, media with alt text, accents and emoji, the way a busy team writes them.

``links=True`` gives the link-heavy calendar: every post has a link and a campaign with UTM
tags and goes to exactly 3 channels (so 30,000 texts to render and tag for 10,000 posts).
"""

from __future__ import annotations

import json
import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = ["newsroom", "bluesky-main", "mastodon-main", "x-main", "linkedin-page"]
WORDS = (
    "vélo", "lumière", "sécurité", "nuit", "atelier", "réparation", "communauté", "Lyon",
    "hiver", "printemps", "launch", "riders", "commute", "safety", "repair", "café", "🚲", "🌙",
    "✨", "#VéloTaf", "#BikeLife",
)


def _text(rng: random.Random, n: int) -> str:
    return json.dumps(" ".join(rng.choice(WORDS) for _ in range(n)), ensure_ascii=False)


def generate(target: Path, posts: int = 10_000, seed: int = 7, links: bool = False) -> Path:
    rng = random.Random(seed)
    if target.exists():
        shutil.rmtree(target)
    (target / "calendar/posts").mkdir(parents=True)
    (target / "calendar/campaigns").mkdir(parents=True)
    (target / "calendar/media").mkdir(parents=True)
    shutil.copy(ROOT / "calendar/media/halo.png", target / "calendar/media/halo.png")
    channels = ["timezone: Europe/Paris", "lang: fr", "channels:"]
    for name in CHANNELS:
        network = name.split("-")[0].replace("newsroom", "outbox")
        channels.append(f"  {name}:\n    network: {network}")
        if network == "mastodon":
            channels.append("    server: https://mastodon.example")
        if network == "linkedin":
            channels.append("    account: urn:li:organization:1")
        if network != "outbox":
            channels.append(f"    secrets:\n      token: {name.upper().replace('-', '_')}_TOKEN")
    (target / "calendar/channels.yaml").write_text("\n".join(channels) + "\n", "utf-8")
    start = datetime(2027, 1, 1, 9, 0)
    for c in range(24):
        first = start + timedelta(days=15 * c)
        (target / f"calendar/campaigns/c{c:02d}.yaml").write_text(
            f"id: c{c:02d}\nname: Campaign {c}\nstart: {first:%Y-%m-%d}\n"
            f"end: {first + timedelta(days=14):%Y-%m-%d}\n"
            "utm: {source: '{network}', medium: social}\n"
            "goals: {engagement_rate: 10, comments: 50, shares: 30}\n", "utf-8")
    for i in range(posts):
        c = i * 24 // posts
        when = start + timedelta(days=15 * c, minutes=(i * 37) % (14 * 24 * 60))
        if when.month == 3 and when.day >= 28 and when.hour == 2:  # avoid the DST gap
            when += timedelta(hours=2)
        if when.month == 10 and when.day >= 25 and when.hour == 2:  # and the overlap
            when += timedelta(hours=2)
        chans = rng.sample(CHANNELS, 3 if links else rng.randint(1, 4))
        lines = [
            "# yaml-language-server: $schema=../../../schemas/post.schema.json",
            f"id: post-{i:05d}",
            f"publish_at: {when:%Y-%m-%dT%H:%M}",
            f"channels: [{', '.join(chans)}]",
            "status: ready",
            f"campaign: c{c:02d}",
            "labels: [synthetic, " + rng.choice(["tips", "product", "events"]) + "]",
            f"text: {_text(rng, 24)}",
        ]
        if i % 3 == 0:
            lines += ["media:", "  - path: calendar/media/halo.png",
                      f"    alt: {_text(rng, 8)}"]
        if i % 5 == 0 and "linkedin-page" not in chans:  # LinkedIn has no threads
            lines += ["thread:", f"  - text: {_text(rng, 12)}", f"  - text: {_text(rng, 9)}"]
        if i % 4 == 0 and "x-main" in chans:
            lines += ["variants:", "  x:", f"    text: {_text(rng, 10)}"]
        if links or i % 2 == 0:
            lines.append(f"link: https://lumen-velo.example/p/{i}")
        folder = target / f"calendar/posts/{when:%Y-%m}"
        folder.mkdir(exist_ok=True)
        (folder / f"post-{i:05d}.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    return target
