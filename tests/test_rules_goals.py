"""A percent goal written as a fraction warns (campaign.percent-goal, issue 21):
``engagement_rate: 0.1`` is 0.1 %, which any campaign "meets"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import PROJECT, Runner, json_out

from cmops.rules.goals import PERCENT_GOALS, in_words

CAMPAIGN = "id: spring\nname: Spring\nstart: 2027-03-01\nend: 2027-03-31\ngoals:\n"


def goal_warnings(run: Runner, root: Path, goals: str) -> list[tuple[int, str]]:
    (root / "calendar/campaigns/spring.yaml").write_text(CAMPAIGN + goals, "utf-8")
    result = run("validate", "--format", "json", root=root)
    assert result.exit_code == 0
    return [(w["line"], w["message"]) for w in json_out(result)["warnings"]
            if w["rule"] == "campaign.percent-goal"]


def test_the_issues_example(run: Runner, repo: Path) -> None:
    assert goal_warnings(run, repo, "  engagement_rate: 0.1\n") == [
        (6, "0.1 means 0.1 %: write 10 % for ten percent")]


def test_every_percent_goal_and_only_fractions(run: Runner, repo: Path) -> None:
    got = goal_warnings(run, repo, "  engagement_rate: 0.25\n  growth_rate: 0.05\n"
                                   "  comments: 0\n  shares: 1\n")
    assert got == [(6, "0.25 means 0.25 %: write 25 % for twenty-five percent"),
                   (7, "0.05 means 0.05 %: write 5 % for five percent")]
    # whole percents, zero, and a fraction written with its % sign are meant as written
    assert goal_warnings(run, repo, "  engagement_rate: 10\n  growth_rate: '0.5%'\n") == []
    assert goal_warnings(run, repo, "  engagement_rate: 0\n  growth_rate: 1\n") == []


def test_the_rule_knows_every_percent_goal_of_the_schema() -> None:
    schema = json.loads((PROJECT / "src/cmops/schemas/campaign.schema.json").read_text())
    percent = sorted(name for name, spec in schema["properties"]["goals"]["properties"].items()
                     if spec.get("$ref") == "#/$defs/percent")
    assert sorted(PERCENT_GOALS) == percent


@pytest.mark.parametrize(("number", "words"), [
    (10, "ten"), (25, "twenty-five"), (40, "forty"), (100, "a hundred"), (12.5, "12.5")])
def test_in_words(number: float, words: str) -> None:
    assert in_words(number) == words
