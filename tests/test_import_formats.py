"""cmops import csv --from hootsuite|buffer|later|generic: one realistic sample of each tool's
file (tests/samples/import/), imported through the CLI; every text byte-identical."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import Runner, json_out

from cmops.yamlsafe import load_bytes

SAMPLES = Path(__file__).parent / "samples" / "import"


def _posts(repo: Path) -> dict[str, Any]:
    return {p.relative_to(repo / "calendar/posts").as_posix(): load_bytes(p.read_bytes())
            for p in sorted((repo / "calendar/posts").rglob("*.yaml"))
            if p.name != "minimal.yaml"}


def test_hootsuite_bulk_composer_file(run: Runner, repo: Path) -> None:
    source = SAMPLES / "hootsuite.csv"
    result = run("import", "csv", str(source), "--from", "hootsuite", "--channel", "news",
                 "--channel", "bsky", root=repo)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Wrote 3 post file(s); 0 row(s) skipped."
    assert result.stderr == ""  # no header row: nothing ignored, nothing skipped
    posts = _posts(repo)
    assert list(posts) == ["2027-03/ce-soir-les-miserables-en-version-courte-20270315.yaml",
                           "2027-03/deja-1-000-inscrits-merci-a-tous-20270316.yaml",
                           "2027-03/printemps-des-poetes-lectures-ateliers-20270314.yaml"]
    first, second, third = (posts[k] for k in sorted(posts, key=lambda k: k[-13:]))
    assert first == {"id": "printemps-des-poetes-lectures-ateliers-20270314",
                     "status": "draft", "publish_at": "2027-03-14T09:00",
                     "channels": ["news", "bsky"],
                     "text": "Printemps des poètes 🌸 : lectures, ateliers et café, au 12 rue "
                             "de l'Église",
                     "link": "https://example.org/printemps?utm_source=hs"}
    assert second["text"] == 'Ce soir: "Les Misérables" en version courte.\nRéservez vite !'
    assert "link" not in second and second["publish_at"] == "2027-03-15T18:30"
    assert third["text"] == "Déjà 1 000 inscrits 🎉 merci à tous"
    assert third["link"] == "https://example.org/merci"
    assert json_out(run("validate", "--format", "json", root=repo))["ok"] is True


def test_hootsuite_rows_need_channels_and_a_date_order_when_ambiguous(
        run: Runner, repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "hs.csv"
    source.write_text("13/02/2027 09:30,Treize février\n01/02/2027 10:00,Ambigu\n"
                      "02/03/2027 8:00,Aussi\n", "utf-8")
    bare = run("import", "csv", str(source), "--from", "hootsuite", root=repo)
    assert bare.exit_code == 2
    assert "--from hootsuite: the rows have no channels (they are chosen at upload in that " \
        "tool): pass --channel NAME, once per channel" in bare.stderr
    refused = run("import", "csv", str(source), "--from", "hootsuite", "--channel", "news",
                  root=repo)
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        f"{source}:2: 01/02/2027 could be 1 February or 2 January: pass --date-order dmy or "
        "mdy",
        f"{source}:3: 02/03/2027 could be 2 March or 3 February: pass --date-order dmy or "
        "mdy",
        "Error: 2 date(s) could be read two ways; nothing was imported. Pass --date-order "
        "dmy or mdy (line 1's 13/02/2027 is day first)."]
    assert _posts(repo) == {}  # nothing written, not even the unambiguous row
    dmy = run("import", "csv", str(source), "--from", "hootsuite", "--channel", "news",
              "--date-order", "dmy", root=repo)
    assert dmy.exit_code == 0, dmy.output
    assert sorted(p["publish_at"] for p in _posts(repo).values()) == [
        "2027-02-01T10:00", "2027-02-13T09:30", "2027-03-02T08:00"]


def test_hootsuite_mdy_and_a_header_row(run: Runner, repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "hs.csv"
    source.write_text("Date,Message,Link,Notes\n02/13/2027 21:05,Valentine's eve,,internal\n"
                      "03/01/2027 07:00,March,https://example.org/m,\n", "utf-8")
    result = run("import", "csv", str(source), "--from", "hootsuite", "--channel", "news",
                 "--date-order", "mdy", root=repo)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"{source}: ignored column(s): Notes\n"
    assert sorted((p["publish_at"], p["text"]) for p in _posts(repo).values()) == [
        ("2027-02-13T21:05", "Valentine's eve"), ("2027-03-01T07:00", "March")]


def test_buffer_bulk_upload_file(run: Runner, repo: Path) -> None:
    source = SAMPLES / "buffer.csv"
    result = run("import", "csv", str(source), "--from", "buffer", "--channel", "masto",
                 "--no-media", root=repo)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == [
        "Wrote 3 post file(s); 0 row(s) skipped.",
        "1 image URL not downloaded (--no-media)."]
    assert result.stderr == f"{source}: ignored column(s): Tags\n"
    posts = _posts(repo)
    assert sorted(posts) == [
        "2027-03/new-season-new-sounds-our-spring-line-up-20270320.yaml",
        "2027-03/two-lines-line-one-and-line-two-20270321.yaml",
        "unscheduled/cafe-creme-on-the-terrace-see-you-there.yaml"]
    season = posts["2027-03/new-season-new-sounds-our-spring-line-up-20270320.yaml"]
    assert season["text"] == ("New season, new sounds 🎶 Our spring line-up is out: 12 "
                              "concerts, 3 cities.")
    assert season["publish_at"] == "2027-03-20T10:00" and "media" not in season
    assert posts["2027-03/two-lines-line-one-and-line-two-20270321.yaml"]["text"] == \
        'Two lines:\nline one, and line "two" 👍'
    queued = posts["unscheduled/cafe-creme-on-the-terrace-see-you-there.yaml"]
    assert "publish_at" not in queued and queued["status"] == "draft"
    assert queued["text"] == "Café crème ☕ on the terrace — see you there"
    ready = run("import", "csv", str(source), "--from", "buffer", "--channel", "li",
                "--no-media", "--status", "ready", "--dry-run", root=repo)
    assert f"{source}:5: skipped: no date and time: a ready post needs one (import it as a " \
        "draft)" in ready.stderr


def test_later_file(run: Runner, repo: Path) -> None:
    source = SAMPLES / "later.csv"
    result = run("import", "csv", str(source), "--from", "later", "--channel", "insta",
                 "--channel", "news", root=repo)
    assert result.stderr == f"{source}: ignored column(s): Social Profile, First Comment\n"
    posts = _posts(repo)
    bts = posts["2027-03/behind-the-scenes-with-zoe-jose-part-1-20270322.yaml"]
    assert bts == {"id": "behind-the-scenes-with-zoe-jose-part-1-20270322",
                   "status": "draft", "publish_at": "2027-03-22T09:15",
                   "channels": ["insta", "news"],
                   "text": "Behind the scenes 🎬 with Zoë & José, part 1\n\n#bts #crew",
                   "link": "https://example.org/bts"}
    assert posts["2027-03/golden-hour-montreal-20270323.yaml"]["publish_at"] == \
        "2027-03-23T18:40"
    assert result.stdout.startswith("Wrote 2 post file(s); 0 row(s) skipped.")
    assert result.exit_code == 0, result.output


def test_generic_semicolon_windows_1252_file_from_french_excel(run: Runner, repo: Path) -> None:
    source = SAMPLES / "generic-excel-fr.csv"
    assert b"\xe9" in source.read_bytes()  # é in Windows-1252, not UTF-8
    result = run("import", "csv", str(source), "--from", "generic", root=repo)
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"{source}: warning: not UTF-8; read as Windows-1252 (Excel's \"CSV\" on Windows). "
        "Check the accents; to be sure, save the sheet as \"CSV UTF-8\".\n")
    posts = _posts(repo)
    assert sorted((p["publish_at"], p["channels"], p["text"]) for p in posts.values()) == [
        ("2027-03-25T09:30", ["news"], "Journée portes ouvertes : entrée libre, café offert"),
        ("2027-03-26T14:00", ["news", "bsky"],
         "Cours d'été ; inscriptions à l'accueil\nÀ bientôt !"),
        ("2027-03-27T08:05", ["news"], "Réunion du comité à 20 h — ordre du jour en ligne")]
    assert [p.get("link") for p in posts.values() if "portes" in p["text"]] == \
        ["https://example.org/jpo"]


def test_generic_aliases_and_channel_fallback(run: Runner, repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "sheet.csv"
    source.write_text("Caption,Scheduled At,Networks,Campaign,Owner\n"
                      "Spring is here,2027-03-10 9:30 pm,bsky,spring,Ana\n"
                      "No channel named,2027-03-11T08:00,,,Ben\n"
                      "Absolute,2027-03-12T08:00:00Z,news,,\n", "utf-8")
    result = run("import", "csv", str(source), "--from", "generic", "--channel", "masto",
                 root=repo)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"{source}: ignored column(s): Owner\n"
    got = sorted((p["publish_at"], p["channels"], p.get("campaign"))
                 for p in _posts(repo).values())
    assert got == [("2027-03-10T21:30", ["bsky"], "spring"),
                   ("2027-03-11T08:00", ["masto"], None),
                   ("2027-03-12T08:00Z", ["news"], None)]


def test_unknown_channel_option_is_a_usage_error(run: Runner, repo: Path) -> None:
    result = run("import", "csv", str(SAMPLES / "hootsuite.csv"), "--from", "hootsuite",
                 "--channel", "fax", root=repo)
    assert result.exit_code == 2
    assert "unknown channel(s) for --channel: fax; known: bsky, insta, li, masto, news, nyc, " \
        "xch" in result.stderr
    assert _posts(repo) == {}


def test_hootsuite_bad_first_date_is_a_row_error_not_a_header(run: Runner, repo: Path,
                                                              tmp_path: Path) -> None:
    source = tmp_path / "hs.csv"
    source.write_text("32/01/2027 09:00,Bad day\n14/02/2027 10:00,Fine,,extra\n", "utf-8")
    result = run("import", "csv", str(source), "--from", "hootsuite", "--channel", "news",
                 root=repo)
    assert result.exit_code == 1
    assert result.stderr == (f"{source}: ignored column(s): column 4\n"
                             f"{source}:1: skipped: date '32/01/2027' has no day 32 in "
                             "January 2027\n")
    assert [p["text"] for p in _posts(repo).values()] == ["Fine"]


def test_numbered_image_columns_are_media_and_headers_are_normalised() -> None:
    from cmops.imports.formats import FORMATS, field_of

    buffer, generic = FORMATS["buffer"], FORMATS["generic"]
    assert [field_of(buffer, h) for h in ("Image URL", "Image URL 2", "image_url_3", " TEXT ",
                                          "Tags", "Posting-Time")] == \
        ["media", "media", "media", "text", None, "when"]
    assert [field_of(generic, h) for h in ("Réseaux", "Texte alternatif", "Date 2")] == \
        ["channels", "alt", None]
