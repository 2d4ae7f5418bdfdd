"""YAML errors name the likely fix, keeping the parser's line and column (issue 20)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import Runner

from cmops.yamlsafe import YamlError, loads

QUOTE_PAIR = "(inside '…' write a ' as '', inside \"…\" write a \" as \\\")"


def _err(text: str) -> YamlError:
    with pytest.raises(YamlError) as info:
        loads(text)
    return info.value


@pytest.mark.parametrize(("text", "where", "message"), [
    ("id: a\ntext: Launch day: join us\n", (2, 17),
     "YAML syntax error: mapping values are not allowed in this context; quote the text: it "
     "contains ': '"),
    ("id: a\ntext: Note:\n", (2, 11),
     "YAML syntax error: mapping values are not allowed in this context; quote the text: it "
     "contains ':' at the end of a line"),
    ("id: a\ntext: Hello\n  more: x\n", (3, 7),
     "YAML syntax error: mapping values are not allowed in this context; if this line is a "
     "field, indent it like the fields above; if it is text, quote the text: it contains ': '"),
    ("id: a\nmedia:\n\t- path: x\n", (3, 1),
     "YAML syntax error: found character that cannot start any token while scanning for the "
     "next token; indent with spaces: YAML does not allow tabs for indentation"),
    ("id: a\nthread:\n  - text: a\n\t  media: []\n", (4, 1),
     "YAML syntax error: found a tab character that violates indentation while scanning a "
     "plain scalar that starts on line 3, column 11; indent with spaces: YAML does not allow "
     "tabs for indentation"),
    ('id: a\ntext: "Hello world\nstatus: draft\n', (4, 1),
     "YAML syntax error: found unexpected end of stream while scanning a quoted scalar that "
     f"starts on line 2, column 7; close the quote {QUOTE_PAIR}"),
    ("id: a\ntext: 'it's here'\n", (2, 11),
     "YAML syntax error: did not find expected key while parsing a block mapping that starts "
     "on line 1, column 1; the value begins with a quote, so it ends at the next quote: quote "
     f"the whole text {QUOTE_PAIR} or write it as a block (text: | and the text on the lines "
     "below)"),
    ("id: a\ntext: @camille says hi\n", (2, 7),
     "YAML syntax error: found character that cannot start any token while scanning for the "
     "next token; '@' is reserved in YAML and cannot begin a plain value: quote the text"),
    ("id: a\ntext: `npm i` today\n", (2, 7),
     "YAML syntax error: found character that cannot start any token while scanning for the "
     "next token; '`' is reserved in YAML and cannot begin a plain value: quote the text"),
    ("id: a\ntext: *bold text\n", (2, 7),
     "YAML syntax error: found undefined alias; '*' begins an alias in YAML: quote the text"),
    ("id: a\ntext: - item one\n", (2, 7),
     "YAML syntax error: block sequence entries are not allowed in this context; a value "
     "beginning with '- ' is read as a list: quote the text (or put the list items on the "
     "lines below, indented)"),
    ("id: a\ntext: Hello\n- item\n", (3, 1),
     "YAML syntax error: did not find expected key while parsing a block mapping that starts "
     "on line 1, column 1; a list item ('- ') where a field was expected: indent it under the "
     "field it belongs to"),
    ("id: a\nchannels: [news\ntext: x\n", (3, 5),
     "YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence that "
     "starts on line 2, column 11; close the '[' with ']', or, if the value is text beginning "
     "with '[', quote the text"),
    ("id: a\ntext: | hi\n", (2, 9),
     "YAML syntax error: did not find expected comment or line break while scanning a block "
     "scalar; after | or > (and an optional - or +) the line must end: the text goes on the "
     "lines below, indented"),
])
def test_syntax_errors_name_the_fix(text: str, where: tuple[int, int], message: str) -> None:
    err = _err(text)
    assert (err.rule, (err.line, err.column), err.message) == ("yaml.syntax", where, message)


def test_refused_constructs_say_to_quote_text() -> None:
    tag = _err("id: a\ntext: !important news\n")
    assert (tag.rule, tag.line, tag.column, tag.message) == (
        "yaml.tag", 2, 7,
        "custom YAML tags are not allowed (found '!important'); if '!' begins the text, "
        "quote the text")
    anchor = _err("id: a\ntext: &more\n")
    assert (anchor.rule, anchor.message) == (
        "yaml.alias", "anchors and aliases (&name / *name) are not allowed; write the value "
                      "out in full (if '&' begins the text, quote the text)")


def test_duplicate_key_names_the_first_line() -> None:
    err = _err("id: a\ntext: one\ntext: two\n")
    assert (err.rule, err.line, err.column, err.message) == (
        "yaml.duplicate-key", 3, 1, "duplicate key 'text' (first defined on line 2)")


def test_no_hint_where_the_cause_is_unclear() -> None:
    err = _err("a: b\n c\nd: [1, 2]]\n")
    assert "; " not in err.message.removeprefix("YAML syntax error: ")


def test_the_fixes_it_names_load() -> None:
    assert loads("text: 'Launch day: join us'\n") == {"text": "Launch day: join us"}
    assert loads("text: 'it''s here'\n") == {"text": "it's here"}
    assert loads("text: '@camille says hi'\n") == {"text": "@camille says hi"}


def test_validate_shows_the_hint_at_file_line_column(run: Runner, repo: Path) -> None:
    (repo / "calendar/posts/a.yaml").write_text(
        "id: a\nstatus: draft\nchannels: [news]\ntext: Launch day: join us\n", "utf-8")
    result = run("validate", "--format", "github", root=repo)
    assert result.exit_code == 1
    assert ("::error file=calendar/posts/a.yaml,line=4,col=17,title=yaml.syntax::YAML syntax "
            "error: mapping values are not allowed in this context; quote the text: it "
            "contains ': '") in result.stdout
