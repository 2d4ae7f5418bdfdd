"""Issue 20's round trip: each tool's sample goes through import -> validate -> plan -> export
with every text byte-identical to its CSV cell; and an export comes back through
``import csv --from cmops`` as the same posts (formulas, several channels, no time)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from tests.conftest import Runner, json_out

from cmops.export import restore
from cmops.yamlsafe import load_bytes

SAMPLES = Path(__file__).parent / "samples" / "import"
AT = ("--at", "2027-03-01T00:00Z", "--days", "60")

# (sample, --from, extra options, encoding, delimiter, the text column, rows with a time)
CASES = [
    ("hootsuite.csv", "hootsuite", ("--channel", "news", "--channel", "bsky"), "utf-8", ",",
     1, 3),
    ("buffer.csv", "buffer", ("--channel", "masto", "--no-media"), "utf-8", ",", 0, 2),
    ("later.csv", "later", ("--channel", "news"), "utf-8", ",", 0, 2),
    ("generic-excel-fr.csv", "generic", ("--channel", "news", "--date-order", "dmy"),
     "cp1252", ";", 2, 3),
]


def _cells(name: str, encoding: str, delimiter: str, column: int) -> list[str]:
    """The sample's text cells, read by the standard library alone (not by cmops)."""
    data = (SAMPLES / name).read_bytes().decode(encoding).removeprefix("\ufeff")
    rows = [r for r in csv.reader(io.StringIO(data, newline=""), delimiter=delimiter) if r]
    return [r[column] for r in rows if not r[0][:1].isalpha()] if name == "hootsuite.csv" \
        else [r[column] for r in rows[1:]]


def _export(run: Runner, repo: Path) -> list[dict[str, str]]:
    result = run("export", "csv", root=repo)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout, newline="")))


@pytest.mark.parametrize(("sample", "fmt", "options", "encoding", "delimiter", "column",
                          "timed"), CASES, ids=[c[1] for c in CASES])
def test_import_validate_plan_export_keeps_every_text(
        run: Runner, repo: Path, sample: str, fmt: str, options: tuple[str, ...],
        encoding: str, delimiter: str, column: int, timed: int) -> None:
    (repo / "calendar/posts").joinpath("minimal.yaml").unlink(missing_ok=True)
    texts = _cells(sample, encoding, delimiter, column)
    imported = run("import", "csv", str(SAMPLES / sample), "--from", fmt, *options, root=repo)
    assert imported.exit_code == 0, imported.output
    written = {p: load_bytes(p.read_bytes()) for p in (repo / "calendar/posts").rglob("*.yaml")}
    assert sorted(d["text"] for d in written.values()) == sorted(texts)

    report = json_out(run("validate", "--format", "json", root=repo))
    assert report["ok"] is True, report
    for path, data in written.items():  # drafts become ready: the plan shows what goes out
        if "publish_at" in data:
            path.write_text(path.read_text("utf-8").replace("status: draft", "status: ready",
                                                            1), "utf-8")
    plan = json_out(run("plan", *AT, "--format", "json", root=repo))
    planned = {i["post"] for i in plan["items"] if i["state"] == "scheduled"}
    assert len(planned) == timed
    assert planned <= {d["id"] for d in written.values()}

    rows = _export(run, repo)
    assert sorted(restore(r["text"]) for r in rows) == sorted(
        d["text"] for d in written.values() for _ in d["channels"])
    assert {restore(r["text"]) for r in rows} == set(texts)


def test_an_export_imports_back_as_the_same_posts(run: Runner, repo: Path,
                                                  tmp_path: Path) -> None:
    posts = repo / "calendar/posts"
    (posts / "2027-04").mkdir(parents=True)
    (posts / "2027-04/formula.yaml").write_text(
        'id: formula\nstatus: ready\npublish_at: "2027-04-02T09:00"\nchannels: [news, bsky]\n'
        'text: "=HYPERLINK(\\"http://evil.example\\")  and more\\n- a line\\n"\n', "utf-8")
    (posts / "unscheduled").mkdir()
    (posts / "unscheduled/idea.yaml").write_text(
        'id: idea\nstatus: draft\nchannels: [masto]\ntext: "@team: an idea 💡"\n', "utf-8")
    before = _export(run, repo)
    formula = [r for r in before if r["id"] == "formula"]
    assert [r["text"][:2] for r in formula] == ["'=", "'="]  # neutralised for spreadsheets
    source = tmp_path / "export.csv"
    source.write_bytes(run("export", "csv", root=repo).stdout_bytes)

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    for part in ("calendar/channels.yaml", "calendar/campaigns"):
        target = fresh / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if (repo / part).is_dir():
            target.mkdir()
        else:
            target.write_bytes((repo / part).read_bytes())
    back = run("import", "csv", str(source), "--no-media", root=fresh)
    assert back.exit_code == 0, back.output
    files = {p.name: load_bytes(p.read_bytes())
             for p in (fresh / "calendar/posts").rglob("*.yaml")}
    assert files["formula.yaml"]["channels"] == ["news", "bsky"]  # one post, both channels
    assert files["formula.yaml"]["text"] == "=HYPERLINK(\"http://evil.example\")  and more\n" \
        "- a line\n"
    assert files["formula.yaml"]["publish_at"] == "2027-04-02T09:00"
    assert files["idea.yaml"]["text"] == "@team: an idea 💡" and "publish_at" not in \
        files["idea.yaml"]
    assert {r["id"]: restore(r["text"]) for r in _export(run, fresh)} == \
        {r["id"]: restore(r["text"]) for r in before}


def test_rows_of_one_id_with_different_texts_are_refused_by_line(run: Runner, repo: Path,
                                                                 tmp_path: Path) -> None:
    source = tmp_path / "variants.csv"
    source.write_text("id,date,time,text,channels\nsame,2027-05-01,09:00,Bonjour,news\n"
                      "same,2027-05-01,09:00,Hello,bsky\n", "utf-8")
    result = run("import", "csv", str(source), root=repo)
    assert result.exit_code == 1
    assert f"{source}:3: skipped: id same is also on line 2 with another text: a post file " \
        "has one of each for all its channels" in result.stderr
    written = load_bytes((repo / "calendar/posts/2027-05/same.yaml").read_bytes())
    assert written["channels"] == ["news"] and written["text"] == "Bonjour"


def test_a_media_path_leaving_the_repository_skips_its_row(run: Runner, repo: Path,
                                                           tmp_path: Path) -> None:
    source = tmp_path / "paths.csv"
    source.write_text("date,time,text,channels,media,alt\n"
                      "2027-05-01,09:00,Up,news,../../etc/passwd,x\n"
                      "2027-05-02,09:00,Root,news,/etc/passwd,x\n"
                      "2027-05-03,09:00,Drive,news,C:\\Users\\me\\a.png,x\n"
                      "2027-05-04,09:00,Fine,news,calendar/media/pic.png,Un vélo\n", "utf-8")
    result = run("import", "csv", str(source), root=repo)
    assert result.exit_code == 1
    why = "give a path inside the repository (relative, no '..', e.g. calendar/media/photo.jpg)"
    assert [line.split(": skipped: ")[0] for line in result.stderr.splitlines()
            if why in line] == [f"{source}:{n}" for n in (2, 3, 4)]
    assert [p.name for p in (repo / "calendar/posts/2027-05").glob("*.yaml")] == \
        ["fine-20270504.yaml"]
