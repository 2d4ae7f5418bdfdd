"""calendar/rules.yaml: the team's policy as failing checks, with file:line and clear words."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Runner, json_out

POLICY = """\
quiet_hours:
  - from: "22:00"
    to: "07:00"
    channels: [masto]
  - from: "12:00"
    to: "14:00"
    days: [sat, sun]
blackouts:
  - from: 2026-12-24
    to: 2026-12-26
    reason: Christmas
min_spacing:
  default: 1h
max_per_day:
  masto: 2
banned_words: [cheap, "best ever"]
require_utm: true
no_link_in_x_main_post: true
warn_only: [governance.min-spacing]
"""


def write(root: Path, name: str, body: str) -> None:
    (root / "calendar/posts" / f"{name}.yaml").write_text(body, "utf-8")


def problems(run: Runner, root: Path) -> list[tuple[str, int, int, str, str]]:
    data = json_out(run("validate", "--format", "json", root=root))
    return sorted((e["file"].rsplit("/", 1)[1], e["line"], e["column"], e["rule"],
                   e["message"]) for e in data["errors"] + data["warnings"]
                  if e["rule"].startswith("governance."))


def test_each_policy_rule_names_the_line(run: Runner, repo: Path) -> None:
    (repo / "calendar/rules.yaml").write_text(POLICY, "utf-8")
    write(repo, "night", "id: night\nstatus: ready\nchannels: [masto, news]\n"
          "publish_at: 2026-12-25T23:30\ntext: So CHEAP\n")
    write(repo, "weekend", "id: weekend\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2026-11-28T12:30\ntext: Saturday lunch\n")
    write(repo, "x", "id: x\nstatus: ready\nchannels: [xch]\npublish_at: 2026-12-01T10:00\n"
          "text: See https://example.org/a\n")
    got = problems(run, repo)
    assert got == [
        ("night.yaml", 4, 13, "governance.blackout",
         "2026-12-25 on masto is in the blackout 2026-12-24 to 2026-12-26: Christmas"),
        ("night.yaml", 4, 13, "governance.blackout",
         "2026-12-25 on news is in the blackout 2026-12-24 to 2026-12-26: Christmas"),
        ("night.yaml", 4, 13, "governance.quiet-hours",
         "23:30 on masto is inside the quiet hours 22:00–07:00 (calendar/rules.yaml)"),
        ("night.yaml", 5, 7, "governance.banned-word",
         "'CHEAP' is a banned word or phrase (calendar/rules.yaml)"),
        ("weekend.yaml", 4, 13, "governance.quiet-hours",
         "12:30 on news is inside the quiet hours 12:00–14:00 (calendar/rules.yaml)"),
        ("x.yaml", 5, 7, "governance.x-link",
         "the first post on xch has a link; calendar/rules.yaml wants links in a reply (add "
         "a thread part or an x variant)"),
    ]


def test_spacing_and_daily_cap_compare_posts_on_one_channel(run: Runner, repo: Path) -> None:
    (repo / "calendar/rules.yaml").write_text(POLICY, "utf-8")
    for n, time in enumerate(("09:00", "09:30", "12:00")):
        write(repo, f"p{n}", f"id: p{n}\nstatus: ready\nchannels: [masto]\n"
              f"publish_at: 2099-12-01T{time}\ntext: Post {n}\n")
    result = run("validate", "--format", "json", root=repo)
    assert result.exit_code == 1
    warnings = [(w["file"], w["rule"], w["message"]) for w in json_out(result)["warnings"]]
    assert warnings == [("calendar/posts/p1.yaml", "governance.min-spacing",
                         "30 min after p0 on masto; calendar/rules.yaml wants at least 1h "
                         "between posts")]
    errors = [(e["file"], e["rule"], e["message"]) for e in json_out(result)["errors"]]
    assert errors == [("calendar/posts/p2.yaml", "governance.max-per-day",
                       "post 3 on masto on 2099-12-01; calendar/rules.yaml allows 2 a day")]


def test_utm_required_on_campaign_links(run: Runner, repo: Path) -> None:
    (repo / "calendar/rules.yaml").write_text("require_utm: true\n", "utf-8")
    write(repo, "c", "id: c\nstatus: ready\nchannels: [news]\ncampaign: spring\n"
          "publish_at: 2027-03-02T10:00\ntext: Read https://example.org/spring\n")
    got = problems(run, repo)
    assert got == [("c.yaml", 4, 11, "governance.utm-required",
                    "links in campaign posts must be UTM-tagged (calendar/rules.yaml), but "
                    "campaign spring has no utm: settings")]
    (repo / "calendar/campaigns/spring.yaml").write_text(
        "id: spring\nname: Spring\nstart: 2027-03-01\nend: 2027-03-31\n"
        "utm: {source: '{network}', medium: social}\n", "utf-8")
    assert problems(run, repo) == []
    write(repo, "c", "id: c\nstatus: ready\nchannels: [news]\ncampaign: spring\nutm: false\n"
          "publish_at: 2027-03-02T10:00\ntext: Read https://example.org/spring\n")
    assert [p[3] for p in problems(run, repo)] == ["governance.utm-required"]


def test_alt_text_can_be_downgraded_never_silenced(run: Runner, repo: Path) -> None:
    write(repo, "img", "id: img\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2099-12-01T10:00\ntext: Look\nmedia:\n  - path: calendar/media/pic.png\n")
    strict = json_out(run("validate", "--format", "json", root=repo))
    assert [e["rule"] for e in strict["errors"]] == ["media.alt-required"]
    (repo / "calendar/rules.yaml").write_text("require_alt_text: false\n", "utf-8")
    relaxed = json_out(run("validate", "--format", "json", root=repo))
    assert relaxed["ok"] is True
    assert [w["rule"] for w in relaxed["warnings"]] == ["media.alt-required"]


def test_rules_file_is_schema_checked(run: Runner, repo: Path) -> None:
    (repo / "calendar/rules.yaml").write_text("quiet_hours:\n  - from: '25:00'\n"
                                              "    to: '07:00'\nmax_per_dya: 3\n", "utf-8")
    data = json_out(run("validate", "--format", "json", root=repo))
    assert sorted((e["line"], e["rule"]) for e in data["errors"]) == [
        (2, "schema.format"), (4, "schema.unknown-field")]
