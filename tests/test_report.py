"""`cmops report`: the escaping, the site model, the pages, the data files and the command.

The browser checks of the built site are in test_site_browser.py; ``make_content``
(tests/report_content.py) builds the content repository both use: the example calendar, a hostile
post and campaign, a fixture ledger, metric snapshots and an inbox.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.conftest import PROJECT, Runner
from tests.report_content import (
    AT,
    EVIL_AUTHOR,
    HOSTILE_NAME,
    HOSTILE_TEXT,
    NOW,
    PRIVATE_DM,
    XSS,
    make_content,
)
from tests.report_content import generate_site as _generate
from tests.report_content import page_text as _page
from tests.report_content import write_file as _write

from cmops.report import generate
from cmops.report.exports import _fold
from cmops.report.html import relative
from cmops.report.labels import Labels
from cmops.report.safe import plain_title, safe_color, safe_link, safe_text, safe_url, slug
from cmops.report.sources import parse_sources
from cmops.report.writer import MARKER, OutputError, read_settings, write_site
from cmops.validate import load_calendar


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return make_content(tmp_path / "content")


# -- safe_text, safe_url ------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [*XSS, "a & b", "<<>>", "x\ny", "tab\there", "émoji 🚲",
                                     "`` ``` ~~~", "* - + 1. > |a|b|", "${x} %(y)s @user"])
def test_safe_text_is_inert_and_shows_the_same_text(payload: str) -> None:
    out = safe_text(payload)
    # Nothing that starts markup, Markdown, Jinja, or a new line survives outside the
    # character references safe_text writes...
    bare = re.sub(r"&#\d+;", "", out)
    assert not re.search(r"[<>\"'`*_{}\[\]~^\\%&:=$\n\r]", bare)
    assert "javascript:" not in out.lower() and "--8<--" not in out
    # ...and a browser shows exactly the original (line breaks as themselves).
    assert html.unescape(out) == payload.replace("\t", " ")


def test_safe_text_replaces_controls_and_bidi_overrides() -> None:
    assert safe_text("a\x00b\x1bc\u202ed\u2066e\x7f") == "a\ufffdb\ufffdc\ufffdd\ufffde\ufffd"
    assert safe_text("x\u2028y\r\nz") == "x&#10;y&#10;z"
    assert safe_text(None) == "" and safe_text(42) == "42"


@pytest.mark.parametrize(("url", "ok"), [
    ("https://example.org/a?b=1#c", True), ("http://127.0.0.1:8000/", True),
    ("javascript:alert(1)", False), ("jAvAsCrIpT:alert(1)", False),
    ("javascript&#58;alert(1)", False), (" https://x.org", False), ("https://x.org/a b", False),
    ("data:text/html,<script>", False), ("vbscript:x", False), ("//evil.example/", False),
    ("https:javascript:alert(1)", False), ("https://x.org/\"onmouseover=1", False),
    ("ftp://x.org/", False), ("https://", False), ("https://x.org/\u202e", False),
])
def test_safe_url_accepts_only_http_links(url: str, ok: bool) -> None:
    assert (safe_url(url) == url) is ok


def test_safe_link_shows_a_refused_url_as_text() -> None:
    assert safe_link("javascript:alert(1)", "live") == \
        'live <span class="cm-unsafe-url">javascript&#58;alert(1)</span>'
    assert safe_link("https://x.org/a_b", "live") == (
        '<a href="https&#58;//x.org/a&#95;b" rel="noopener noreferrer nofollow ugc">'
        "live</a>")


def test_titles_slugs_and_colours_are_restricted() -> None:
    assert plain_title(HOSTILE_NAME) == "/title script window. xss 1 /script config Launch"
    assert plain_title("Winter lights: be seen on the road") == \
        "Winter lights: be seen on the road"
    assert slug("winter-lights-2026") == "winter-lights-2026"
    for value in ("../../etc/passwd", "index", "A B", "é"):
        name = slug(value)
        assert re.fullmatch(r"[a-z0-9-]+", name) and name != value
    assert slug("Index") != slug("index")
    assert safe_color("#1185fe") == "#1185fe"
    assert safe_color("red;background:url(x)") is None


def test_relative_urls_follow_mkdocs_directory_urls() -> None:
    assert relative("index.md", "calendar/2026-11.md") == "calendar/2026-11/"
    assert relative("calendar/2026-11.md", "posts/2026-11.md", "p-a") == \
        "../../posts/2026-11/#p-a"
    assert relative("calendar/index.md", "index.md") == "../"
    assert relative("index.md", "index.md") == "./"
    assert relative("calendar/2026-11.md", "media/x.png") == "../../media/x.png"
    assert relative("calendar/2026-11.md", "posts/2026-11.md", directory_urls=False) == \
        "../posts/2026-11.html"
    assert relative("index.md", "calendar/index.md", directory_urls=False) == \
        "calendar/index.html"


# -- sources -------------------------------------------------------------------------------------


def test_sources_read_valid_files_and_report_bad_ones() -> None:
    good = {"format": 1, "collected_at": "2026-11-24T06:00:00Z", "account": {"followers": 3},
            "posts": [{"key": "p/ch", "likes": 2, "comments": None, "shares": 1,
                       "impressions": 30}]}
    sources = parse_sources({
        "snapshots/2026-11-24/ch.json": json.dumps(good).encode(),
        "snapshots/2026-11-25/ch.json": b"{not json",
        "snapshots/nodate/ch.json": json.dumps(good).encode(),
        "snapshots/2026-11-26/ch.json": json.dumps(
            {**good, "posts": [{"key": "p/ch", "likes": -1}]}).encode(),
        "snapshots/2026-11-27/other.json": json.dumps(good).encode(),
        "inbox/a.json": json.dumps({"format": 1, "items": [
            {"id": "1", "kind": "weird", "text": "hi", "received_at": "2026-11-24T06:00:00"}]
        }).encode(),
    })
    assert sources.snapshot_files == 1
    metrics = sources.latest["p/ch"]
    assert (metrics.interactions, metrics.rate, metrics.comments) == (3, 10.0, None)
    assert [p.followers for p in sources.points] == [3]
    assert sources.bad == [
        "inbox/a.json: received_at has no offset",
        "snapshots/2026-11-25/ch.json: not valid JSON",
        "snapshots/2026-11-26/ch.json: likes is not a count",
        "snapshots/2026-11-27/other.json: post key 'p/ch' is not of channel other",
        "snapshots/nodate/ch.json: the folder is not a date (YYYY-MM-DD)",
    ]


# -- the site ------------------------------------------------------------------------------------


def test_pages_grow_with_months_and_campaigns_not_posts(content: Path) -> None:
    generated = _generate(content)
    assert sorted(rel for rel in generated.files if rel.endswith(".md")) == [
        "analytics/index.md", "calendar/2026-11/index.md", "calendar/2026-12/index.md",
        "calendar/2026-W48/index.md", "calendar/2026-W49/index.md", "calendar/2026-W52/index.md",
        "calendar/index.md", "campaigns/hostile-launch/index.md", "campaigns/index.md",
        "campaigns/spring-launch-2027/index.md", "campaigns/winter-lights-2026/index.md",
        "inbox/index.md", "index.md", "posts/2026-11/index.md", "posts/2026-12/index.md",
        "posts/standby/index.md", "published/2026-11/index.md", "published/index.md"]
    assert sorted(rel for rel in generated.files if not rel.endswith(".md")) == [
        "data/analytics.json", "data/calendar.ics", "data/calendar.json",
        "data/campaigns.json", "data/inbox.json", "data/published.json",
        "media/4b3a554a351264753897.png"]


def test_week_grid_corner_is_an_empty_cell_not_an_empty_header(content: Path) -> None:
    # axe (empty-table-header): a header cell must name its column; the corner names none.
    week = _generate(content).files["calendar/2026-W49/index.md"].decode("utf-8")
    assert '<table class="cm-weekgrid"><thead><tr><td></td><th id="d-2026-11-30"' in week
    assert "<th></th>" not in week


def test_output_is_deterministic(content: Path) -> None:
    assert _generate(content).files == _generate(content).files


def test_hostile_content_never_reaches_a_page_as_markup(content: Path) -> None:
    generated = _generate(content)
    for rel, data in generated.files.items():
        if not rel.endswith((".md", ".json", ".ics")) or rel.startswith("data/"):
            continue
        text = data.decode("utf-8")
        body = text.split("\n---\n", 1)[1]
        lowered = body.lower()
        for needle in ("<script", "<iframe", "onerror=", "onload=", "javascript:", "vbscript:",
                       "data:text", "{{", "{%", "--8<--", "](", "<img src=x"):
            assert needle not in lowered, (rel, needle)
        # No line of content can start Markdown: every non-empty line is cmops's HTML.
        for line in body.splitlines():
            assert not line or line.startswith(("<", "</")), (rel, line[:80])
        title = re.search(r'^title: (".*")$', text, re.MULTILINE)
        assert title and re.fullmatch(r"[\w .,;:!?'’()/\-–—…]*", json.loads(title[1])), rel
    corpus = _page(generated, "posts/2026-11/index.md")
    assert safe_text(HOSTILE_TEXT) in corpus
    assert safe_text(XSS[1] + " " + XSS[11]) in corpus  # the alt text, in alt= and caption


def test_dashboard_shows_pause_attention_and_weeks(content: Path) -> None:
    page = _page(_generate(content), "index.md")
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "Publishing is paused" in text
    assert "Recall: <b>hold</b> {{ config }}" in text
    assert "since Tue 24 Nov 2026, 08:30 · by @camille · channels: x-main" in text
    attention = page.split('class="cm-attention"')[1].split("</section>")[0]
    assert attention.count('<tr class="cm-row') == 2
    assert "cm-r-failed" in attention and "cm-r-needs_human" in attention
    assert "summer-teaser" in html.unescape(attention)
    assert "(no longer in the calendar)" in html.unescape(attention)
    this_week = page.split("This week")[1].split("Next week")[0]
    assert [html.unescape(m) for m in re.findall(r'data-post="([^"]+)"', this_week)] == [
        "night-riding-tips", "hostile-corpus", "halo-product-photo"]
    assert "repair-cafe-tour" in html.unescape(page.split("Next week")[1])


def test_no_pause_banner_when_not_paused(tmp_path: Path) -> None:
    root = make_content(tmp_path / "c", pause=False)
    assert "cm-pause" not in _page(_generate(root), "index.md")


def test_month_grid_places_posts_on_their_local_days(content: Path) -> None:
    page = _page(_generate(content), "calendar/2026-11/index.md")
    grid = page.split('<table class="cm-month">')[1].split("</table>")[0]
    days = {m[0]: [html.unescape(p) for p in re.findall(r'data-post="([^"]+)"', m[1])]
            for m in re.findall(r'data-date="([\d-]+)">(.*?)</td>', grid)}
    assert {d: posts for d, posts in days.items() if posts} == {
        "2026-11-24": ["night-riding-tips"], "2026-11-25": ["hostile-corpus"],
        "2026-11-26": ["halo-product-photo"], "2026-12-02": ["repair-cafe-tour"]}
    assert len(days) == 42  # six weeks, Monday 26 October to Sunday 6 December


def test_campaign_goals_against_collected_metrics(content: Path) -> None:
    generated = _generate(content)
    campaigns = json.loads(generated.files["data/campaigns.json"])["campaigns"]
    winter = next(c for c in campaigns if c["id"] == "winter-lights-2026")
    assert {g["name"]: (g["target"], g["actual"]) for g in winter["goals"]} == {
        "engagement_rate": (10.0, 6.0), "comments": (50.0, 6.0), "shares": (30.0, 14.0),
        "dm_replies": (20.0, 1.0), "growth_rate": (5.0, pytest.approx(100 * 50 / 1500))}
    page = _page(generated, "campaigns/winter-lights-2026/index.md")
    figures = re.findall(r'cm-actual">([^<]*)</span> / <span class="cm-target">([^<]*)<', page)
    assert [(html.unescape(a), html.unescape(t)) for a, t in figures] == [
        ("6.0%", "10.0%"), ("6", "50"), ("14", "30"), ("1", "20"), ("3.3%", "5.0%")]


def test_site_engagement_is_the_kpi_commands(content: Path) -> None:
    """One formula (KPI v1) for stakeholders and for automation: the campaign page's
    engagement rate equals cmops kpi's for the same campaign and data."""
    from click.testing import CliRunner

    from cmops.cli import cli

    campaigns = json.loads(_generate(content).files["data/campaigns.json"])["campaigns"]
    site = next(g["actual"] for c in campaigns if c["id"] == "winter-lights-2026"
                for g in c["goals"] if g["name"] == "engagement_rate")
    result = CliRunner().invoke(cli, ["--root", str(content), "kpi", "--campaign",
                                      "winter-lights-2026", "--format", "json"],
                                catch_exceptions=False, standalone_mode=False)
    data = json.loads(result.stdout)
    scopes = data["scopes"] if isinstance(data, dict) and "scopes" in data else data
    scope = next(s for s in scopes if "winter-lights-2026" in json.dumps(s.get("scope")))
    assert site == pytest.approx(scope["engagement_rate"], abs=0.05)


