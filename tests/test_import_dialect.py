"""How import reads a CSV's bytes (encodings, delimiters, quoting) and its dates and times;
any text survives import byte for byte."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import Runner

from cmops.imports import FORMATS, parse
from cmops.imports.dates import (
    Ambiguous,
    BadDate,
    Reading,
    evident_order,
    parse_date,
    parse_time,
    parse_when,
)
from cmops.imports.dialect import Unreadable, decode, delimiter, sniff_delimiter
from cmops.postfile import render
from cmops.yamlsafe import load_bytes

ROWS = [["Text", "Date", "Time", "Channels"],
        ["Un, deux; trois\ttabs", "2027-04-01", "09:00", "news"],
        ["Été « chaud »", "2027-04-02", "10:30", "news"]]


def _csv(delimiter: str, rows: list[list[str]] = ROWS) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _texts(repo: Path) -> list[str]:
    return sorted(load_bytes(p.read_bytes())["text"]
                  for p in (repo / "calendar/posts").rglob("*.yaml") if p.name != "minimal.yaml")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_each_delimiter_is_found(delimiter: str) -> None:
    assert sniff_delimiter(_csv(delimiter)) == delimiter


def test_excel_sep_line_names_the_delimiter(run: Runner, repo: Path, tmp_path: Path) -> None:
    assert delimiter("sep=;\r\na,b;c\r\n") == (";", "\na,b;c\r\n")
    source = tmp_path / "sep.csv"
    source.write_text("sep=;\r\n" + _csv(";") + "2027-04-03;bad;x;news\r\n", "utf-8")
    result = run("import", "csv", str(source), "--from", "generic", root=repo)
    assert result.exit_code == 1
    assert result.stderr == f"{source}:5: skipped: date 'bad' is not a date (YYYY-MM-DD, " \
        "DD/MM/YYYY or MM/DD/YYYY)\n"
    assert _texts(repo) == ["Un, deux; trois\ttabs", "Été « chaud »"]


@pytest.mark.parametrize(("name", "data", "encoding"), [
    ("bom", codecs.BOM_UTF8 + _csv(";").encode(), "utf-8-sig"),
    ("utf16", _csv("\t").encode("utf-16"), "utf-16"),
    ("cp1252", _csv(";").encode("cp1252"), "cp1252"),
    ("utf8", _csv(",").encode(), "utf-8")])
def test_encodings_are_read_and_named(run: Runner, repo: Path, tmp_path: Path, name: str,
                                      data: bytes, encoding: str) -> None:
    assert decode(data).encoding == encoding
    source = tmp_path / f"{name}.csv"
    source.write_bytes(data)
    result = run("import", "csv", str(source), "--from", "generic", root=repo)
    assert result.exit_code == 0, result.output
    assert _texts(repo) == ["Un, deux; trois\ttabs", "Été « chaud »"]
    assert ("read as Windows-1252" in result.stderr) is (encoding == "cp1252")


def test_bytes_that_are_no_text_are_refused(run: Runner, repo: Path, tmp_path: Path) -> None:
    with pytest.raises(Unreadable, match="byte 6 is neither UTF-8 nor Windows-1252"):
        decode(b"text,\x81\xe9")
    with pytest.raises(Unreadable, match="byte 6 is not UTF-8, though the file has UTF-8 "):
        decode("Été\x81 café".encode().replace(b"\xc2\x81", b"\x81"))
    source = tmp_path / "bin.csv"
    source.write_bytes(b"text\n\x81\x8d\x8f\n")
    result = run("import", "csv", str(source), root=repo)
    assert result.exit_code == 2
    assert f"{source}: byte 6 is neither UTF-8 nor Windows-1252 text; export the sheet as " \
        "\"CSV UTF-8\"" in result.stderr
    assert "Traceback" not in result.output


def test_an_unknown_header_reports_what_was_found(run: Runner, repo: Path,
                                                  tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_text("Quand;Quoi\n2027-01-01;x\n", "utf-8")
    result = run("import", "csv", str(source), "--from", "generic", root=repo)
    assert result.exit_code == 1
    assert result.stderr == f"{source}:1: skipped: missing column(s): text, date and time " \
        "(found: Quand, Quoi)\n"


@pytest.mark.parametrize(("raw", "order", "want"), [
    ("13/02/2027", None, "2027-02-13"), ("02/13/2027", None, "2027-02-13"),
    ("2027/02/01", None, "2027-02-01"), ("01.02.2027", "dmy", "2027-02-01"),
    ("01-02-2027", "mdy", "2027-01-02"), ("05/05/2027", None, "2027-05-05"),
    ("01/02/27", "dmy", "2027-02-01"), ("27/02/01", "ymd", "2027-02-01"),
    ("1/2/2027", "mdy", "2027-01-02")])
def test_dates(raw: str, order: str | None, want: str) -> None:
    assert parse_date(raw, Reading(order)) == want


@pytest.mark.parametrize(("raw", "order", "error", "message"), [
    ("01/02/2027", None, Ambiguous,
     "01/02/2027 could be 1 February or 2 January: pass --date-order dmy or mdy"),
    ("01/02/27", None, Ambiguous, "01/02/27 has a two-digit year: pass --date-order dmy, mdy "
                                  "or ymd"),
    ("13/13/2027", None, BadDate, "date '13/13/2027' has no month (neither 13 nor 13 is one)"),
    ("02/13/2027", "dmy", BadDate, "date '02/13/2027' has no month 13"),
    ("31/04/2027", None, BadDate, "date '31/04/2027' has no day 31 in April 2027"),
    ("2027-13-01", None, BadDate, "date '2027-13-01' has no month 13"),
    ("1999-01-01", None, BadDate, "date '1999-01-01' is outside the years 2000 to 2100"),
    ("tomorrow", None, BadDate,
     "date 'tomorrow' is not a date (YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY)")])
def test_bad_and_ambiguous_dates(raw: str, order: str | None, error: type[BadDate],
                                 message: str) -> None:
    with pytest.raises(error) as caught:
        parse_date(raw, Reading(order))
    assert str(caught.value) == message


@pytest.mark.parametrize(("raw", "want"), [
    ("14:30", "14:30"), ("9:30", "09:30"), ("09:30:00", "09:30"), ("9:30 pm", "21:30"),
    ("9:30PM", "21:30"), ("12:15 a.m.", "00:15"), ("12:00 PM", "12:00"), ("9 am", "09:00")])
def test_times(raw: str, want: str) -> None:
    assert parse_time(raw, Reading()) == want


@pytest.mark.parametrize(("raw", "message"), [
    ("24:00", "time '24:00' has no hour 24"), ("9:75", "time '9:75' has no minute 75"),
    ("13:00 pm", "time '13:00 pm' has hour 13 with am/pm (1 to 12)"),
    ("9:30:15", "time '9:30:15' has seconds: posts are scheduled to the minute"),
    ("noon", "time 'noon' is not a time (HH:MM, H:MM, or with am/pm)"),
    ("9", "time '9' is not a time (HH:MM, H:MM, or with am/pm)")])
def test_bad_times(raw: str, message: str) -> None:
    with pytest.raises(BadDate) as caught:
        parse_time(raw, Reading())
    assert str(caught.value) == message


def test_evident_orders() -> None:
    assert [evident_order(d) for d in ("13/02/2027 9:00", "02/13/2027", "01/02/2027",
                                       "2027-02-13", "13/02/27", "13/13/2027")] == \
        ["dmy", "mdy", None, None, None, None]


def test_date_times_in_one_cell() -> None:
    assert parse_when("13/02/2027 9:05 pm", Reading()) == "2027-02-13T21:05"
    assert parse_when("2027-02-13T09:05:00+01:00", Reading()) == "2027-02-13T09:05+01:00"
    assert parse_when("2027-02-13T09:05:00.000Z", Reading()) == "2027-02-13T09:05Z"
    with pytest.raises(BadDate, match="is not a date and a time"):
        parse_when("13/02/2027", Reading())


def test_the_cmops_layout_stays_strict() -> None:
    with pytest.raises(BadDate, match=r"^date '13/02/2027' is not YYYY-MM-DD$"):
        parse_date("13/02/2027", Reading(strict=True))
    with pytest.raises(BadDate, match=r"^time '9:30' is not HH:MM$"):
        parse_time("9:30", Reading(strict=True))


CELL = st.text(st.characters(codec="utf-8", exclude_characters="\0"), min_size=1,
               max_size=80).filter(lambda s: s.strip() != "")


@given(text=CELL, delimiter=st.sampled_from([",", ";", "\t"]), bom=st.booleans())
def test_any_text_survives_import_byte_for_byte(text: str, delimiter: str, bom: bool) -> None:
    data = _csv(delimiter, [["text", "posting time"], [text, "2027-05-01 10:00"]])
    decoded = decode((codecs.BOM_UTF8 if bom else b"") + data.encode("utf-8"))
    parsed = parse(decoded.text, FORMATS["buffer"], delimiter=sniff_delimiter(decoded.text),
                   channels=["news"], known_channels=["news"], campaigns=[],
                   reading=Reading())
    assert parsed.errors == [] and parsed.ambiguous == []
    assert [row.post.text for row in parsed.rows] == [text]
    post = parsed.rows[0].post
    post.id = "p"
    assert load_bytes(render(post).encode("utf-8"))["text"] == text


def test_a_device_fifo_or_oversized_file_is_refused_before_reading(
        run: Runner, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import cmops.cli.import_csv as command

    zero = run("import", "csv", "/dev/zero", root=repo)  # would never end
    assert zero.exit_code == 2
    assert "/dev/zero is not a regular file: export the schedule to a .csv file" in zero.stderr
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # opening it would block until a writer came
    piped = run("import", "csv", str(fifo), root=repo)
    assert piped.exit_code == 2 and "is not a regular file" in piped.stderr
    monkeypatch.setattr(command, "MAX_CSV_BYTES", 1_000_000)
    big = tmp_path / "big.csv"
    big.write_bytes(b"date,time,text,channels\n" + b"x" * 1_000_000)
    refused = run("import", "csv", str(big), root=repo)
    assert refused.exit_code == 2
    assert f"{big} is larger than 1 MB; split it into smaller files" in refused.stderr
