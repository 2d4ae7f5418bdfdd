"""Parity: for every example post × channel, the text the plan shows, the text validation
measures and the text the network receives are the same string, part by part (issue 16).

The examples are the repository's own calendar, each post of ``tests/examples/valid`` on the
base calendar, and ``tests/examples/parity`` (the base calendar plus a channel on each network
the other examples do not reach). Each post × channel is published for real: the publisher,
the real adapter, and the network's strict loopback fake (the outbox writes its file). What
the fake received is read back by the remote id the ledger recorded for each part. LinkedIn
receives "little text", read back through its escaping; every other network receives the
text as it is.

A link that goes as a card (``NetworkRules.link == "card"``) is beside the text, not in it,
so it is not part of the text compared here; a bare link's card would be fetched from the
page at publish time, and tests never leave 127.0.0.1, so the fetch fails and the card goes
with the page's host as its title (the documented fallback).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from tests.fakes.rigs import RIGS

import cmops.publish
from cmops.adapters import ADAPTERS, Adapter, ChannelContext
from cmops.cards import CardError
from cmops.cli import cli
from cmops.ledger import Record
from cmops.publish import Options, Publisher
from cmops.rules.networks import checked_parts
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.text.linkedin import unescape
from cmops.validate import load_calendar

PROJECT = Path(__file__).parent.parent
EXAMPLES = PROJECT / "tests/examples"
WINDOW = ("--at", "2026-01-01T00:00Z", "--until", "2099-12-31T00:00Z")
STANDBY_NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


# -- the example calendars -------------------------------------------------------------------
def _main(root: Path) -> None:
    shutil.copytree(PROJECT / "calendar", root / "calendar")


def _valid(case: Path) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        shutil.copytree(EXAMPLES / "base", root)
        shutil.copy(case, root / "calendar/posts/case.yaml")
    return build


def _parity(root: Path) -> None:
    shutil.copytree(EXAMPLES / "base", root)
    shutil.copytree(EXAMPLES / "parity/calendar", root / "calendar", dirs_exist_ok=True)


SOURCES: dict[str, tuple[Callable[[Path], None], list[Path], Path]] = {
    "calendar": (_main, sorted((PROJECT / "calendar/posts").rglob("*.yaml")),
                 PROJECT / "calendar/channels.yaml"),
    **{f"valid/{case.stem}": (_valid(case), [case], EXAMPLES / "base/calendar/channels.yaml")
       for case in sorted((EXAMPLES / "valid/posts").glob("*.yaml"))},
    "parity": (_parity, sorted((EXAMPLES / "parity/calendar/posts").glob("*.yaml")),
               EXAMPLES / "parity/calendar/channels.yaml"),
}
SENDABLE = {*RIGS, "outbox"}


def _cases() -> Iterator[Any]:
    """Every post × channel of every source that is ever published (not a draft), on a
    network with a strict fake (or the outbox), read from the files themselves."""
    for source, (_, posts, channels_file) in SOURCES.items():
        channels = yaml.safe_load(channels_file.read_text("utf-8"))["channels"]
        for file in posts:
            data = yaml.safe_load(file.read_text("utf-8"))
            if data.get("status") == "draft":
                continue
            for channel in data["channels"]:
                network = channels[channel].get("network", "outbox")
                if network in SENDABLE:
                    yield pytest.param(source, data["id"], channel,
                                       id=f"{source}:{data['id']}×{channel}")


CASES = list(_cases())


def test_the_examples_reach_every_network_with_a_fake() -> None:
    reached = set()
    for source, _, channel in (c.values for c in CASES):
        channels = yaml.safe_load(SOURCES[str(source)][2].read_text("utf-8"))["channels"]
        reached.add(channels[channel].get("network", "outbox"))
    assert reached == SENDABLE


# -- what the plan shows and what validation measures, once per source ----------------------
@dataclass
class Prepared:
    root: Path
    plan: dict[tuple[str, str], dict[str, Any]]
    """(post, channel) -> the first occurrence's item of ``cmops plan --format json``."""
    checked: dict[tuple[str, str], list[str]]
    """(post, channel) -> the part texts validation measures."""


_PREPARED: dict[str, Prepared] = {}


@pytest.fixture
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Prepared]:
    def get(source: str) -> Prepared:
        if source not in _PREPARED:
            root = tmp_path_factory.mktemp("parity") / "repo"
            SOURCES[source][0](root)
            result = CliRunner().invoke(cli, ["--root", str(root), "plan", *WINDOW,
                                              "--format", "json"], catch_exceptions=False)
            assert result.exit_code == 0, result.output
            plan: dict[tuple[str, str], dict[str, Any]] = {}
            for item in yaml.safe_load(result.stdout)["items"]:
                plan.setdefault((item["post"], item["channel"]), item)
            calendar, report = load_calendar(root, use_cache=False)
            assert report.ok, [p.message for p in report.problems]
            checked = {(post.id, channel): [p.text for p in checked_parts(post, channel,
                                                                          calendar)]
                       for post in calendar.posts for channel in post.channels}
            _PREPARED[source] = Prepared(root, plan, checked)
        return _PREPARED[source]
    return get