def test_without_collected_data_nothing_is_made_up(tmp_path: Path) -> None:
    root = make_content(tmp_path / "c", collected=False)
    generated = _generate(root)
    for rel in ("analytics/index.md", "inbox/index.md"):
        page = _page(generated, rel)
        assert "run cmops collect" in html.unescape(page)
        assert "<svg" not in page and "cm-kpi-value" not in page
    assert json.loads(generated.files["data/analytics.json"])["collected"] is False
    winter = _page(generated, "campaigns/winter-lights-2026/index.md")
    assert re.findall(r'cm-actual">([^<]*)<', winter) == ["—"] * 5


def test_inbox_keeps_direct_messages_private(content: Path) -> None:
    generated = _generate(content)
    page = html.unescape(_page(generated, "inbox/index.md"))
    assert PRIVATE_DM not in page and PRIVATE_DM not in generated.files[
        "data/inbox.json"].decode()
    assert EVIL_AUTHOR in page and "Private message" in page
    assert "2h00" in page  # median first response


def test_inbox_lists_saved_replies_escaped(content: Path) -> None:
    _write(content / "calendar/replies/evil.yaml",
           "id: evil\ntitle: '<script>alert(1)</script>'\nkinds: [dm]\n"
           "text: 'Bonjour {name} <img src=x onerror=alert(1)>'\n")
    page = _page(_generate(content), "inbox/index.md")
    assert "Saved replies" in page
    assert "<script>" not in page and "<img" not in page
    text = html.unescape(page)
    assert "Bonjour {name} <img src=x onerror=alert(1)>" in text
    assert "Retard de livraison" in text and "Halo does not charge" in text


