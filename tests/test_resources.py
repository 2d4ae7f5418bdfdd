"""Every HTTP client an adapter opens is closed, on every path (issue 17, bug 1)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import Runner
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
        store.save = boom  # type: ignore[assignment]
        Publisher(repo, calendar, store, adapters, Options(NOW)).run()
    assert clients.opened and clients.still_open() == []


@pytest.fixture
def closes(monkeypatch: pytest.MonkeyPatch, clients: Clients) -> list[httpx.Client]:
    """Every ``httpx.Client.close`` call (with :func:`clients` counting the opened ones)."""
    closed: list[httpx.Client] = []
    original = httpx.Client.close

    def close(self: httpx.Client) -> None:
        if not self.is_closed:
            closed.append(self)
        original(self)

    monkeypatch.setattr(httpx.Client, "close", close)
    return closed


@pytest.mark.parametrize("token", [TOKEN, "wrong-token"], ids=["published", "adapter-error"])
def test_cmops_publish_closes_every_client_it_opened(
        repo: Path, fake: FakeMastodon, clients: Clients, closes: list[httpx.Client],
        run: Runner, monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    calendar_with_two_mastodon_channels(repo, fake.url)
    monkeypatch.setenv("TOK", token)
    result = run("publish", "--at", "2026-11-24T09:00Z", "--format", "json", root=repo)
    states = {o["state"] for o in json.loads(result.stdout)["outcomes"]
              if o["network"] == "mastodon"}
    assert states == ({"published"} if token == TOKEN else {"failed"})
    assert result.exit_code == (0 if token == TOKEN else 1)
    assert len(clients.opened) >= 1
    assert sorted(map(id, closes)) == sorted(map(id, clients.opened))
    assert clients.still_open() == []


def test_cmops_publish_closes_its_clients_when_the_time_budget_runs_out(
        repo: Path, fake: FakeMastodon, clients: Clients, closes: list[httpx.Client],
        run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    calendar_with_two_mastodon_channels(repo, fake.url)
    monkeypatch.setenv("TOK", TOKEN)
    ticks = iter([0.0, 0.0, 590.0, 590.0, 590.0, 590.0] + [600.0] * 50)
    from cmops.publish import Publisher

    defaults = Publisher.__init__.__kwdefaults__
    assert defaults is not None and "clock" in defaults
    monkeypatch.setitem(defaults, "clock", lambda: next(ticks))
    result = run("publish", "--at", "2026-11-24T09:00Z", "--format", "json", root=repo)
    assert "deferred" in {o["state"] for o in json.loads(result.stdout)["outcomes"]}
    assert len(clients.opened) >= 1
    assert sorted(map(id, closes)) == sorted(map(id, clients.opened))


def test_cmops_collect_closes_every_client_it_opened(
        repo: Path, fake: FakeMastodon, clients: Clients, closes: list[httpx.Client],
        run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    calendar_with_two_mastodon_channels(repo, fake.url)
    monkeypatch.setenv("TOK", TOKEN)
    run("publish", "--at", "2026-11-24T09:00Z", root=repo)
    opened_by_publish = len(clients.opened)
    result = run("collect", "--at", "2026-11-24T10:00Z", "--format", "json", root=repo)
    assert result.exit_code in (0, 1), result.output
    assert len(clients.opened) > opened_by_publish
    assert sorted(map(id, closes)) == sorted(map(id, clients.opened))
    assert clients.still_open() == []