# -- what the network received -----------------------------------------------------------------
_HASHTAG = re.compile(r"\{hashtag\|\\#\|((?:[^\\}]|\\.)*)\}")


def _linkedin_plain(commentary: str) -> str:
    """LinkedIn little text back to the text it shows: hashtag elements become ``#tag``,
    backslash escapes are undone."""
    return unescape(_HASHTAG.sub(lambda m: "#" + m.group(1), commentary))


def _received(network: str, fake: Any, root: Path, record: Record) -> list[str]:
    """The text of the message each part became, looked up by the id the ledger recorded."""
    def one(remote: str, url: str | None) -> str:
        if network == "outbox":
            import json
            return str(json.loads((root / str(url)).read_text("utf-8"))["text"])
        if network == "mastodon":
            return str(next(s for s in fake.statuses if s["id"] == remote)["content"])
        if network == "bluesky":
            return str(next(r for r in fake.records.values()
                            if r["uri"] == remote)["value"]["text"])
        if network == "x":
            return str(next(t for t in fake.tweets if t["id"] == remote)["text"])
        if network == "linkedin":
            return _linkedin_plain(next(p for p in fake.posts
                                        if p["id"] == remote)["commentary"])
        if network in ("facebook", "instagram", "threads"):
            post = next(p for p in fake.posts if str(p["id"]) == remote)
            field = {"facebook": "message", "instagram": "caption", "threads": "text"}[network]
            return str(post.get(field) or "")
        if network == "discord":
            return str(next(m for m in fake.messages if m["id"] == remote)["content"])
        if network == "tiktok":
            post = next(p for p in fake.posts if p["id"] == remote)
            return str(post["info"].get("title" if post["kind"] != "photo" else "description"))
        if network == "google_business":
            return str(next(p for p in fake.posts if p["name"] == remote).get("summary", ""))
        if network == "youtube":
            return str(next(v for v in fake.videos
                            if v["id"] == remote)["snippet"]["description"])
        if network == "pinterest":
            return str(next(p for p in fake.pins if p["id"] == remote)["description"])
        if network == "telegram":
            message = next(m for m in fake.messages if str(m["message_id"]) == remote)
            return str(message.get("text", message.get("caption", "")))
        raise AssertionError(f"no reader for {network}")

    return [one(str(part.remote_id), part.url) for part in record.parts]


def _no_fetch(url: str, **kwargs: Any) -> Any:
    raise CardError("tests reach only 127.0.0.1")


@pytest.mark.parametrize(("source", "post", "channel"), CASES)
def test_plan_validate_and_the_network_see_the_same_text(
        source: str, post: str, channel: str, prepared: Callable[[str], Prepared],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cmops.publish, "fetch_card", _no_fetch)
    ready = prepared(source)
    case = f"{source}: {post} × {channel}"
    item = ready.plan.get((post, channel))
    assert item is not None, f"{case}: not in the plan"
    shown = [part["text"] for part in item["parts"]]
    assert ready.checked[(post, channel)] == shown, \
        f"{case}: validation measures other text than the plan shows"

    calendar, _ = load_calendar(ready.root, use_cache=False)
    ch = calendar.channels[channel]
    network = ch.network or "outbox"
    when = datetime.fromisoformat(item["publish_at"].replace("Z", "+00:00")) \
        if item["publish_at"] else STANDBY_NOW
    store = LocalStore(tmp_path / "state")
    rig = RIGS.get(network)
    with rig.fake() if rig else _nothing() as fake:
        def adapters(name: str) -> Adapter:
            settings = {**ch.raw, **(rig.settings(fake) if rig else {})}
            secrets = rig.secrets(fake) if rig else {}
            return ADAPTERS[network](ChannelContext(name, network, settings, secrets,
                                                    ready.root, Redactor(), timeout=5.0))

        report = Publisher(ready.root, calendar, store, adapters,
                           Options(when, (channel,), (post,)), sleep=lambda s: None).run()
        [outcome] = report.outcomes
        assert outcome.state == "published", f"{case}: {outcome.state}: {outcome.error}"
        record = store.read(outcome.key)
        assert record is not None
        got = _received(network, fake, ready.root, record)
    assert got == shown, f"{case}: the network received other text than the plan shows"


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
