"""API versions do not expire silently: validate and plan warn 60 days before a version's
published end, refuse one already ended, and name the channel's line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest
from tests.conftest import Runner, json_out
from tests.fakes.linkedin import FakeLinkedIn

from cmops import apiversions
from cmops.adapters.base import ChannelContext, NotConfigured
from cmops.adapters.facebook import FacebookAdapter
from cmops.adapters.linkedin import LinkedInAdapter
from cmops.secrets import Redactor
from cmops.validate import validate


def _set_version(repo: Path, channel: str, version: str) -> None:
    channels = repo / "calendar/channels.yaml"
    text = channels.read_text()
    anchor = f"  {channel}:\n"
    assert anchor in text
    head, tail = text.split(anchor)
    first, rest = tail.split("\n", 1)
    channels.write_text(f"{head}{anchor}{first}\n    version: \"{version}\"\n{rest}")


def _findings(repo: Path, today: date) -> list[tuple[str, str, str, int, str]]:
    report = validate(repo, use_cache=False, today=today)
    return [(p.severity.value, p.rule, p.path, p.line, p.message)
            for p in report.problems if p.rule == "channel.api-version"]


def test_published_linkedin_sunsets_and_estimates() -> None:
    assert apiversions.LINKEDIN.end("202601") == (date(2027, 1, 15), False)
    # Not on the migrations page: a year after release, on the 15th, said to be estimated.
    assert apiversions.LINKEDIN.end("202607") == (date(2027, 7, 15), True)
    assert apiversions.GRAPH.end("v23.0") == (date(2027, 10, 8), False)
    assert apiversions.GRAPH.end("v26.0") is None  # "TBD": nothing to warn about


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 11, 15), None),  # 61 days ahead
    (date(2026, 11, 16), ("warning", 60)),
    (date(2027, 1, 15), ("warning", 0)),
    (date(2027, 1, 16), ("error", -1)),
])
def test_sixty_days_of_warning_then_refused(today: date, expected: tuple[str, int] | None
                                            ) -> None:
    found = apiversions.ending("linkedin", "202601", today)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert ("error" if found.past else "warning", found.days_left) == expected


def test_a_configured_version_is_reported_on_its_line(repo: Path) -> None:
    _set_version(repo, "li", "202601")
    found = _findings(repo, date(2026, 12, 5))
    assert found == [("warning", "channel.api-version", "channels.li.version", 30,
                      "li: its LinkedIn-Version 202601 ends in 41 day(s) (2027-01-15); set "
                      "a newer version: on the channel")]


def test_the_default_version_is_checked_too(repo: Path) -> None:
    # No version: set: cmops's own default is what would stop working.
    found = _findings(repo, date(2027, 10, 1))
    assert ("warning", "channels.insta.network") in [(f[0], f[2]) for f in found]
    assert any("cmops's default Graph API version v23.0 ends in 7 day(s)" in f[4]
               and "upgrade cmops" in f[4] for f in found)


def test_an_ended_version_is_an_error_and_fails_validate(repo: Path, run: Runner) -> None:
    _set_version(repo, "insta", "v20.0")
    found = _findings(repo, date(2026, 12, 5))
    assert [(f[0], f[2]) for f in found] == [("error", "channels.insta.version")]
    assert "ended 72 day(s) ago (2026-09-24)" in found[0][4]
    # Through the CLI (today's real date is past v20.0's end too).
    result = run("validate", "--format", "json", root=repo)
    assert result.exit_code == 1
    assert "channel.api-version" in [e["rule"] for e in json_out(result)["errors"]]
    plan = run("plan", root=repo)
    assert "error: insta: its Graph API version v20.0 ended" in plan.stderr


@pytest.mark.parametrize("bad", ["2026-01", "v23", "202613", "23.0"])
def test_a_malformed_version_is_refused_by_the_schema(repo: Path, run: Runner, bad: str
                                                      ) -> None:
    _set_version(repo, "li", bad)
    result = run("validate", "--format", "json", root=repo)
    assert result.exit_code == 1
    errors = json_out(result)["errors"]
    assert any(e["path"] == "channels.li.version" for e in errors), errors


def test_a_graph_version_on_linkedin_is_refused(repo: Path) -> None:
    _set_version(repo, "li", "v23.0")
    found = _findings(repo, date(2026, 12, 5))
    assert found == [("error", "channel.api-version", "channels.li.version", 30,
                      "li: 'v23.0' is not a LinkedIn-Version (like 202603)")]


def _facebook(tmp_path: Path, **settings: str) -> FacebookAdapter:
    return FacebookAdapter(ChannelContext(
        "fb", "facebook", {"network": "facebook", "account": "123", **settings},
        {"page_token": "t"}, tmp_path, Redactor()))


def test_facebook_calls_the_channels_graph_version(tmp_path: Path) -> None:
    adapter = _facebook(tmp_path, version="v25.0")
    try:
        assert adapter.page == "/v25.0/123"
    finally:
        adapter.close()
    default = _facebook(tmp_path)
    try:
        assert default.page == f"/{apiversions.GRAPH.default}/123"
    finally:
        default.close()


def test_the_publisher_refuses_an_ended_or_malformed_version_itself(tmp_path: Path) -> None:
    # Graph would serve an ended version's calls from another one, silently: refused first.
    with pytest.raises(NotConfigured, match=r"fb: its Graph API version v20.0 ended .* "
                                            r"\(2026-09-24\)"):
        _facebook(tmp_path, version="v20.0")
    with pytest.raises(NotConfigured, match="'202603' is not a Graph API version"):
        _facebook(tmp_path, version="202603")
    with pytest.raises(NotConfigured, match="its LinkedIn-Version 202410 ended"):
        LinkedInAdapter(ChannelContext(
            "li", "linkedin", {"network": "linkedin", "account": "urn:li:organization:1",
                               "version": "202410"}, {"token": "t"}, tmp_path, Redactor()))


def test_the_linkedin_fake_answers_426_outside_its_window(tmp_path: Path) -> None:
    with FakeLinkedIn().running() as fake:
        answer = httpx.get(f"{fake.url}/rest/posts", headers={
            "Authorization": f"Bearer {fake.token}", "LinkedIn-Version": "202511",
            "X-Restli-Protocol-Version": "2.0.0"})
        assert answer.status_code == 426
        assert "202511 is not active" in answer.text


def test_instagram_calls_the_channels_version_and_threads_keeps_its_own(tmp_path: Path
                                                                        ) -> None:
    from cmops.adapters.instagram import InstagramAdapter
    from cmops.adapters.threads import ThreadsAdapter

    insta = InstagramAdapter(ChannelContext(
        "ig", "instagram", {"network": "instagram", "account": "17841400000000000",
                            "version": "v24.0"}, {"token": "t"}, tmp_path, Redactor()))
    threads = ThreadsAdapter(ChannelContext(
        "th", "threads", {"network": "threads", "account": "1"}, {"token": "t"}, tmp_path,
        Redactor()))
    try:
        assert insta.account == "/v24.0/17841400000000000"
        assert threads.account == "/v1.0/1"
    finally:
        insta.close()
        threads.close()
    with pytest.raises(NotConfigured, match=r"v19\.0 ended"):
        InstagramAdapter(ChannelContext(
            "ig", "instagram", {"network": "instagram", "account": "1", "version": "v19.0"},
            {"token": "t"}, tmp_path, Redactor()))


def test_the_graph_fake_serves_its_window() -> None:
    from tests.fakes.graph import GRAPH_WINDOW, FakeGraph

    with FakeGraph(account="123").running() as fake:
        newer = httpx.get(f"{fake.url}/v99.0/123/feed", params={"access_token": fake.token})
        assert newer.status_code == 400 and "Unsupported version v99.0" in newer.text
        # Past its end a version is served by the oldest usable one: the silent change the
        # adapters refuse to make (test_the_publisher_refuses_an_ended_or_malformed_version).
        httpx.get(f"{fake.url}/v20.0/123/feed", params={"access_token": fake.token})
        assert fake.defaulted == ["v20.0"]
        assert GRAPH_WINDOW[0] == "v21.0"
