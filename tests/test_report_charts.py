"""Chart axes (issue 21): a count axis reads whole numbers one step apart (never 1, 1, 0, 0,
0), a rate axis keeps its fractions; the inbox page knows ``cmops collect`` has run even when
no message has arrived yet; a goal says its status and what was expected by now."""

from __future__ import annotations

import html
import itertools
import json
import re
from datetime import date
from pathlib import Path

import pytest
from tests.report_content import generate_site, make_content, page_text

from cmops.report.charts import bar_chart, line_chart, ticks
from cmops.report.labels import Labels

FR = Labels("fr")


def y_axis(svg: str) -> list[str]:
    return [html.unescape(t) for t in
            re.findall(r'<text class="cm-axis" x="[\d.]+" y="[\d.]+" text-anchor="end">([^<]*)'
                       r"</text>", svg)]


@pytest.mark.parametrize(("high", "expected"), [
    (0, [0, 1]), (1, [0, 1]), (3, [0, 1, 2, 3]), (5, [0, 1, 2, 3, 4, 5]),
    (7, [0, 2, 4, 6, 8]), (37, [0, 10, 20, 30, 40]), (184, [0, 50, 100, 150, 200]),
    (1234, [0, 500, 1000, 1500])])
def test_count_ticks_are_whole_and_distinct(high: int, expected: list[int]) -> None:
    assert ticks(0, high, integer=True) == [float(v) for v in expected]


def test_a_bar_chart_of_one_interaction_reads_0_and_1() -> None:
    svg = bar_chart([("W47", 1.0, "1"), ("W48", 0.0, "0"), ("W49", 0.0, "0")], "x",
                    FR.number)
    assert y_axis(svg) == ["0", "1"]


def test_a_rate_axis_keeps_fractions() -> None:
    svg = bar_chart([("a", 0.5, ""), ("b", 0.25, "")], "x", lambda v: f"{v:.2f}")
    assert y_axis(svg) == ["0.00", "0.25", "0.50", "0.75", "1.00"]


def test_a_follower_line_starts_near_its_values_in_whole_steps() -> None:
    svg = line_chart([("m", "#000000", [(date(2026, 11, 20), 1000.0),
                                        (date(2026, 11, 24), 1030.0)])], "f", FR.number)
    axis = [int(v.replace("\u202f", "")) for v in y_axis(svg)]
    assert axis == sorted(set(axis)) and axis[0] <= 1000 and axis[-1] >= 1030
    assert len(axis) <= 6 and len({b - a for a, b in itertools.pairwise(axis)}) == 1


def test_the_inbox_page_after_a_collect_without_messages(tmp_path: Path) -> None:
    root = make_content(tmp_path / "c")
    (root / ".cmops/state/inbox/2026-11-24.json").unlink()
    page = html.unescape(page_text(generate_site(root), "inbox/index.md"))
    assert "run cmops collect" not in page
    assert "Every message has an answer." in page
    generated = generate_site(root)
    assert json.loads(generated.files["data/inbox.json"])["collected"] is True


def test_goals_say_their_status_and_what_was_expected(tmp_path: Path) -> None:
    root = make_content(tmp_path / "c")
    page = html.unescape(page_text(generate_site(root), "campaigns/winter-lights-2026/index.md"))
    statuses = re.findall(r'<div class="cm-goal-status cm-g-([a-z-]+)">([^<]*)</div>', page)
    # Engagement rate, comments, shares, DM replies, growth (the same as cmops kpi's).
    assert statuses == [("behind", "behind"), ("behind", "behind · expected by now: 11"),
                        ("on-track", "on track · expected by now: 6"),
                        ("behind", "behind · expected by now: 4"),
                        ("on-track", "on track · expected by now: 1.1%")]
