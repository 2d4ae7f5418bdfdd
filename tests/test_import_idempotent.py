"""Importing the same file again writes nothing; a changed row updates its file (id kept);
a file edited by hand since its import is never overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import Runner

from cmops.yamlsafe import load_bytes

HEADER = "Date,Time,Text,Channels\n"
ROWS = [f"2027-04-{day:02d},09:00,Post number {day} 🎈,news\n" for day in range(1, 21)]


def _files(repo: Path) -> dict[str, bytes]:
    return {p.relative_to(repo).as_posix(): p.read_bytes()
            for p in sorted((repo / "calendar/posts").rglob("*.yaml"))}


def test_a_second_import_writes_nothing(run: Runner, repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "plan.csv"
    source.write_text(HEADER + "".join(ROWS), "utf-8")
    first = run("import", "csv", str(source), root=repo)
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[0] == "Wrote 20 post file(s); 0 row(s) skipped."
    before = _files(repo)
    mtimes = {p: (repo / p).stat().st_mtime_ns for p in before}
    second = run("import", "csv", str(source), root=repo)
    assert second.exit_code == 0, second.output
    assert second.stdout == "Wrote 0 post file(s); 0 row(s) skipped.\n" \
                            "20 rows already imported.\n"
    assert _files(repo) == before
    assert {p: (repo / p).stat().st_mtime_ns for p in before} == mtimes
    text = before["calendar/posts/2027-04/post-number-1-20270401.yaml"].decode()
    assert text.splitlines()[1].startswith("# imported: cmops ")
    # the mark is a comment: the data is what the row says
    assert load_bytes(text.encode()) == {"id": "post-number-1-20270401", "status": "draft",
                                         "publish_at": "2027-04-01T09:00",
                                         "channels": ["news"], "text": "Post number 1 🎈"}


def test_a_changed_row_updates_its_file_and_keeps_its_id(run: Runner, repo: Path,
                                                         tmp_path: Path) -> None:
    source = tmp_path / "plan.csv"
    source.write_text(HEADER + "".join(ROWS[:3]), "utf-8")
    assert run("import", "csv", str(source), root=repo).exit_code == 0
    rel = "calendar/posts/2027-04/post-number-2-20270402.yaml"
    source.write_text(HEADER + ROWS[0] + "2027-04-02,09:00,Post number 2: now longer,news\n"
                      + "2027-04-09,18:00,Post number 3 🎈,news\n", "utf-8")
    result = run("import", "csv", str(source), root=repo)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Wrote 0 post file(s); 0 row(s) skipped.",
        "Updated 2 post files whose row changed: " + rel
        + ", calendar/posts/2027-04/post-number-3-20270403.yaml",
        "1 row already imported."]
    data = load_bytes((repo / rel).read_bytes())
    assert (data["id"], data["text"]) == ("post-number-2-20270402", "Post number 2: now longer")
    moved = load_bytes((repo / "calendar/posts/2027-04/post-number-3-20270403.yaml")
                       .read_bytes())
    assert (moved["id"], moved["publish_at"]) == ("post-number-3-20270403", "2027-04-09T18:00")
    assert len(_files(repo)) == 4  # minimal.yaml and the three imports: no duplicate
    again = run("import", "csv", str(source), root=repo)
    assert again.stdout.splitlines()[1:] == ["3 rows already imported."]


def test_a_file_edited_by_hand_is_kept(run: Runner, repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "plan.csv"
    source.write_text(HEADER + ROWS[0], "utf-8")
    assert run("import", "csv", str(source), root=repo).exit_code == 0
    path = repo / "calendar/posts/2027-04/post-number-1-20270401.yaml"
    edited = path.read_text("utf-8").replace("status: draft", "status: ready")
    path.write_text(edited, "utf-8")
    unchanged = run("import", "csv", str(source), root=repo)
    assert unchanged.stdout.splitlines()[1] == "1 row already imported."
    source.write_text(HEADER + "2027-04-01,09:00,Post number 1 (rewritten),news\n", "utf-8")
    result = run("import", "csv", str(source), root=repo)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{source}:2: skipped: calendar/posts/2027-04/post-number-1-20270401.yaml was edited "
        "since it was imported; kept as it is (to import the row again, delete the file, or "
        "its \"# imported:\" line to keep both)\n")
    assert path.read_text("utf-8") == edited
    assert result.stdout.splitlines()[0] == "Wrote 0 post file(s); 1 row(s) skipped."


def test_the_same_row_twice_and_same_slot_rows(run: Runner, repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "plan.csv"
    source.write_text(HEADER + ROWS[0] + "2027-04-01,09:00,Another post same minute,news\n"
                      + ROWS[0], "utf-8")
    result = run("import", "csv", str(source), root=repo)
    assert result.exit_code == 1
    assert result.stderr == f"{source}:4: skipped: the same post as line 2\n"
    assert result.stdout.splitlines()[0] == "Wrote 2 post file(s); 1 row(s) skipped."
    again = run("import", "csv", str(source), root=repo)
    assert again.stdout.splitlines()[1] == "2 rows already imported."


def test_a_taken_id_gets_a_suffix_from_the_row(run: Runner, repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "plan.csv"
    source.write_text(HEADER + "2027-04-01,09:00,Same words,news\n"
                      "2027-04-01,18:00,Same words,news\n", "utf-8")
    result = run("import", "csv", str(source), root=repo)
    assert result.exit_code == 0, result.output
    names = sorted(Path(p).name for p in _files(repo))
    assert names[0] == "minimal.yaml" and names[2] == "same-words-20270401.yaml"
    assert names[1].startswith("same-words-20270401-") and len(names[1]) == len(
        "same-words-20270401-abcdef.yaml")


def test_a_dry_run_writes_nothing_and_sees_what_is_imported(run: Runner, repo: Path,
                                                tmp_path: Path) -> None:
    source = tmp_path / "plan.csv"
    source.write_text(HEADER + ROWS[0], "utf-8")
    dry = run("import", "csv", str(source), "--dry-run", root=repo)
    assert dry.stdout == "Would write 1 post file(s); 0 row(s) skipped.\n"
    assert list(_files(repo)) == ["calendar/posts/minimal.yaml"]
    assert run("import", "csv", str(source), root=repo).exit_code == 0
    dry_again = run("import", "csv", str(source), "--dry-run", root=repo)
    assert dry_again.stdout.splitlines()[1] == "1 row already imported."


def test_a_large_import_shows_progress_and_a_short_summary(run: Runner, repo: Path,
                                                            tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    import cmops.cli.import_csv as command

    monkeypatch.setattr(command, "PROGRESS_EVERY", 5)
    source = tmp_path / "plan.csv"
    source.write_text(HEADER + "".join(ROWS), "utf-8")
    first = run("import", "csv", str(source), root=repo)
    assert [line for line in first.stderr.splitlines() if "rows" in line] == [
        f"{source}: {n}/20 rows" for n in (5, 10, 15, 20)]
    assert "Validating the 20 written files…" in first.stderr
    source.write_text(HEADER + "".join(r.replace("🎈", "🎉") for r in ROWS), "utf-8")
    second = run("import", "csv", str(source), root=repo)
    updated = next(line for line in second.stdout.splitlines() if line.startswith("Updated"))
    assert updated.startswith("Updated 20 post files whose row changed: calendar/posts/2027-04/")
    assert updated.endswith(" and 10 more") and updated.count(".yaml") == 10
