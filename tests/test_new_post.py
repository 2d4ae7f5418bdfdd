"""cmops new post (issue 20): the exact YAML written, block scalars that load back byte for
byte, ids cut at words, --media/--alt/--thread, the editor, --at checks, the help text."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import PROJECT, Runner

from cmops.postfile import PUBLISH_AT, NewPost, block_fits, render, scalar, slug
from cmops.yamlsafe import load_bytes, loads

HEAD = "# yaml-language-server: $schema=../../../schemas/post.schema.json\n"


def test_single_line_text_is_one_quoted_line(run: Runner, repo: Path) -> None:
    result = run("new", "post", "--channel", "news", "--at", "2026-12-03T09:30", "--text",
                 "Rendez-vous: no", "--status", "ready", root=repo)
    assert result.exit_code == 0, result.output
    rel = "calendar/posts/2026-12/rendez-vous-no-20261203.yaml"
    assert result.stdout == f"Wrote {rel}\n"
    assert (repo / rel).read_text("utf-8") == HEAD + (
        'id: "rendez-vous-no-20261203"\n'
        "status: ready\n"
        'publish_at: "2026-12-03T09:30"\n'
        'channels: ["news"]\n'
        'text: "Rendez-vous: no"\n')


def test_multi_line_thread_and_media_post_is_written_as_blocks(run: Runner, repo: Path) -> None:
    text = "Trois réflexes pour rouler de nuit 🌙\n\n#VéloTaf: 10:30"
    (repo / "calendar/media/b.png").write_bytes((repo / "calendar/media/pic.png").read_bytes())
    result = run("new", "post", "--channel", "news", "--channel", "bsky", "--text", text,
                 "--media", "calendar/media/pic.png", "--alt", "Un feu\nallumé",
                 "--media", "./calendar//media/b.png",
                 "--thread", "1/ Le feu avant", "--thread", "2/ Le feu arrière\nmême le jour\n",
                 root=repo)
    rel = "calendar/posts/unscheduled/trois-reflexes-pour-rouler-de-nuit.yaml"
    assert result.exit_code == 1  # validate: an image needs alt text; the file is kept
    assert result.stdout.startswith(f"Wrote {rel}\n{rel}:14:5: error: media[1]: image "
                                    "'calendar/media/b.png' needs alt text")
    assert result.stderr.startswith("warning: --media calendar/media/b.png has no alt "
                                    "text: describe it with --alt (validate requires one "
                                    "for every image)\n")
    assert (repo / rel).read_text("utf-8") == HEAD + (
        'id: "trois-reflexes-pour-rouler-de-nuit"\n'
        "status: draft\n"
        'channels: ["news", "bsky"]\n'
        "text: |-\n"
        "  Trois réflexes pour rouler de nuit 🌙\n"
        "\n"
        "  #VéloTaf: 10:30\n"
        "media:\n"
        '  - path: "calendar/media/pic.png"\n'
        "    alt: |-\n"
        "      Un feu\n"
        "      allumé\n"
        '  - path: "calendar/media/b.png"\n'
        "thread:\n"
        '  - text: "1/ Le feu avant"\n'
        "  - text: |\n"
        "      2/ Le feu arrière\n"
        "      même le jour\n")
    data = load_bytes((repo / rel).read_bytes())
    assert data["text"] == text
    assert data["thread"] == [{"text": "1/ Le feu avant"},
                              {"text": "2/ Le feu arrière\nmême le jour\n"}]
    assert data["media"][0] == {"path": "calendar/media/pic.png", "alt": "Un feu\nallumé"}


@pytest.mark.parametrize(("text", "expected"), [
    ("a\nb", ["text: |-", "  a", "  b"]),
    ("a\nb\n", ["text: |", "  a", "  b"]),
    ("a\nb\n\n\n", ["text: |+", "  a", "  b", "", ""]),
    ("\n\na\n  b", ["text: |-", "", "", "  a", "    b"]),
    ("a\n\tb", ["text: |-", "  a", "  \tb"]),
    ("one line", ['text: "one line"']),
    (" lead\nx", ['text: " lead\\nx"']),  # the first line would set the indentation
    ("\tlead\nx", ['text: "\\tlead\\nx"']),
    ("trail \nx", ['text: "trail \\nx"']),  # editors strip trailing blanks
    ("a\r\nb", ['text: "a\\r\\nb"']),
    ("a\u2028b\nc", ['text: "a\\u2028b\\nc"']),  # a line break to YAML 1.1
    ("a\x85\nc\x7f\ufeff", ['text: "a\\u0085\\nc\\u007f\\ufeff"']),
    ("\n\n", ['text: "\\n\\n"']),
])
def test_block_scalar_or_quoted_fallback(text: str, expected: list[str]) -> None:
    assert scalar("text", text) == expected
    assert loads("\n".join(expected) + "\nnext: 1\n") == {"text": text, "next": 1}


@given(st.text(), st.lists(st.text(st.characters(codec="utf-8"), min_size=1), max_size=3),
       st.text(st.sampled_from(list("ab \t\n\r#:|-'\"\x85\u2028é🌙")), min_size=1))
def test_any_text_loads_back_byte_identical(text: str, thread: list[str], alt: str) -> None:
    post = NewPost("p", ["news"], text, thread=thread, media=[("calendar/media/a.png", alt)])
    data = loads(render(post))
    assert data["text"] == text
    assert [part["text"] for part in data.get("thread", [])] == thread
    assert data["media"] == [{"path": "calendar/media/a.png", "alt": alt}]


@given(st.lists(st.sampled_from(["a", " b", "", "\t", "x ", "- y", "# z", "---", "...",
                                 "key: v", "|", "  "]), min_size=2, max_size=8))
def test_line_shaped_texts_load_back(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert loads(render(NewPost("p", ["news"], text)))["text"] == text


def test_ordinary_multi_line_texts_get_a_block() -> None:
    assert block_fits("Bonjour 👋\n\nÀ demain.\n")
    assert not block_fits("single line")


@pytest.mark.parametrize(("text", "expected"), [
    ("A very long sentence with wonderfully lengthy words appearing here",
     "a-very-long-sentence-with-wonderfully"),
    ("Nouvelle tournée des repair cafés en décembre", "nouvelle-tournee-des-repair-cafes-en"),
    ("x" * 60, "x" * 40),  # one word longer than the limit is still cut
    ("exactly-forty-characters-long-id-abcdefg more", "exactly-forty-characters-long-id-abcdefg"),
    ("!!!", "post"),
])
def test_slug_cuts_at_a_word(text: str, expected: str) -> None:
    assert slug(text) == expected


def test_id_cut_at_a_word_on_the_command_line(run: Runner, repo: Path) -> None:
    result = run("new", "post", "--channel", "news", "--at", "2026-12-03T09:30+01:00",
                 "--text", "Nouvelle tournée des repair cafés en décembre", root=repo)
    assert result.stdout == ("Wrote calendar/posts/2026-12/"
                             "nouvelle-tournee-des-repair-cafes-en-20261203.yaml\n")


EDITOR = """\
import pathlib, sys
target = pathlib.Path(sys.argv[1])
pathlib.Path(sys.argv[0]).with_name("seen.txt").write_text(target.read_text("utf-8"), "utf-8")
target.write_text({body!r} + target.read_text("utf-8"), "utf-8")
"""


def _editor(tmp_path: Path, body: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR.format(body=body), "utf-8")
    return f"{sys.executable} {script}"


def test_no_text_opens_the_editor(run: Runner, repo: Path, tmp_path: Path) -> None:
    editor = _editor(tmp_path, "#VéloTaf ce soir\n\nRendez-vous: 18h\n\n")
    result = run("new", "post", "--channel", "news", "--at", "2026-12-03T18:00", root=repo,
                 env={"VISUAL": None, "EDITOR": editor})
    assert result.exit_code == 0, result.output
    seen = (tmp_path / "seen.txt").read_text("utf-8")
    assert seen == ("\n# ------------------------ >8 ------------------------\n"
                    "# Write the post's text above the scissors line; it and everything "
                    "below it are removed.\n"
                    "# Channels: news. Publish at: 2026-12-03T18:00.\n"
                    "# Line breaks are kept as you write them; blank lines at the end are "
                    "dropped.\n"
                    "# Leave the text empty (or quit without saving) to abort: nothing is "
                    "written.\n")
    rel = "calendar/posts/2026-12/velotaf-ce-soir-rendez-vous-18h-20261203.yaml"
    assert result.stdout.startswith(f"Wrote {rel}\n")
    assert load_bytes((repo / rel).read_bytes())["text"] == "#VéloTaf ce soir\n\nRendez-vous: 18h"


@pytest.mark.parametrize("body", ["", "   \n\n"])
def test_an_empty_editor_text_aborts(run: Runner, repo: Path, tmp_path: Path,
                                     body: str) -> None:
    result = run("new", "post", "--channel", "news", root=repo,
                 env={"VISUAL": _editor(tmp_path, body), "EDITOR": None})
    assert result.exit_code == 1
    assert result.stderr.endswith("Aborted: the editor returned no text; nothing was "
                                  "written.\n")
    assert result.stdout == ""
    assert not (repo / "calendar/posts/unscheduled").exists()


def test_an_editor_closed_without_saving_aborts(run: Runner, repo: Path,
                                                tmp_path: Path) -> None:
    result = run("new", "post", "--channel", "news", root=repo,
                 env={"VISUAL": None, "EDITOR": f"{sys.executable} -c pass"})
    assert result.exit_code == 1
    assert "Aborted: the editor returned no text; nothing was written." in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("--media", "../escape.png"), "'../escape.png' must stay inside the repository: no '..'"),
    (("--media", "/etc/passwd"),
     "'/etc/passwd' must be relative to the repository root (e.g. calendar/media/x.png)"),
    (("--media", "calendar/media/none.png"), "'calendar/media/none.png' does not exist in "
     "the repository (paths are relative to its root)"),
    (("--media", "calendar/media"), "'calendar/media' does not exist in the repository"),
    (("--media", "calendar/media/a\nb.png"), "is not a file name"),
    (("--media", "calendar/media/outside.png"),
     "'calendar/media/outside.png' leads outside the repository (a symbolic link?)"),
    (("--media", "calendar/media/pic.png", "--alt", "a", "--alt", "b"),
     "2 --alt for 1 --media: each --alt describes the --media in the same position"),
    (("--thread", " "), "a thread part needs some text"),
    (("--thread", "x") * 26, "a thread has at most 25 further parts; 26 given"),
    (("--at", "2026-12-03"), "'2026-12-03': write a local time in the channel's zone "
     "(2026-12-03T09:30), a time with an offset (2026-12-03T09:30+01:00) or next-slot"),
    (("--at", "2026-03-29T02:30"), "2026-03-29 02:30 does not exist in Europe/Paris: the "
     "clocks skip it (daylight saving time starts); pick another time (channel news)"),
    (("--at", "2026-02-30T09:00"), "'2026-02-30T09:00' is not a valid date and time "
     "(channel news)"),
    (("--text", "\udcff"), "the text holds bytes that are not UTF-8"),
])
def test_refusals_name_the_option(run: Runner, repo: Path, tmp_path: Path,
                                  args: tuple[str, ...], message: str) -> None:
    (tmp_path / "secret.png").write_bytes(b"x")
    (repo / "calendar/media/outside.png").symlink_to(tmp_path / "secret.png")
    argv = ("new", "post", "--channel", "news", *args)
    if "--text" not in args:
        argv += ("--text", "hello")
    result = run(*argv, root=repo)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split()), result.stderr
    assert not (repo / "calendar/posts/unscheduled").exists()
    assert not (repo / "calendar/posts/2026-12").exists()


def test_at_written_as_given_and_checked_in_each_channel_zone(run: Runner, repo: Path) -> None:
    # 2027-03-14 02:30 is skipped in New York (channel nyc) but exists in Paris.
    result = run("new", "post", "--channel", "news", "--channel", "nyc", "--at",
                 "2027-03-14T02:30", "--text", "x", root=repo)
    assert result.exit_code == 2
    assert "does not exist in America/New_York" in result.stderr
    assert "(channel nyc)" in result.stderr
    slot = run("new", "post", "--channel", "news", "--at", "next-slot", "--text", "Créneau",
               root=repo)
    assert "publish_at: \"next-slot\"\n" in (
        repo / "calendar/posts/unscheduled/creneau.yaml").read_text("utf-8"), slot.output


def test_publish_at_pattern_is_the_schema_one() -> None:
    schema = json.loads((PROJECT / "schemas/post.schema.json").read_text("utf-8"))
    assert f"^({PUBLISH_AT.pattern})$" == schema["properties"]["publish_at"]["pattern"]


def test_help_prints_the_examples_as_written(run: Runner) -> None:
    result = run("new", "post", "--help")
    assert result.exit_code == 0
    assert ("  Example:\n\n"
            "      cmops new post --channel bluesky-main --channel newsroom \\\n"
            "          --at 2026-12-03T09:30 --text \"Nouvelle tournée des repair cafés\" \\\n"
            "          --link https://lumen-velo.example/repair-cafe\n") in result.stdout
    assert "--thread \"2/ Rear light on, even by day.\" --id night-tips\n" in result.stdout
    options = re.findall(r"^  (--[a-z-]+)", result.stdout, re.M)
    assert options == ["--channel", "--at", "--text", "--id", "--campaign", "--status",
                       "--media", "--alt", "--link", "--thread"]


def test_refusals_come_before_the_editor_opens(run: Runner, repo: Path, tmp_path: Path) -> None:
    editor = _editor(tmp_path, "Texte écrit pour rien")
    for args in (("--id", "../x"), ("--channel", "fax"), ("--media", "none.png"),
                 ("--at", "tomorrow")):
        result = run("new", "post", "--channel", "news", *args, root=repo,
                     env={"VISUAL": editor, "EDITOR": None})
        assert result.exit_code == 2, (args, result.output)
        assert not (tmp_path / "seen.txt").exists(), args


def test_a_file_name_taken_by_another_id_gets_a_fresh_one(run: Runner, repo: Path) -> None:
    (repo / "calendar/posts/hello.yaml").write_text(
        "id: other\nstatus: draft\nchannels: [news]\ntext: x\n", "utf-8")
    result = run("new", "post", "--channel", "news", "--text", "Hello", root=repo)
    assert result.stdout == "Wrote calendar/posts/unscheduled/hello-2.yaml\n"


def test_text_from_stdin_and_a_file_too_large_to_read_is_not_written(run: Runner,
                                                                     repo: Path) -> None:
    piped = run("new", "post", "--channel", "news", "--text", "-", root=repo,
                input="Depuis un tube\nsur deux lignes\n")
    assert piped.stdout == "Wrote calendar/posts/unscheduled/depuis-un-tube-sur-deux-lignes.yaml\n"
    assert (repo / "calendar/posts/unscheduled/depuis-un-tube-sur-deux-lignes.yaml").read_text(
        "utf-8").endswith('text: |-\n  Depuis un tube\n  sur deux lignes\n')
    huge = run("new", "post", "--channel", "news", "--text", "-", "--id", "huge", root=repo,
               input="mot " * 70000)
    assert huge.exit_code == 2
    assert ("calendar/posts/unscheduled/huge.yaml would be 280118 bytes; cmops reads files "
            "of at most 262144 bytes: shorten the text") in " ".join(huge.stderr.split())
    assert not (repo / "calendar/posts/unscheduled/huge.yaml").exists()


def test_text_from_standard_input_is_bounded(run: Runner, repo: Path) -> None:
    from cmops.yamlsafe import MAX_BYTES

    piped = run("new", "post", "--channel", "news", "--text", "-", root=repo,
                input="  Bonjour d'un tube 🚲\n\n")
    assert piped.exit_code == 0, piped.output
    written = next((repo / "calendar/posts/unscheduled").glob("*.yaml"))
    assert load_bytes(written.read_bytes())["text"] == "Bonjour d'un tube 🚲"
    flood = run("new", "post", "--channel", "news", "--text", "-", root=repo,
                input="x" * (2 * MAX_BYTES + 10))
    assert flood.exit_code == 2
    assert f"standard input is longer than {2 * MAX_BYTES} characters; a post file holds at " \
        f"most {MAX_BYTES} bytes" in " ".join(flood.stderr.split())


def test_a_channel_given_twice_is_listed_once(run: Runner, repo: Path) -> None:
    result = run("new", "post", "--channel", "news", "--channel", "bsky", "--channel", "news",
                 "--text", "Once each", root=repo)
    assert result.exit_code == 0, result.output
    written = next((repo / "calendar/posts/unscheduled").glob("once-each*.yaml"))
    assert load_bytes(written.read_bytes())["channels"] == ["news", "bsky"]
