"""The published log at scale: a month longer than a page is split into pages of at most
LOG_PAGE_ROWS rows, newest first, linked to each other and to the months around it; the log's
front page and the dashboard's attention table stay bounded, urgent rows first.

The site model comes from the report's test content (tests/report_content.py); its log is
then replaced by made-up rows, and the pure page functions run on it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.report_content import generate_site, make_content

from cmops.report.dashboard import ATTENTION_SHOWN, dashboard
from cmops.report.model import LogRow
from cmops.report.results import LOG_PAGE_ROWS, log_pages

PARIS = ZoneInfo("Europe/Paris")
ROW = re.compile(r'<tr class="cm-row cm-r-([a-z_]+)"><td>[^<]*</td><td>(?:<a [^>]*>)?([^<]+)')


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return generate_site(make_content(tmp_path_factory.mktemp("log") / "content")).site


def rows(first: datetime, n: int, state: str = "published", prefix: str = "p") -> list[LogRow]:
    """``n`` rows ten minutes apart going back from ``first``, newest first (the log's
    order)."""
    return [LogRow(f"{prefix}{i:05d}/news", f"{prefix}{i:05d}", "news", "outbox", state,
                   first - timedelta(minutes=10 * i), (f"https://example.org/{i}",), 1)
            for i in range(n)]


def shown(page: str) -> list[tuple[str, str]]:
    return ROW.findall(page)


def links(path: str, page: str) -> set[str]:
    """The report paths (index.md) the page's relative links to the log lead to."""
    base = PurePosixPath(path).parent
    out = set()
    for href in re.findall(r'href="([^"#]+)"', page):
        if href.startswith("http"):
            continue
        parts: list[str] = []
        for part in (base / href).parts:
            if part == "..":
                parts.pop()
            elif part != ".":
                parts.append(part)
        out.add("/".join([*parts, "index.md"]))
    return out


def test_a_long_month_is_split_into_pages_newest_first_each_row_once(site: Any) -> None:
    n = 2 * LOG_PAGE_ROWS + 201
    site.log = rows(datetime(2026, 11, 30, 23, 50, tzinfo=PARIS), n)
    pages = log_pages(site)
    month = [p for p in pages if p.startswith("published/2026-11/")]
    assert sorted(month) == ["published/2026-11/2/index.md", "published/2026-11/3/index.md",
                             "published/2026-11/index.md"]
    order = ["published/2026-11/index.md", "published/2026-11/2/index.md",
             "published/2026-11/3/index.md"]
    ids = [[post for _, post in shown(pages[p])] for p in order]
    assert [len(i) for i in ids] == [LOG_PAGE_ROWS, LOG_PAGE_ROWS, 201]
    # newest first, each row once
    assert [post for page in ids for post in page] == [f"p{i:05d}" for i in range(n)]
    second = pages["published/2026-11/2/index.md"]
    assert 'title: "Published log — November 2026 (2/3)"' in second
    assert "search:\n  exclude: true" in second  # only the month's first page is indexed
    assert "search:" not in pages["published/2026-11/index.md"].split("---")[1]
    # every page of the month links to the others and to the log's front page
    for path in order:
        assert set(order) - {path} | {"published/index.md"} <= links(path, pages[path])
    assert '<strong aria-current="page">Fri 27 Nov – Tue 24 Nov</strong>' in second
    assert 'rel="prev">‹ Newer</a>' in second and 'rel="next">Older ›</a>' in second
    # the month's counts are the month's on each of its pages
    assert all('data-scope="month:2026-11"' in pages[p] for p in order)


def test_a_month_of_one_page_has_no_pager_and_links_the_months_around_it(site: Any) -> None:
    site.log = rows(datetime(2026, 12, 2, 9, tzinfo=PARIS), 3) + \
        rows(datetime(2026, 11, 5, 9, tzinfo=PARIS), 3, prefix="n") + \
        rows(datetime(2026, 10, 5, 9, tzinfo=PARIS), 3, prefix="o")
    pages = log_pages(site)
    november = pages["published/2026-11/index.md"]
    assert "cm-pages" not in november and "/2/" not in november
    assert links("published/2026-11/index.md", november) >= {
        "published/index.md", "published/2026-10/index.md", "published/2026-12/index.md"}
    assert "‹ Previous month" in november and "Next month ›" in november
    front = pages["published/index.md"]
    assert re.findall(r'<li><a href="([^"]+)">', front) == ["2026-12/", "2026-11/",
                                                            "2026-10/"]


def test_the_front_page_keeps_the_latest_rows_and_every_failure_first(site: Any) -> None:
    now = site.now
    recent = rows(now - timedelta(minutes=1), LOG_PAGE_ROWS + 40)  # all in the last 30 days
    old_failures = [replace(r, state="failed", error="HTTP 422")
                    for r in rows(now - timedelta(days=90), 3, prefix="f")]
    site.log = recent + old_failures
    front = log_pages(site)["published/index.md"]
    got = shown(front)
    assert len(got) == LOG_PAGE_ROWS
    assert got[-3:] == [("failed", "f00000"), ("failed", "f00001"), ("failed", "f00002")]
    assert [post for _, post in got[:-3]] == [f"p{i:05d}" for i in range(LOG_PAGE_ROWS - 3)]
    assert "The 500 most recent of 543 rows" in front


def test_the_dashboard_shows_at_most_so_many_rows_needing_attention(site: Any) -> None:
    now = site.now
    expired = [replace(r, state="expired") for r in rows(now - timedelta(hours=1), 150)]
    failed = [replace(r, state="failed") for r in rows(now - timedelta(days=60), 5,
                                                        prefix="f")]
    site.log = expired + failed
    page = dashboard(site)
    attention = page.split('class="cm-attention"', 1)[1].split("</section>", 1)[0]
    got = shown(attention)
    assert len(got) == ATTENTION_SHOWN
    assert got[-5:] == [("failed", f"f{i:05d}") for i in range(5)]  # kept, in the log's order
    assert '<a href="published/">+55 more</a>' in attention


def test_a_generated_year_of_log_pages_stays_under_the_page_limit(site: Any) -> None:
    """Two thousand rows a month (the 10,000-post year's): no generated page of the log
    over 300 KB, a third of the 500 KB budget left for the theme around it."""
    site.log = rows(datetime(2026, 11, 24, 7, tzinfo=PARIS), 2_200)
    pages = log_pages(site)
    assert len(pages) == 1 + 5  # the front page and five pages of the busy month
    assert max(len(p.encode()) for p in pages.values()) < 300_000


def test_the_example_log_keeps_one_page_per_month(tmp_path: Path) -> None:
    generated = generate_site(make_content(tmp_path / "content"))
    assert sorted(p for p in generated.files if p.startswith("published/")) == [
        "published/2026-11/index.md", "published/index.md"]
