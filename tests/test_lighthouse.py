"""Lighthouse on the example site: what a stakeholder's browser makes of the report.

The repository's own calendar/ (with its mkdocs.yml and docs/) is copied to a temporary
folder, its outbox channel publishes once and ``cmops report`` builds the site as of the demo's
moment (scripts/demo); the site is served on 127.0.0.1 and Lighthouse 12.2.3 (npm, installed
by scripts/lighthouse-setup) runs once per page with Debian's Chromium, its requests kept on
127.0.0.1. Each of the dashboard, a month, a campaign and the published log must score at
least 90 for performance and 95 for accessibility (issue 22); a failure lists the audits
that cost points.

Desktop preset, not mobile: the report is read at a desk (a seven-column month grid, wide
tables), and the mobile preset multiplies every task's time by 4 on top of this shared
2-core machine, so its score would follow the machine's load more than the page (measured
once on this site: the month 82 on mobile, 100 on desktop; the dashboard 93 and 99).
benchmarks/lighthouse.py --preset mobile prints the phone's scores.

Lighthouse audits the light scheme only; axe-core (Lighthouse's own copy) also checks that
every text has enough contrast in the dark (slate) scheme.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.browser import (
    Browser,
    Page,
    axe_violations,
    lighthouse,
    lighthouse_missing,
    lost_points,
    scores,
    serve,
    visit,
)
from tests.conftest import PROJECT

from cmops.cli import cli

AT = "2026-11-24T08:00Z"  # scripts/demo's moment, inside the example calendar
PAGES = {
    "dashboard": "report/",
    "month": "report/calendar/2026-11/",
    "campaign": "report/campaigns/winter-lights-2026/",
    "published log": "report/published/",
}
TARGETS = {"performance": 90, "accessibility": 95}
CONTRAST_RULES = ["color-contrast", "link-in-text-block"]
ZENSICAL = os.environ.get("CMOPS_TEST_ZENSICAL")
"""Path to a ``zensical`` executable: build the site with it instead of MkDocs."""


def build_example_site(root: Path) -> Path:
    """The example calendar's site, built in ``root``; returns its folder."""
    root.mkdir(parents=True)
    shutil.copytree(PROJECT / "calendar", root / "calendar")
    shutil.copytree(PROJECT / "docs", root / "docs", ignore=shutil.ignore_patterns("report"))
    shutil.copy(PROJECT / "mkdocs.yml", root / "mkdocs.yml")
    for args in (["publish", "--channel", "newsroom", "--at", AT],
                 ["report", "--at", AT, *(["--no-build"] if ZENSICAL else [])]):
        result = CliRunner().invoke(cli, ["--root", str(root), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    if ZENSICAL:
        subprocess.run([ZENSICAL, "build", "--strict", "--clean", "-f", "mkdocs.yml"],
                       cwd=root, check=True, capture_output=True, timeout=300)
    return root / "site"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    why = lighthouse_missing()
    if why:
        pytest.fail(why, pytrace=False)
    site = build_example_site(tmp_path_factory.mktemp("lighthouse") / "repo")
    for path in PAGES.values():
        assert (site / path / "index.html").is_file(), path
    with serve(site) as url:
        yield url


@pytest.mark.parametrize("page", list(PAGES))
def test_lighthouse_scores_on_the_example_site(base_url: str, page: str,
                                               tmp_path: Path) -> None:
    report = lighthouse(base_url + PAGES[page], tmp_path / "lighthouse.json")
    got = scores(report)
    assert set(got) == set(TARGETS)
    low = [f"{name} {got[name]} < {target}: " + "\n  ".join(["", *lost_points(report, name)])
           for name, target in TARGETS.items() if got[name] < target]
    assert not low, f"{page} ({PAGES[page]}): " + "\n".join(low)
    # The search dialog has a name (docs/assets/search-label.js under MkDocs; Zensical's own).
    assert report["audits"]["aria-dialog-name"]["score"] == 1


@pytest.fixture(scope="module")
def tab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    browser = Browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        page = browser.new_page()
        yield page
        page.ws.close()
    finally:
        browser.close()


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_every_text_has_enough_contrast_in_both_schemes(base_url: str, tab: Page,
                                                        scheme: str) -> None:
    """WCAG AA: 4.5:1 for text (3:1 when large), and links told from the text around them."""
    found = []
    for path in [*PAGES.values(), "report/posts/2026-11/", "report/analytics/"]:
        visit(tab, base_url, path)
        # What the palette toggle does; then wait for Material's colour transitions to end.
        tab.js(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
        tab.wait_until("document.getAnimations().length === 0")
        assert tab.js("getComputedStyle(document.body).getPropertyValue('--cm-today')"
                      ).strip() == ("#8a4b00" if scheme == "default" else "#ffcc80")
        found += [f"{path}: {line}" for line in axe_violations(tab, CONTRAST_RULES)]
    assert not found, "\n".join(found)
