"""The stakeholder site, built for real and read in real headless Chromium.

``cmops report`` builds the site (``mkdocs build --strict``) from the example calendar, a
hostile post and campaign, a fixture ledger, snapshots and an inbox (see
``tests.test_report.make_content``). The site is served on 127.0.0.1 by ``http.server``;
Debian's Chromium opens it and is driven over the Chrome DevTools Protocol, spoken here with
a small WebSocket client on the standard library (no browser download, no new dependency).

Every page visit also checks that nothing ran from content (an ``alert``/``confirm``/
``prompt`` hook and a ``window.__xss`` flag the hostile strings would set), that no request
left 127.0.0.1, and that the console has no error. Screenshots of the dashboard, a month and
a campaign are saved under ``build/site-screenshots/`` for review (not committed).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.browser import Browser, Page, Quiet, chromium_missing, serve, texts, visit
from tests.conftest import PROJECT
from tests.report_content import AT, EVIL_AUTHOR, HOSTILE_NAME, HOSTILE_TEXT, XSS, make_content

from cmops.cli import cli

# -- fixtures -------------------------------------------------------------------------------------


ZENSICAL = os.environ.get("CMOPS_TEST_ZENSICAL")
"""Path to a ``zensical`` executable: build the site with it instead of MkDocs (the pages
are plain files, so the same tests must pass; not part of the default run)."""


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_content(tmp_path_factory.mktemp("site") / "content")
    started = time.monotonic()
    args = ["--root", str(root), "report", "--at", AT] + (["--no-build"] if ZENSICAL else [])
    result = CliRunner().invoke(cli, args, catch_exceptions=False, standalone_mode=True)
    assert result.exit_code == 0, result.output
    if ZENSICAL:
        subprocess.run([ZENSICAL, "build", "--strict", "--clean", "-f", "mkdocs.yml"],
                       cwd=root, check=True, capture_output=True, timeout=300)
    assert time.monotonic() - started < 60
    return root


@pytest.fixture(scope="module")
def base_url(content: Path) -> Iterator[str]:
    with serve(content / "site") as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    why = chromium_missing()
    if why:
        pytest.fail(why, pytrace=False)
    running = Browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def tab(browser: Browser) -> Iterator[Page]:
    page = browser.new_page()
    try:
        yield page
    finally:
        page.ws.close()


# -- what a stakeholder sees ---------------------------------------------------------------------


def test_dashboard_shows_this_weeks_posts_pause_and_attention(tab: Page, base_url: str) -> None:
    visit(tab, base_url, "report/", screenshot="dashboard")
    assert tab.js("document.title") == "Report - cmops"
    banner = texts(tab, ".cm-pause")
    assert banner == ["Publishing is paused Recall: <b>hold</b> {{ config }} since "
                      "Tue 24 Nov 2026, 08:30 · by @camille · channels: x-main"]
    weeks = tab.js("[...document.querySelectorAll('.cm-week-list')].map(s => "
                   "[...s.querySelectorAll('.cm-chip')].map(c => c.dataset.post))")
    assert weeks == [["night-riding-tips", "hostile-corpus", "halo-product-photo"],
                     ["repair-cafe-tour"]]
    assert texts(tab, ".cm-agenda-day.cm-today h3") == ["Tue 24 Nov"]
    attention = texts(tab, ".cm-attention tbody tr td:nth-child(2)")
    assert attention == ["night-riding-tips", "summer-teaser (no longer in the calendar)"]
    assert texts(tab, ".cm-kpi .cm-kpi-value") == ["2", "1", "2", "1,550"]


def test_month_grid_has_the_posts_on_their_days(tab: Page, base_url: str) -> None:
    visit(tab, base_url, "report/calendar/2026-11/", screenshot="month")
    grid = tab.js("Object.fromEntries([...document.querySelectorAll('table.cm-month td')]"
                  ".map(td => [td.dataset.date, [...td.querySelectorAll('.cm-chip')]"
                  ".map(c => c.dataset.post)]).filter(([d, posts]) => posts.length))")
    assert grid == {"2026-11-24": ["night-riding-tips"], "2026-11-25": ["hostile-corpus"],
                    "2026-11-26": ["halo-product-photo"], "2026-12-02": ["repair-cafe-tour"]}
    assert tab.js("document.querySelectorAll('table.cm-month tbody tr').length") == 6
    assert texts(tab, "table.cm-month thead th") == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
                                                     "Sun"]
    colours = tab.js("[...document.querySelectorAll('td[data-date=\"2026-11-26\"] .cm-dot')]"
                     ".map(d => getComputedStyle(d).borderTopColor)")
    assert colours == ["rgb(17, 133, 254)", "rgb(10, 102, 194)", "rgb(99, 100, 255)",
                       "rgb(106, 27, 154)"]
    # Following a chip leads to the post's detail.
    tab.js("document.querySelector('td[data-date=\"2026-11-26\"] a.cm-chip').click()")
    tab.wait_for("Page.frameNavigated")
    assert tab.wait_until("document.readyState === 'complete' && "
                          "location.pathname === '/report/posts/2026-11/' && "
                          "location.pathname + location.hash") == \
        "/report/posts/2026-11/#p-halo-product-photo"


def test_post_detail_shows_text_per_network_media_and_alt_text(tab: Page,
                                                                base_url: str) -> None:
    visit(tab, base_url, "report/posts/2026-11/#p-halo-product-photo")
    post = "#p-halo-product-photo"
    renders = tab.js(f"[...document.querySelectorAll('{post} .cm-render')].map(r => ["
                     "[...r.querySelectorAll('h3 .cm-channel')].map(c => c.textContent),"
                     "r.querySelector('.cm-text').textContent])")
    by_channel = {channel: text for channels, text in renders for channel in channels}
    assert by_channel["linkedin-page"].startswith("Le Lumen Halo est conçu et assemblé à Lyon")
    assert by_channel["bluesky-main"].startswith("Voici le Lumen Halo : 80 g, 12 h")
    query = (f"[...document.querySelectorAll('{post} figure.cm-media img')]"
             ".map(i => [i.alt, i.naturalWidth > 0, i.complete])")
    # Lazy images load as they near the view: wait until every one has loaded, on a loaded
    # machine, rather than sample once.
    with contextlib.suppress(TimeoutError):
        tab.wait_until(f"(imgs => imgs.length && imgs.every(i => i[1] && i[2]))({query})")
    images = tab.js(query)
    alt = ("Un feu arrière rond et rouge, le Lumen Halo, fixé sous la selle d'un vélo de "
           "ville, allumé dans la pénombre.")
    assert images and all(i == [alt, True, True] for i in images)
    assert texts(tab, f"{post} figcaption")[0] == f"Alt text: {alt}"
    assert texts(tab, f"{post} .cm-occurrences li") == [
        "Thu 26 Nov 2026, 17:00 scheduled bluesky-main, linkedin-page, mastodon-main, "
        "Newsroom feed"]
    # with the photo, Bluesky, Mastodon and LinkedIn get the link in the text (issue 16), each
    # tagged for its network, so each channel shows its own text
    tagged = "https://lumen-velo.example/halo?utm_source={}&utm_medium=social&utm_campaign=" \
             "winter-lights-2026"
    assert by_channel["bluesky-main"].endswith(tagged.format("bluesky"))
    assert by_channel["Newsroom feed"].endswith("tournevis.\n")  # the outbox keeps the card
    assert texts(tab, f"{post} .cm-link") == [
        f"Link: {tagged.format(n)}" for n in ("bluesky", "linkedin", "mastodon", "outbox")]
    night = texts(tab, "#p-night-riding-tips .cm-occurrences li")
    assert night == ["Tue 24 Nov 2026, 08:30 failed mastodon-main · paused x-main · published "
                     "bluesky-main, Newsroom feed live (bluesky-main) · live (Newsroom feed) · "
                     "mastodon-main: HTTP 422: " + XSS[0] + " · bluesky-main: Reach 1,000 · "
                     "Likes 40 · Comments 6 · Shares 14"]
    live = tab.js("[...document.querySelectorAll('#p-night-riding-tips .cm-occurrences a')]"
                  ".map(a => a.href)")
    assert live == ["https://bsky.app/profile/lumen-velo.bsky.social/post/3k1",
                    "https://news.lumen-velo.example/night/1"]


def test_campaign_page_shows_goals_and_timeline(tab: Page, base_url: str) -> None:
    visit(tab, base_url, "report/campaigns/winter-lights-2026/", screenshot="campaign")
    goals = texts(tab, ".cm-goal")
    assert goals == ["Engagement rate 6.0% / 10.0% behind",
                     "Comments 6 / 50 behind · expected by now: 11",
                     "Shares 14 / 30 on track · expected by now: 6",
                     "DM replies 1 / 20 behind · expected by now: 4",
                     "Growth 3.3% / 5.0% on track · expected by now: 1.1%"]
    marks = tab.js("document.querySelectorAll('svg.cm-chart a circle.cm-mark').length")
    assert marks == 16
    width = tab.js("document.querySelector('figure.cm-timeline svg')"
                   ".getBoundingClientRect().width")
    assert width > 500


def test_hostile_text_is_shown_literally_and_runs_nothing(tab: Page, base_url: str) -> None:
    visit(tab, base_url, "report/posts/2026-11/#p-hostile-corpus")
    shown = tab.js("document.querySelector('#p-hostile-corpus .cm-text').textContent")
    assert shown == HOSTILE_TEXT
    assert texts(tab, "#p-hostile-corpus figcaption") == [f"Alt text: {XSS[1]} {XSS[11]}"]
    dom = tab.js("""({
      scripts: [...document.scripts].filter(s => !s.src).map(s => s.textContent)
               .filter(t => t.includes('xss') || t.includes('alert')).length,
      handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes])
               .filter(a => a.name.startsWith('on')).length,
      badLinks: [...document.querySelectorAll('[href],[src],[srcdoc]')]
               .map(e => e.getAttribute('href') || e.getAttribute('src') || 'srcdoc')
               .filter(u => /^\\s*(javascript|vbscript|data):|srcdoc/i.test(u)),
      frames: document.querySelectorAll('iframe, object, embed').length,
    })""")
    assert dom == {"scripts": 0, "handlers": 0, "badLinks": [], "frames": 0}


@pytest.mark.parametrize("path", ["report/", "report/campaigns/", "report/campaigns/"
                                  "hostile-launch/", "report/published/", "report/inbox/",
                                  "report/analytics/"])
def test_hostile_names_and_authors_stay_text(tab: Page, base_url: str, path: str) -> None:
    visit(tab, base_url, path)
    body = tab.js("document.querySelector('article').textContent")
    assert tab.js("document.querySelectorAll('article img[src=x], article svg[onload]')"
                  ".length") == 0
    if "hostile-launch" in path:
        assert texts(tab, "article h1") == [HOSTILE_NAME]
        assert tab.js("document.title") == \
            "Campaign: /title script window. xss 1 /script config Launch - cmops"
    if path == "report/inbox/":
        assert EVIL_AUTHOR in body and "javascript:alert(1)" in body
        assert "my address" not in body
    if path == "report/published/":
        assert "HTTP 422: " + XSS[0] in body


def test_published_log_filters_by_state_without_script(tab: Page, base_url: str) -> None:
    visit(tab, base_url, "report/published/")
    shown = "[...document.querySelectorAll('table.cm-log tbody tr')]" \
            ".filter(r => r.offsetParent !== null).length"
    assert tab.js(shown) == 5
    tab.js("document.querySelector('label[for=cm-f-failed]').click()")
    assert tab.js(shown) == 1
    assert texts(tab, "table.cm-log tbody tr.cm-r-failed td:nth-child(2)") == [
        "night-riding-tips"]
    tab.js("document.querySelector('label[for=cm-f-all]').click()")
    assert tab.js(shown) == 5


def test_analytics_charts_are_drawn_from_snapshots(tab: Page, base_url: str) -> None:
    visit(tab, base_url, "report/analytics/")
    charts = tab.js("[...document.querySelectorAll('svg.cm-chart')].map(s => "
                    "s.getAttribute('aria-label'))")
    assert charts == ["Engagement over time", "Followers", "Best hours", "Top posts"]
    cells = tab.js("[...document.querySelectorAll('rect.cm-heat title')]"
                   ".map(t => t.textContent)")
    assert cells == ["Tue 08h: 6.0% (1)"]


SEARCH_ROOT = ("(document.querySelector('input[data-md-component=search-query]') ? document : "
               "[...document.querySelectorAll('*')].map(e => e.shadowRoot)"
               ".find(r => r && r.querySelector('input[role=combobox]')))")
"""Where the search box and its results are: Material puts them in the page's header; Zensical
draws its own dialog, opened by a button, inside a shadow root."""
SEARCH_RESULTS = ".md-search-result__item, [role=listbox] [role=option]"


def test_search_shows_hostile_text_without_running_it(tab: Page, base_url: str) -> None:
    visit(tab, base_url, "report/")
    tab.js("(document.querySelector('input[data-md-component=search-query]') || "
           "document.querySelector('.md-search__button')).click()")
    tab.wait_until(f"!!{SEARCH_ROOT}")
    tab.js(f"""(() => {{
      const input = {SEARCH_ROOT}.querySelector(
        'input[data-md-component=search-query], input[role=combobox]');
      input.focus(); input.value = 'alert';
      input.dispatchEvent(new Event('input', {{bubbles: true}}));
    }})()""")
    results = f"{SEARCH_ROOT}.querySelectorAll('{SEARCH_RESULTS}')"
    with contextlib.suppress(TimeoutError):
        tab.wait_until(f"{results}.length")
    assert tab.js(f"{results}.length") > 0
    # Whatever the results hold has had its chance to run: every image in them has loaded or
    # failed (an onerror handler would have fired), and the page has painted twice since.
    tab.wait_until(f"[...{results}].flatMap(r => [...r.querySelectorAll('img')])"
                   ".every(i => i.complete)")
    tab.js("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert tab.js("window.__cmops_dialogs") == []
    assert tab.js("typeof window.__xss") == "undefined"


def test_every_link_in_the_report_resolves(content: Path) -> None:
    site = content / "site"
    missing = []
    for page in sorted((site / "report").rglob("*.html")):
        html_text = page.read_text("utf-8")
        for href in re.findall(r'(?:href|src)="([^"]+)"', html_text):
            href = href.replace("&#46;", ".").replace("&#45;", "-").replace("&#35;", "#") \
                .replace("&#95;", "_")
            if href.startswith(("http://", "https://", "#", "mailto:")) or "&#" in href:
                continue
            path = href.split("#")[0]
            target = (page.parent / path).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                missing.append(f"{page.relative_to(site)} -> {href}")
    assert not missing


def test_the_build_ran_without_publishing_secrets(content: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from cmops.cli.report import build_env
    from cmops.validate import load_calendar

    monkeypatch.setenv("MASTODON_TOKEN", "canary-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "canary-gh")
    monkeypatch.setenv("LANG", "C.UTF-8")
    env = build_env(load_calendar(content, use_cache=False)[0])
    assert "MASTODON_TOKEN" not in env and "GITHUB_TOKEN" not in env
    assert env["LANG"] == "C.UTF-8"


# -- the outbox channel's files, served by the site ------------------------------------------


@pytest.fixture(scope="module")
def outbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A repository with one outbox channel and a published post (its text hostile), whose
    site is built for real by ``cmops report`` and served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("outbox-site") / "r"
    (root / "calendar/posts").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "calendar/channels.yaml").write_text(
        "timezone: Europe/Paris\nchannels:\n  news:\n    network: outbox\n", "utf-8")
    (root / "calendar/posts/p.yaml").write_text(
        "id: p\nstatus: ready\nchannels: [news]\npublish_at: 2026-11-24T10:00\n"
        f"text: {json.dumps(XSS[0] + ' hello')}\n", "utf-8")
    (root / "mkdocs.yml").write_text("site_name: Outbox\ntheme:\n  name: material\n"
                                     "  font: false\nextra_css: [assets/report.css]\n",
                                     "utf-8")
    (root / "docs/index.md").write_text("# Outbox\n", "utf-8")
    (root / "docs/assets").mkdir()
    (root / "docs/assets/report.css").write_bytes((PROJECT / "docs/assets/report.css")
                                                  .read_bytes())
    for args in (["publish", "--at", "2026-11-24T10:01+01:00"],
                 ["report", "--at", "2026-11-24T12:00+01:00"]):
        result = CliRunner().invoke(cli, ["--root", str(root), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    handler = functools.partial(Quiet, directory=str(root / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_log_links_the_outbox_file_where_the_site_serves_it(tab: Page,
                                                                outbox_url: str) -> None:
    visit(tab, outbox_url, "report/published/", screenshot="outbox-log")
    hrefs = tab.js("[...document.querySelectorAll('a.cm-outbox')].map(a => a.href)")
    assert len(hrefs) == 1 and hrefs[0].startswith(outbox_url + "report/outbox/news/p-news-p1-")
    with urllib.request.urlopen(hrefs[0], timeout=10) as answer:
        assert answer.status == 200
        message = json.loads(answer.read())
    assert message["text"] == XSS[0] + " hello" and message["channel"] == "news"
    tab.js("document.querySelector('a.cm-outbox').click()")
    tab.wait_for("Page.loadEventFired")
    assert tab.js("location.href") == hrefs[0]
    assert XSS[0] in tab.js("document.body.innerText")  # shown as text, never run
    assert tab.js("typeof window.__xss") == "undefined"
    with urllib.request.urlopen(outbox_url + "report/outbox/news/feed.xml", timeout=10) as feed:
        assert b"&lt;script&gt;" in feed.read()
