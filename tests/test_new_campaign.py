"""cmops new campaign (issue 20): the exact file written, checked with the calendar, and
refusals that name the option."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.conftest import Runner, json_out

from cmops.yamlsafe import load_bytes

HEAD = "# yaml-language-server: $schema=../../schemas/campaign.schema.json\n"


def test_new_campaign_writes_every_field(run: Runner, repo: Path) -> None:
    result = run("new", "campaign", "--name", "Lancement: Halo 2", "--start", "2027-04-01",
                 "--end", "2027-04-30", "--owner", "@marketing", "--channel", "news",
                 "--channel", "bsky", "--channel", "news", "--label", "launch",
                 "--utm", "source={network}", "--utm", "medium=social",
                 "--goal", "comments=80", "--goal", "engagement_rate=8%",
                 "--goal", "growth_rate=2.5", "--goal", "shares=0",
                 "--description", "Le Halo 2 arrive.\nPrécommandes le 3 avril.\n", root=repo)
    assert result.exit_code == 0, result.output
    rel = "calendar/campaigns/lancement-halo-2.yaml"
    assert result.stdout == f"Wrote {rel}\n"
    assert (repo / rel).read_text("utf-8") == HEAD + (
        'id: "lancement-halo-2"\n'
        'name: "Lancement: Halo 2"\n'
        'start: "2027-04-01"\n'
        'end: "2027-04-30"\n'
        "description: |\n"
        "  Le Halo 2 arrive.\n"
        "  Précommandes le 3 avril.\n"
        'owner: "@marketing"\n'
        'channels: ["news", "bsky"]\n'
        'labels: ["launch"]\n'
        "utm:\n"
        '  source: "{network}"\n'
        '  medium: "social"\n'
        "goals:\n"
        "  comments: 80\n"
        '  engagement_rate: "8%"\n'
        "  growth_rate: 2.5\n"
        "  shares: 0\n")
    assert load_bytes((repo / rel).read_bytes())["goals"] == {
        "comments": 80, "engagement_rate": "8%", "growth_rate": 2.5, "shares": 0}
    post = run("new", "post", "--channel", "news", "--campaign", "lancement-halo-2", "--at",
               "2027-04-02T09:00", "--text", "C'est parti", root=repo)
    assert post.exit_code == 0, post.output
    assert json_out(run("validate", "--format", "json", root=repo))["ok"] is True


def test_minimal_campaign_and_an_explicit_id(run: Runner, repo: Path) -> None:
    result = run("new", "campaign", "--name", "Été", "--start", "2027-06-01", "--end",
                 "2027-06-01", "--id", "ete-2027", root=repo)
    assert result.exit_code == 0, result.output
    assert (repo / "calendar/campaigns/ete-2027.yaml").read_text("utf-8") == HEAD + (
        'id: "ete-2027"\nname: "Été"\nstart: "2027-06-01"\nend: "2027-06-01"\n')
    again = run("new", "campaign", "--name", "Autre", "--start", "2027-06-01", "--end",
                "2027-06-02", "--id", "ete-2027", root=repo)
    assert again.exit_code == 2
    assert ("a campaign with id ete-2027 exists (calendar/campaigns/ete-2027.yaml); choose "
            "another with --id") in " ".join(again.stderr.split())


def test_dates_outside_the_planned_years_are_refused(run: Runner, repo: Path) -> None:
    result = run("new", "campaign", "--name", "Far", "--start", "2100-12-01", "--end",
                 "2101-01-01", root=repo)
    assert result.exit_code == 2
    assert "'2101-01-01' is outside the years cmops plans in (2000 to 2100)" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("--start", "01/03/2027"), "Invalid value for --start: '01/03/2027' is not a valid date "
     "(YYYY-MM-DD)"),
    (("--end", "2027-02-28"), "Invalid value for --end: 2027-02-28 is before --start "
     "2027-03-01"),
    (("--goal", "likes=3"), "Invalid value for --goal: 'likes=3': write KEY=VALUE with KEY "
     "one of engagement_rate, comments, shares, dm_replies, growth_rate"),
    (("--goal", "comments=ten"), "Invalid value for --goal: comments=ten: give a whole "
     "number, e.g. comments=50"),
    (("--goal", "comments=-1"), "comments=-1: give a whole number"),
    (("--goal", "engagement_rate=lots"), "engagement_rate=lots: give a percentage, e.g. "
     "engagement_rate=10, engagement_rate=2.5 or engagement_rate=10%"),
    (("--goal", "shares=1", "--goal", "shares=2"), "Invalid value for --goal: shares is "
     "given twice"),
    (("--utm", "source"), "Invalid value for --utm: 'source': write KEY=VALUE with KEY one "
     "of source, medium, campaign, content"),
    (("--utm", "medium="), "Invalid value for --utm: give some text"),
    (("--channel", "fax"), "Invalid value for --channel: unknown channel(s): fax"),
    (("--id", "../../x"), "Invalid value for --id: id '../../x' is not allowed"),
    (("--name", " "), "Invalid value for --name: give some text"),
])
def test_refusals_name_the_option(run: Runner, repo: Path, args: tuple[str, ...],
                                  message: str) -> None:
    defaults = {"--name": "Spring again", "--start": "2027-03-01", "--end": "2027-03-31"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    argv = [*args] + [x for key, value in defaults.items() if key not in given
                      for x in (key, value)]
    result = run("new", "campaign", *argv, root=repo)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split()), result.stderr
    assert sorted(p.name for p in (repo / "calendar/campaigns").iterdir()) == ["spring.yaml"]


def test_help_prints_the_example_as_written(run: Runner) -> None:
    result = run("new", "campaign", "--help")
    assert ("      cmops new campaign --name \"Spring launch\" --start 2027-03-01 --end "
            "2027-03-31 \\\n"
            "          --id spring-launch-2027 --owner @marketing --channel newsroom \\\n"
            "          --label launch --utm \"source={network}\" --utm medium=social \\\n"
            "          --goal comments=80 --goal engagement_rate=8% \\\n") in result.stdout
    options = re.findall(r"^  (--[a-z-]+)", result.stdout, re.M)
    assert options == ["--name", "--start", "--end", "--id", "--description", "--owner",
                       "--channel", "--label", "--utm", "--goal"]


def test_a_name_without_ascii_letters_gets_a_campaign_id(run: Runner, repo: Path) -> None:
    result = run("new", "campaign", "--name", "春の新作", "--start", "2027-04-01", "--end",
                 "2027-04-30", root=repo)
    assert result.stdout == "Wrote calendar/campaigns/campaign.yaml\n"
