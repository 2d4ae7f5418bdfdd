"""``cmops export csv``: rows per post × channel, state from the ledger, spreadsheet-safe
cells that import back byte for byte (issue 20)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from tests.conftest import Runner

from cmops.export import COLUMNS, neutralise, restore, to_csv

AT = "2027-01-20T09:00Z"

LAUNCH = """id: launch
status: ready
channels: [news, bsky]
campaign: spring
publish_at: 2027-03-02T09:00
text: |-
  Lancement du printemps 🌱
  À demain, "tout le monde" !
link: https://example.org/printemps
media:
  - path: calendar/media/pic.png
    alt: Une affiche, verte
  - path: calendar/media/pic.png
    alt: Le programme
"""
FORMULA = """id: formula
status: ready
channels: [nyc]
publish_at: 2027-03-01T18:30
text: '=HYPERLINK("https://evil.example", "click")'
thread:
  - text: "@everyone part two"
  - text: -1 points
first_comment: "+33 1 23 45 67 89"
"""
WEEKLY = """id: weekly
status: ready
channels: [news]
publish_at: 2027-01-04T10:00
repeat:
  every: 1w
  count: 10
text: Weekly notes
"""
TEXT = 'Lancement du printemps 🌱\nÀ demain, "tout le monde" !'
HEADER = ["id", "channels", "network", "date", "time", "zone", "publish_at", "status",
          "state", "post_url", "campaign", "text", "rendered", "thread", "first_comment",
          "media", "alt", "link", "repeat", "file"]


@pytest.fixture
def calendar(repo: Path, run: Runner) -> Path:
    for name, body in (("launch", LAUNCH), ("formula", FORMULA), ("weekly", WEEKLY)):
        (repo / f"calendar/posts/{name}.yaml").write_text(body, "utf-8")
    for args in (("launch", "--channel", "bsky", "--url", "https://bsky.app/profile/did:plc:a/"
                                                           "post/3k"),
                 ("weekly", "--channel", "news", "--occurrence", "2", "--url",
                  "https://example.org/out/2")):
        done = run("resolve", *args, "--as", "published", root=repo)
        assert done.exit_code == 0, done.output
    return repo


def rows(data: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data, newline=""), delimiter=delimiter))


EXPECTED = [
    HEADER,
    ["weekly", "news", "outbox", "2027-01-04", "10:00", "Europe/Paris",
     "2027-01-04T10:00:00+01:00", "ready", "published", "https://example.org/out/2", "",
     "Weekly notes", "Weekly notes", "", "", "", "", "", "every 1w, 10 times",
     "calendar/posts/weekly.yaml"],
    ["formula", "nyc", "outbox", "2027-03-01", "18:30", "America/New_York",
     "2027-03-01T18:30:00-05:00", "ready", "scheduled", "", "",
     "'=HYPERLINK(\"https://evil.example\", \"click\")",
     "'=HYPERLINK(\"https://evil.example\", \"click\")",
     "'@everyone part two\n---\n-1 points", "'+33 1 23 45 67 89", "", "", "", "",
     "calendar/posts/formula.yaml"],
    ["launch", "news", "outbox", "2027-03-02", "09:00", "Europe/Paris",
     "2027-03-02T09:00:00+01:00", "ready", "scheduled", "", "spring", TEXT, TEXT, "", "",
     "calendar/media/pic.png|calendar/media/pic.png", "Une affiche, verte|Le programme",
     "https://example.org/printemps", "", "calendar/posts/launch.yaml"],
    ["launch", "bsky", "bluesky", "2027-03-02", "09:00", "Europe/Paris",
     "2027-03-02T09:00:00+01:00", "ready", "published",
     "https://bsky.app/profile/did:plc:a/post/3k", "spring", TEXT,
     TEXT + "\nhttps://example.org/printemps", "", "",
     "calendar/media/pic.png|calendar/media/pic.png", "Une affiche, verte|Le programme",
     "https://example.org/printemps", "", "calendar/posts/launch.yaml"],
    ["minimal-base", "news", "outbox", "", "", "Europe/Paris", "", "draft", "draft", "", "",
     "The base calendar's one post.", "The base calendar's one post.", "", "", "", "", "",
     "", "calendar/posts/minimal.yaml"],
]


def test_rows_per_post_and_channel_with_state_from_the_ledger(run: Runner,
                                                              calendar: Path) -> None:
    result = run("export", "csv", "--at", AT, root=calendar)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert rows(result.stdout) == EXPECTED


def test_rfc_4180_bytes(run: Runner, calendar: Path) -> None:
    data = run("export", "csv", "--at", AT, root=calendar).stdout_bytes
    assert data.startswith(b"id,channels,network,date,")
    assert data.count(b"\r\n") == len(EXPECTED)  # CRLF ends records; a text keeps its LF
    assert (b',"Lancement du printemps \xf0\x9f\x8c\xb1\n\xc3\x80 demain, ""tout le '
            b'monde"" !",') in data
    assert b"\n---\n-1 points\"," in data


def test_the_rendered_text_is_what_the_plan_shows(run: Runner, calendar: Path) -> None:
    plan = run("plan", "--at", AT, "--until", "2027-03-03T00:00Z", "--format", "json",
               root=calendar)
    items = {i["key"]: i for i in json.loads(plan.stdout)["items"]}
    exported = {(r[0], r[1]): r for r in rows(
        run("export", "csv", "--at", AT, root=calendar).stdout)}
    for key in ("formula/nyc", "launch/bsky", "launch/news"):
        row = exported[tuple(key.split("/"))]  # type: ignore[index]
        sent = [restore(row[12]), *filter(None, restore(row[13]).split("\n---\n")),
                *filter(None, [restore(row[14])])]
        assert sent == [p["text"] for p in items[key]["parts"]], key


def test_channel_filter_excel_and_semicolons(run: Runner, calendar: Path) -> None:
    result = run("export", "csv", "--at", AT, "--channel", "bsky", "--excel", "--delimiter",
                 "semicolon", root=calendar)
    assert result.exit_code == 0
    data = result.stdout_bytes
    assert data.startswith(b"\xef\xbb\xbfid;channels;network;")
    assert rows(data.decode("utf-8-sig"), ";") == [EXPECTED[0], EXPECTED[4]]
    unknown = run("export", "csv", "--channel", "nope", root=calendar)
    assert unknown.exit_code == 2 and "unknown channel(s): nope" in unknown.output


def test_output_is_written_atomically(run: Runner, calendar: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "calendar.csv"
    target.parent.mkdir()
    target.write_text("old contents", "utf-8")
    result = run("export", "csv", "--at", AT, "--output", str(target), root=calendar)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote 5 rows to {target}.\n"
    assert rows(target.read_text("utf-8")) == EXPECTED
    assert [p.name for p in target.parent.iterdir()] == ["calendar.csv"]  # no temp file left
    blocked = tmp_path / "file"
    blocked.write_text("x", "utf-8")
    failed = run("export", "csv", "--output", str(blocked / "calendar.csv"), root=calendar)
    assert failed.exit_code == 2
    assert (f"cannot write {blocked / 'calendar.csv'}: {blocked} is a file, not a folder"
            in failed.output)
    assert blocked.read_text("utf-8") == "x"
    empty = run("export", "csv", "--output", "", root=calendar)
    assert empty.exit_code == 2 and "give a file name, e.g. calendar.csv" in empty.stderr


def test_state_branch_and_state_are_exclusive(run: Runner, calendar: Path) -> None:
    both = run("export", "csv", "--state", "x", "--state-branch", "y", root=calendar)
    assert both.exit_code == 2 and "not both" in both.output


def test_help_has_an_example(run: Runner) -> None:
    help_text = run("export", "csv", "--help").stdout
    assert "  Example:\n\n      cmops export csv > calendar.csv\n" in help_text


@pytest.mark.parametrize(("cell", "written"), [
    ("=1+1", "'=1+1"), ("+33 1", "'+33 1"), ("-1", "'-1"), ("@here", "'@here"),
    ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"), ("'=1", "''=1"), ("''", "'''"), ("'-", "''-"),
    ("'Tis the season", "'Tis the season"), ("'", "'"), ("", ""), ("a=1", "a=1"),
    (" =1", " =1"), ("Hello 🌱", "Hello 🌱"),
])
def test_neutralise_marks_formulas_and_restore_undoes_it(cell: str, written: str) -> None:
    assert neutralise(cell) == written
    assert restore(written) == cell


def test_restore_leaves_ordinary_cells_alone() -> None:
    for cell in ("'Tis", "'", "it's", "'a'", "x'=1"):
        assert restore(cell) == cell
    every = ["=", "+", "-", "@", "\t", "\r", "'", "a", ""]
    for first in every:
        for second in every:
            cell = first + second + "x"
            assert restore(neutralise(cell)) == cell


def test_to_csv_quotes_and_neutralises_every_column() -> None:
    text = to_csv([{name: "=x" for name in COLUMNS}])
    assert text.splitlines()[1] == ",".join(["'=x"] * len(COLUMNS))
    assert to_csv([], bom=True) == "\ufeff" + ",".join(COLUMNS) + "\r\n"
    quoted = to_csv([{"id": "a", "text": 'say "hi";\r\nthen'}], delimiter=";")
    assert rows(quoted, ";")[1][COLUMNS.index("text")] == 'say "hi";\r\nthen'
