"""Every HTTP client an adapter opens is closed, on every path (issue 17, bug 1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.fakes.mastodon import FakeMastodon

from cmops.publish import Options, Publisher, adapter_factory
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.validate import load_calendar

TOKEN = "resources-token-1234"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class Clients:
    """Counts httpx clients opened and closed while a test runs."""

    def __init__(self) -> None:
        self.opened: list[httpx.Client] = []

    def still_open(self) -> list[httpx.Client]:
        return [c for c in self.opened if not c.is_closed]


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Clients:
    seen = Clients()
    original = httpx.Client.__init__

    def init(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        seen.opened.append(self)

    monkeypatch.setattr(httpx.Client, "__init__", init)
    return seen


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    with FakeMastodon(TOKEN).running() as server:
        server.clock = lambda: NOW
        yield server


def calendar_with_two_mastodon_channels(root: Path, server: str) -> None:
    (root / "calendar/channels.yaml").write_text(
        "timezone: Europe/Paris\nchannels:\n  news:\n    network: outbox\n"
        f"  m1:\n    network: mastodon\n    server: {server}\n    secrets: {{token: TOK}}\n"
        f"  m2:\n    network: mastodon\n    server: {server}\n    secrets: {{token: TOK}}\n")
    (root / "calendar/posts/a.yaml").write_text(
        "id: a\nstatus: ready\nchannels: [news, m1, m2]\npublish_at: 2026-11-24T09:50\n"
        "text: hello\n")


def test_a_publish_closes_every_client_it_opened(repo: Path, fake: FakeMastodon,
                                                 clients: Clients) -> None:
    calendar_with_two_mastodon_channels(repo, fake.url)
    calendar, _ = load_calendar(repo, use_cache=False)
    with LocalStore(repo / ".cmops/state") as store, \
            adapter_factory(repo, calendar, Redactor(), {"TOK": TOKEN}) as adapters:
        report = Publisher(repo, calendar, store, adapters, Options(NOW)).run()
    assert {o.state for o in report.outcomes} == {"published"}
    assert len(clients.opened) == 2
    assert clients.still_open() == []


def test_clients_are_closed_when_the_run_fails_or_runs_out_of_time(
        repo: Path, fake: FakeMastodon, clients: Clients) -> None:
    calendar_with_two_mastodon_channels(repo, fake.url)
    calendar, _ = load_calendar(repo, use_cache=False)
    ticks = iter([0.0, 0.0, 590.0, 590.0, 590.0, 590.0] + [600.0] * 50)
    with LocalStore(repo / ".cmops/state") as store, \
            adapter_factory(repo, calendar, Redactor(), {"TOK": TOKEN}) as adapters:
        report = Publisher(repo, calendar, store, adapters, Options(NOW),
                           clock=lambda: next(ticks)).run()
    assert "deferred" in {o.state for o in report.outcomes}
    assert clients.still_open() == []

    class Broken(RuntimeError):
        pass

    def boom(*_: object) -> None:
        raise Broken

    with pytest.raises(Broken), LocalStore(repo / ".cmops/state") as store, \
            adapter_factory(repo, calendar, Redactor(), {"TOK": TOKEN}) as adapters:
        adapters("m1")
        store.save = boom  # type: ignore[method-assign]
        Publisher(repo, calendar, store, adapters, Options(NOW)).run()
    assert clients.opened and clients.still_open() == []