def test_published_log_never_hides_failures(content: Path) -> None:
    generated = _generate(content)
    rows = json.loads(generated.files["data/published.json"])["rows"]
    assert [(r["key"], r["state"]) for r in rows] == [
        ("night-riding-tips/bluesky-main", "published"),
        ("night-riding-tips/mastodon-main", "failed"),
        ("night-riding-tips/newsroom", "published"),
        ("summer-teaser/bluesky-main", "needs_human"),
        ("old-post/x-main", "published")]
    page = _page(generated, "published/index.md")
    assert page.count('<tr class="cm-row') == 5
    assert 'id="cm-f-failed"' in page and 'id="cm-f-needs_human"' in page
    assert "javascript&#58;alert(1)" in page and 'href="javascript' not in page


def test_ics_has_one_event_per_post_and_channel(content: Path) -> None:
    raw = _generate(content).files["data/calendar.ics"].decode("utf-8")
    assert raw.endswith("\r\n") and all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    unfolded = raw.replace("\r\n ", "").split("\r\n")
    events: list[dict[str, str]] = []
    for line in unfolded:
        if line == "BEGIN:VEVENT":
            events.append({})
        elif events and ":" in line and line != "END:VEVENT":
            name, _, value = line.partition(":")
            events[-1][name] = value
    starts = sorted((e["DTSTART"], e["SUMMARY"].split("]")[0][1:]) for e in events
                    if "night-riding" in e["DESCRIPTION"])
    assert starts == [("20261124T073000Z", "Newsroom feed"), ("20261124T073000Z", "bluesky-main"),
                      ("20261124T073000Z", "mastodon-main"), ("20261124T073000Z", "x-main")]
    assert len(events) == 4 + 4 + 4 + 4 + 1  # four posts on four channels, the hostile one
    assert len({e["UID"] for e in events}) == len(events)
    again = _generate(content, datetime(2026, 11, 25, tzinfo=UTC)).files["data/calendar.ics"]
    assert {e.split("\r\n")[0] for e in again.decode().split("UID:")[1:]} == \
        {e["UID"] for e in events}


