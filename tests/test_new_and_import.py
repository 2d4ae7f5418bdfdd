"""cmops new post and cmops import csv: files that pass validate, problems by line."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Runner, json_out

from cmops.yamlsafe import load_bytes


def test_new_post_writes_a_valid_file_with_a_fresh_id(run: Runner, repo: Path) -> None:
    args = ("new", "post", "--channel", "news", "--channel", "bsky", "--at",
            "2026-12-03T09:30", "--text", "Nouvelle tournée: no")
    first = run(*args, root=repo)
    assert first.exit_code == 0, first.output
    rel = "calendar/posts/2026-12/nouvelle-tournee-no-20261203.yaml"
    assert first.stdout.strip() == f"Wrote {rel}"
    data = load_bytes((repo / rel).read_bytes())
    assert data == {"id": "nouvelle-tournee-no-20261203", "status": "draft",
                    "publish_at": "2026-12-03T09:30", "channels": ["news", "bsky"],
                    "text": "Nouvelle tournée: no"}
    assert (repo / rel).read_text().startswith("# yaml-language-server: $schema=")
    second = run(*args, root=repo)
    assert second.stdout.splitlines()[0].endswith("nouvelle-tournee-no-20261203-2.yaml")
    assert "same text as calendar/posts/2026-12/nouvelle-tournee-no-20261203.yaml" in \
        second.stdout and "[post.near-duplicate]" in second.stdout  # a copy is flagged
    assert run("validate", root=repo).exit_code == 0


def test_new_post_refuses_unknown_names_and_empty_text(run: Runner, repo: Path) -> None:
    result = run("new", "post", "--channel", "nope", "--text", "x", root=repo)
    assert result.exit_code == 2 and "unknown channel(s): nope" in result.output
    empty = run("new", "post", "--channel", "news", "--text", "  ", root=repo)
    assert empty.exit_code == 2 and "the post needs some text" in empty.output
    assert not (repo / "calendar/posts/unscheduled").exists()


CSV = """\
Date,Time,Message,Channels,Media,Alt text,Campaign
2027-03-02,09:30,"Printemps, enfin !",news bsky,calendar/media/pic.png,Un vélo au soleil,spring
2027-03-03,25:00,Bad time,news,,,
2027-03-04,10:00,"Multi
line text",news;masto,,,
2027-03-05,11:00,Unknown channel,fax,,,
"""


def test_import_csv_writes_valid_posts_and_reports_bad_rows(run: Runner, repo: Path,
                                                            tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text(CSV, "utf-8")
    result = run("import", "csv", str(source), "--status", "ready", root=repo)
    assert result.exit_code == 1  # two rows skipped
    assert f"{source}:3: skipped: time '25:00' is not HH:MM" in result.stderr
    assert f"{source}:6: skipped: unknown channel(s) fax" in result.stderr
    assert "Wrote 2 post file(s); 2 row(s) skipped." in result.stdout
    posts = sorted((repo / "calendar/posts/2027-03").glob("*.yaml"))
    assert [p.name for p in posts] == ["multi-line-text-20270304.yaml",
                                       "printemps-enfin-20270302.yaml"]
    spring = load_bytes(posts[1].read_bytes())
    assert spring["media"] == [{"path": "calendar/media/pic.png", "alt": "Un vélo au soleil"}]
    assert spring["channels"] == ["news", "bsky"] and spring["campaign"] == "spring"
    assert load_bytes(posts[0].read_bytes())["text"] == "Multi\nline text"
    report = json_out(run("validate", "--format", "json", root=repo))
    assert report["ok"] is True


def test_import_csv_missing_columns(run: Runner, repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("when,what\n2027-01-01,x\n", "utf-8")
    result = run("import", "csv", str(source), "--dry-run", root=repo)
    assert result.exit_code == 1
    assert "bad.csv:1: skipped: missing column(s): date, time, text, channels" in result.stderr


def test_import_csv_cmops_layout_takes_channels_from_the_option(run: Runner, repo: Path,
                                                                tmp_path: Path) -> None:
    source = tmp_path / "plan.csv"
    source.write_text("date,time,text,channels\n2027-03-02,09:30,Named,bsky\n"
                      "2027-03-03,09:30,\"  Unnamed, spaces kept  \",\n", "utf-8")
    result = run("import", "csv", str(source), "--channel", "news", root=repo)
    assert result.exit_code == 0, result.output
    posts = {p.name: load_bytes(p.read_bytes())
             for p in (repo / "calendar/posts/2027-03").glob("*.yaml")}
    assert {(p["channels"][0], p["text"]) for p in posts.values()} == {
        ("bsky", "Named"), ("news", "  Unnamed, spaces kept  ")}
    no_column = tmp_path / "nochannels.csv"
    no_column.write_text("date,time,text\n2027-03-04,10:00,Only text\n", "utf-8")
    assert run("import", "csv", str(no_column), "--channel", "masto", root=repo).exit_code == 0
    assert load_bytes((repo / "calendar/posts/2027-03/only-text-20270304.yaml").read_bytes()
                      )["channels"] == ["masto"]
