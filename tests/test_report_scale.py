"""`cmops report` at scale (issue 22): post details split over pages of bounded size, a search
index of headings rather than every table, a second run that rewrites only what changed, and
the build that passes the report's pages through as HTML (:mod:`cmops.report.build`).

The 10,000-post figures themselves are benchmarks/report.py's; these tests pin the behaviour
on the example content (tests/report_content.py).
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from tests.conftest import Runner
from tests.report_content import AT, make_content
from tests.report_content import generate_site as _generate
from tests.report_content import page_text as _page
from tests.report_content import write_file as _write

from cmops.report import posts
from cmops.report.posts import split
from cmops.report.writer import write_site


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return make_content(tmp_path / "content")


def test_split_keeps_days_together_and_cuts_only_a_day_over_the_budget() -> None:
    d1, d2, d3 = date(2027, 3, 1), date(2027, 3, 2), date(2027, 3, 3)
    days = [d1, d1, d2, d2, d2, d3]
    assert split(days, [10] * 6, 100) == [[0, 1, 2, 3, 4, 5]]
    # day 2 would overflow the first page: it starts the next one, whole
    assert split(days, [10, 10, 30, 10, 10, 10], 50) == [[0, 1], [2, 3, 4], [5]]
    # a day alone over the budget is cut between its posts
    assert split(days, [10, 10, 30, 30, 10, 10], 50) == [[0, 1], [2], [3, 4, 5]]
    assert split(days, [20, 20, 10, 10, 10, 40], 60) == [[0, 1], [2, 3, 4], [5]]
    # a single post over the budget still gets a page of its own
    assert split([d1, d2], [500, 10], 100) == [[0], [1]]
    assert split([], [], 100) == []


def _write_busy_month(content: Path, n: int) -> None:
    for i in range(n):
        _write(content / f"calendar/posts/2026-11/busy-{i:02d}.yaml",
               f"id: busy-{i:02d}\npublish_at: 2026-11-{27 + i % 3}T1{i % 10}:{i:02d}\n"
               f"channels: [newsroom]\nstatus: ready\ntext: Busy {i}\n")


def test_a_busy_month_continues_on_pages_named_for_their_first_day(
        content: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_busy_month(content, 24)
    monkeypatch.setattr(posts, "PAGE_BUDGET", 6_000)
    generated = _generate(content)
    parts = sorted(rel for rel in generated.files if rel.startswith("posts/2026-11"))
    assert parts == ["posts/2026-11-25/index.md", "posts/2026-11-26/index.md",
                     "posts/2026-11-27-2/index.md", "posts/2026-11-27/index.md",
                     "posts/2026-11-28-2/index.md", "posts/2026-11-28/index.md",
                     "posts/2026-11-29-2/index.md", "posts/2026-11-29/index.md",
                     "posts/2026-11/index.md"]
    # Every post of the month is on exactly one page; a page's posts keep to the budget
    # unless it holds a single post.
    where: dict[str, list[str]] = {}
    for rel in parts:
        articles = re.findall(r'<article class="cm-post" id="([^"]+)".*?</article>',
                              _page(generated, rel), re.DOTALL)
        sizes = [len(m.group(0).encode()) for m in re.finditer(
            r'<article class="cm-post".*?</article>', _page(generated, rel), re.DOTALL)]
        assert len(articles) == 1 or sum(sizes) <= 6_000, rel
        for anchor in articles:
            where.setdefault(anchor, []).append(rel)
    busy = {f"p-busy-{i:02d}" for i in range(24)}
    assert busy <= set(where) and all(len(pages) == 1 for pages in where.values())
    # The site model, the chips of the month grid and the data files agree on the page.
    view = generated.site.posts["busy-05"]
    assert view.page == where["p-busy-05"][0] == "posts/2026-11-29/index.md"
    month = _page(generated, "calendar/2026-11/index.md")
    assert 'href="../../posts/2026-11-29/#p-busy-05"' in month
    data = json.loads(generated.files["data/calendar.json"])
    assert {p["id"]: p["page"] for p in data["posts"]}["busy-05"] == view.page
    # A continuation says where it starts and links every part of the month.
    second = html.unescape(_page(generated, "posts/2026-11-28-2/index.md"))
    assert 'title: "Posts — November 2026, from Sat 28 Nov"' in second
    nav = second.split('<p class="cm-monthnav">')[1].split("</p>")[0]
    assert re.findall(r'<a href="([^"]+)"', nav) == [
        "../../calendar/2026-11/", "../2026-11/", "../2026-11-25/", "../2026-11-26/",
        "../2026-11-27/", "../2026-11-27-2/", "../2026-11-28/", "./", "../2026-11-29/",
        "../2026-11-29-2/"]
    assert '<a href="./" aria-current="page">Sat 28 Nov (2)</a>' in nav


def test_search_indexes_headings_post_ids_and_first_lines_not_tables(
        run: Runner, content: Path) -> None:
    result = run("report", "--at", AT, root=content)
    assert result.exit_code == 0, result.output
    index = json.loads((content / "site/search/search_index.json").read_text("utf-8"))
    entries = {e["location"]: e for e in index["docs"]}
    halo = entries["report/posts/2026-11/#t-p-halo-product-photo"]
    assert html.unescape(re.sub(r"<[^>]+>", "", halo["title"])) == (
        "Thu 26 Nov 2026, 17:00 · halo-product-photo · Voici le Lumen Halo : 80 g, 12 h "
        "d'autonomie, rechargeable en USB‑C.")
    assert halo["text"] == ""  # the text per channel, media and states are left out
    assert "report/posts/2026-11/#t-p-hostile-corpus" in entries
    locations = sorted(entries)
    # Month grids, weeks and campaign details repeat what the indexed pages hold.
    assert not [loc for loc in locations if re.match(r"report/calendar/\d{4}-", loc)]
    assert "report/campaigns/" in entries and "report/campaigns/winter-lights-2026/" not in \
        entries
    # The published log is found by its title and counts, not by each of its rows.
    log = entries["report/published/"]
    assert log["title"] == "Published log" and "night-riding-tips" not in log["text"]
    every_text = " ".join(e["text"] for e in index["docs"] if e["location"].startswith("report/"))
    assert "Alt text" not in every_text and "utm_source" not in every_text


def test_a_second_report_rewrites_only_the_pages_that_changed(content: Path) -> None:
    out = content / "docs/report"
    first = write_site(out, _generate(content).files)
    assert first.unchanged == 0
    before = {p.relative_to(out).as_posix(): p.stat().st_mtime_ns
              for p in out.rglob("*") if p.is_file()}
    post = content / "calendar/posts/2026-12/repair-cafe-tour.yaml"
    post.write_text(post.read_text("utf-8").replace("🔧 Tournée", "🔧 Nouvelle tournée"), "utf-8")
    second = write_site(out, _generate(content).files)
    # The post's details; the pages that show its excerpt (the two month grids that show
    # 2 December, its week, its campaign's results, the dashboard's next week); the data
    # files: nothing else is written again.
    assert second.changed == [
        "calendar/2026-11/index.md", "calendar/2026-12/index.md", "calendar/2026-W49/index.md",
        "campaigns/winter-lights-2026/index.md", "data/calendar.ics", "data/calendar.json",
        "index.md", "posts/2026-12/index.md"]
    assert second.removed == []
    after = {p.relative_to(out).as_posix(): p.stat().st_mtime_ns
             for p in out.rglob("*") if p.is_file()}
    kept = [rel for rel in before if rel not in second.changed]  # the marker file too
    assert len(kept) > 15 and all(after[rel] == before[rel] for rel in kept)


def _build(content: Path, *module: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", *module], cwd=content, env=env, text=True,
                          capture_output=True, timeout=300, check=False)


def test_the_report_build_gives_the_same_site_as_mkdocs_build(run: Runner, content: Path
                                                              ) -> None:
    assert run("report", "--at", AT, "--no-build", root=content).exit_code == 0
    plain = _build(content, "mkdocs", "build", "--strict", "-q")
    assert plain.returncode == 0, plain.stderr
    (content / "site").rename(content / "site-mkdocs")
    fast = _build(content, "cmops.report.build", "mkdocs.yml")
    assert fast.returncode == 0, fast.stderr
    built = sorted(p.relative_to(content / "site") for p in (content / "site").rglob("*")
                   if p.is_file())
    assert len(built) > 20
    assert built == sorted(p.relative_to(content / "site-mkdocs")
                           for p in (content / "site-mkdocs").rglob("*") if p.is_file())
    differ = [str(rel) for rel in built
              if (content / "site" / rel).read_bytes() !=
              (content / "site-mkdocs" / rel).read_bytes()]
    assert differ == []


def test_the_report_build_is_strict(content: Path) -> None:
    _write(content / "docs/broken.md", "# Broken\n\n[gone](nowhere.md)\n")
    done = _build(content, "cmops.report.build", "mkdocs.yml")
    assert done.returncode == 1
    assert "nowhere.md" in done.stderr
    assert done.stderr.strip().splitlines()[-1] == \
        "Error: Aborted with 1 warnings in strict mode!"


def _sections(body: str) -> list[tuple[object, ...]]:
    from material.plugins.search.plugin import Parser  # type: ignore[import-untyped]

    parser = Parser()
    parser.feed(body)
    parser.close()
    return [(s.id, s.depth, "".join(s.title), "".join(s.text), s.is_excluded())
            for s in parser.data]


LIGHT_CASES = [
    # emptied: a post's excluded parts, the words inside an attribute's value are no attribute
    ('<h1 id="a">Title</h1><article><h2 id="t">Head <a data-search-exclude>#</a> x</h2>'
     '<p class="m" data-search-exclude>meta <a href="#">link</a></p>\n<ul data-search-exclude>'
     '<li>one<ol><li>two</li></ol></li></ul><span title=" data-search-exclude">kept</span>'
     '<section data-search-exclude><h3>tag</h3><p>text</p></section><p>after</p></article>',
     True),
    # an excluded div holding a div: its skipping ends at the inner </div>, kept whole;
    # the p inside it is emptied only because nothing of p's or div's name is inside
    ('<h1 id="a">T</h1><div data-search-exclude>a<div>b</div>c<p data-search-exclude>d</p>'
     '</div><p>e</p>', True),
    # an inner </div> would end an enclosing excluded div's skipping: that span is kept
    ('<h1 id="a">T</h1><div data-search-exclude>x<span data-search-exclude>y<div>z</div>'
     '</span>w</div><p>v</p>', False),
    # a heading with an id starts a section even inside an excluded element
    ('<h1 id="a">T</h1><div data-search-exclude><h2 id="b">B</h2>text</div><p>c</p>', False),
    # a script elsewhere: the page is left whole
    ('<h1 id="a">T</h1><p data-search-exclude>x</p><script>var a = "<p>";</script>', False),
]


@pytest.mark.parametrize(("body", "lighter"), LIGHT_CASES)
def test_the_search_plugin_is_shown_lighter_pages_that_it_indexes_the_same(
        body: str, lighter: bool) -> None:
    from cmops.report.build import for_search

    light = for_search(body)
    assert _sections(light) == _sections(body)
    assert (len(light) < len(body)) is lighter


def test_the_search_plugin_indexes_the_lighter_report_pages_the_same(content: Path) -> None:
    # The example site's searchable and excluded pages alike; the whole built site is
    # compared with mkdocs build's above.
    from cmops.report.build import MARKER, for_search

    pages = _generate(content).files
    lighter = []
    for rel, data in sorted(pages.items()):
        if rel.endswith(".md"):
            body = data.decode("utf-8").partition(MARKER)[2].strip()
            light = for_search(body)
            assert _sections(light) == _sections(body), rel
            if len(light) < len(body):
                lighter.append(rel)
    assert {"posts/2026-11/index.md", "posts/2026-12/index.md", "published/index.md"} <= \
        set(lighter)