def test_ics_parses_with_a_real_icalendar_library(content: Path) -> None:
    import icalendar

    raw = _generate(content).files["data/calendar.ics"]
    calendar = icalendar.Calendar.from_ical(raw)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 17
    night = sorted((e.decoded("DTSTART").isoformat(), str(e.get("SUMMARY")))
                   for e in events if "night-riding" in str(e.get("DESCRIPTION")))
    assert [start for start, _ in night] == ["2026-11-24T07:30:00+00:00"] * 4
    assert all(summary.startswith("[") for _, summary in night)
    assert len({str(e.get("UID")) for e in events}) == 17


def test_ics_folds_without_splitting_characters() -> None:
    folded = _fold("SUMMARY:" + "é" * 100)
    assert all(len(line.encode()) <= 75 for line in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "SUMMARY:" + "é" * 100


def test_french_labels_dates_and_numbers() -> None:
    fr = Labels("fr")
    assert fr("calendar") == "Calendrier" and fr.state("failed") == "échec"
    assert fr.day(datetime(2026, 11, 24).date()) == "mar. 24 nov."
    assert fr.number(12345.5, 1) == "12\u202f345,5" and fr.percent(6) == "6,0\u202f%"
    assert Labels("de")("calendar") == "Calendar"


def test_settings_are_read_from_mkdocs_yml_with_python_tags(tmp_path: Path) -> None:
    settings = read_settings(PROJECT / "mkdocs.yml")
    assert (settings.lang, settings.directory_urls, settings.docs_dir) == ("en", True, "docs")
    (tmp_path / "m.yml").write_text("theme: {language: fr}\nuse_directory_urls: false\n"
                                    "x: !!python/name:os.system\n")
    assert read_settings(tmp_path / "m.yml").lang == "fr"
    assert read_settings(tmp_path / "m.yml").directory_urls is False


# -- writing -------------------------------------------------------------------------------------


def test_write_site_replaces_changed_files_and_removes_stale_ones(tmp_path: Path) -> None:
    out = tmp_path / "report"
    first = write_site(out, {"index.md": b"a", "calendar/2026-11.md": b"b"})
    assert sorted(first.changed) == ["calendar/2026-11.md", "index.md"]
    second = write_site(out, {"index.md": b"a", "calendar/2026-12.md": b"c"})
    assert second.changed == ["calendar/2026-12.md"] and second.unchanged == 1
    assert second.removed == ["calendar/2026-11.md"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        MARKER, "calendar", "calendar/2026-12.md", "index.md"]
    with pytest.raises(ValueError, match="outside"):
        write_site(out, {"../escape.md": b"x"})


def test_write_site_refuses_a_folder_it_does_not_own(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/index.md").write_text("precious")
    with pytest.raises(OutputError, match="did not write"):
        write_site(tmp_path / "docs", {"index.md": b"x"})
    assert (tmp_path / "docs/index.md").read_text() == "precious"


# -- mkdocs.yml --------------------------------------------------------------------------------


def test_every_nav_entry_but_the_report_exists() -> None:
    """mkdocs.yml lets a missing nav page pass (so the docs build before cmops report has
    run); this test keeps every other entry honest."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    config = yaml.load((PROJECT / "mkdocs.yml").read_text(), Loader=Loader)

    def pages(node: Any) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, list):
            return [p for item in node for p in pages(item)]
        if isinstance(node, dict):
            return [p for value in node.values() for p in pages(value)]
        return []

    entries = pages(config["nav"])
    assert "report/index.md" in entries
    missing = [p for p in entries if not p.startswith("report/")
               and not (PROJECT / "docs" / p).is_file()]
    assert not missing


# -- the command -------------------------------------------------------------------------------


def test_report_command_writes_and_builds(run: Runner, content: Path) -> None:
    result = run("report", "--at", AT, root=content)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"Wrote 18 pages and 7 other files to .*docs/report in [\d.]+ s "
                        r"\(25 changed, 0 removed\)\.", lines[0])
    assert re.fullmatch(r"Built the site in [\d.]+ s: .*site \(open .*site/report/index\.html\)\.",
                        lines[1])
    assert (content / "site/report/calendar/2026-11/index.html").is_file()
    again = run("report", "--at", AT, "--no-build", root=content)
    assert "(0 changed, 0 removed)" in again.stdout


def test_report_command_exit_codes(run: Runner, content: Path, tmp_path: Path) -> None:
    (content / "calendar/posts/2026-11/broken.yaml").write_text("id: broken\nstatus: nope\n")
    result = run("report", "--at", AT, "--no-build", root=content)
    assert result.exit_code == 1
    assert "validation error" in html.unescape(
        (content / "docs/report/index.md").read_text())
    bad = run("report", "--at", "yesterday", root=content)
    assert bad.exit_code == 2
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine/notes.md").write_text("keep")
    refused = run("report", "--out", str(tmp_path / "mine"), "--no-build", root=content)
    assert refused.exit_code == 2 and "did not write" in refused.output
    (content / "mkdocs.yml").unlink()
    assert run("report", "--at", AT, root=content).exit_code == 2


def test_pages_in_french(content: Path) -> None:
    from cmops.report.sources import read_dir
    from cmops.stores.local import LocalStore

    calendar, _ = load_calendar(content, use_cache=False)
    state = content / ".cmops/state"
    generated = generate(content, calendar, LocalStore(state).load(), read_dir(state), NOW,
                         lang="fr")
    page = html.unescape(_page(generated, "index.md"))
    assert "Les publications sont suspendues" in page and "Cette semaine" in page
    assert "mar. 24 nov." in page and "1\u202f550" in page
    month = html.unescape(_page(generated, "calendar/2026-11/index.md"))
    assert "Novembre 2026" in month and "<th>lun.</th>" in month


def _git(cwd: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
                        "HOME": str(cwd), "PATH": "/usr/bin:/bin"})


def test_report_reads_ledger_snapshots_and_inbox_from_the_state_branch(
        run: Runner, content: Path, tmp_path: Path) -> None:
    """CI keeps the ledger on a branch: a real remote, a real branch, nothing mocked."""
    remote = tmp_path / "remote.git"
    _git(tmp_path, "init", "-q", "--bare", str(remote))
    state = tmp_path / "state"
    shutil.copytree(content / ".cmops/state", state)
    shutil.rmtree(content / ".cmops")
    _git(state, "init", "-q", "-b", "cmops-state")
    _git(state, "add", "-A")
    _git(state, "commit", "-q", "-m", "state")
    _git(state, "push", "-q", str(remote), "cmops-state")
    _git(content, "init", "-q")
    _git(content, "remote", "add", "origin", str(remote))
    result = run("report", "--at", AT, "--state-branch", "cmops-state", "--no-build",
                 root=content)
    assert result.exit_code == 0, result.output
    data = content / "docs/report/data"
    assert len(json.loads((data / "published.json").read_text())["rows"]) == 5
    assert json.loads((data / "analytics.json").read_text())["days"] == [
        "2026-11-20", "2026-11-24"]
    assert json.loads((data / "inbox.json").read_text())["collected"] is True


def test_a_minimal_calendar_reports_without_surprises(run: Runner, repo: Path) -> None:
    result = run("report", "--at", AT, "--no-build", root=repo)
    assert result.exit_code == 0, result.output
    report = repo / "docs/report"
    assert (report / "index.md").is_file() and (report / "calendar/2026-11/index.md").is_file()
    assert "run cmops collect" in html.unescape((report / "analytics/index.md").read_text())
    assert "Nothing published, failed or expired yet." in html.unescape(
        (report / "published/index.md").read_text())


def test_a_busy_day_links_to_its_week(content: Path) -> None:
    for i in range(8):
        _write(content / f"calendar/posts/2026-11/busy-{i}.yaml",
               f"id: busy-{i}\npublish_at: 2026-11-27T1{i}:00\nchannels: [newsroom]\n"
               f"status: ready\ntext: Busy {i}\n")
    page = _page(_generate(content), "calendar/2026-11/index.md")
    cell = page.split('data-date="2026-11-27">')[1].split("</td>")[0]
    assert cell.count('class="cm-chip ') == 6
    assert '<li class="cm-more"><a href="../2026-W48/#d-2026-11-27">+2 more</a></li>' in cell
    # The week's page shows all eight, under the day the link opens on.
    week = _page(_generate(content), "calendar/2026-W48/index.md")
    assert '<th id="d-2026-11-27">Fri 27 Nov</th>' in week
    assert week.count('data-post="busy') == 8
    assert 'href="../2026-11/">‹ November 2026</a>' in week
