"""The loader refuses what could hurt and keeps what was written."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from cmops import yamlsafe
from cmops.yamlsafe import YamlError, load_bytes, loads, locate


def _err(text: str) -> YamlError:
    with pytest.raises(YamlError) as info:
        loads(text)
    return info.value


@pytest.mark.parametrize(("written", "loaded"), [
    ("no", "no"), ("NO", "NO"), ("on", "on"), ("off", "off"), ("yes", "yes"), ("y", "y"),
    ("10:30", "10:30"), ("1:1:1", "1:1:1"), ("2024-05-01", "2024-05-01"),
    ("2024-05-01 10:00:00", "2024-05-01 10:00:00"), ("0o17", "0o17"), ("0x1F", "0x1F"),
    ("1_000", "1_000"), ("'007'", "007"), ("true", True), ("False", False), ("~", None),
    ("null", None), ("12", 12), ("-3", -3), ("1.5", 1.5), ("1e3", 1000.0), ('"yes"', "yes"),
    (".inf", ".inf"),
])
def test_yaml_1_2_core_typing_only(written: str, loaded: object) -> None:
    assert loads(f"v: {written}\n") == {"v": loaded}


def test_duplicate_key_names_both_lines() -> None:
    err = _err("id: a\ntext: one\nstatus: draft\ntext: two\n")
    assert (err.rule, err.line, err.column) == ("yaml.duplicate-key", 4, 1)
    assert "line 2" in err.message
    assert err.path == ("text",)


def test_nested_duplicate_key() -> None:
    err = _err("a:\n  b: 1\n  b: 2\n")
    assert (err.rule, err.line, err.column, err.path) == ("yaml.duplicate-key", 3, 3, ("a", "b"))


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n", "a: &x 1\n", "a: [&x 1, 2]\n", "a: &x {b: 1}\nc: *x\n",
])
def test_anchors_and_aliases_refused(text: str) -> None:
    assert _err(text).rule == "yaml.alias"


def test_merge_key_refused_but_quoted_key_allowed() -> None:
    assert _err("<<: {a: 1}\n").rule == "yaml.merge-key"
    assert loads("'<<': x\n") == {"<<": "x"}


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['true']", "!!binary aGk=",
                                 "!custom x", "!!set {a}", "!!timestamp 2024-01-01"])
def test_custom_tags_refused(tag: str) -> None:
    assert _err(f"a: {tag}\n").rule == "yaml.tag"


def test_tag_payload_never_runs(tmp_path: Path) -> None:
    canary = tmp_path / "pwned"
    _err(f"a: !!python/object/apply:os.system ['touch {canary}']\n")
    assert not canary.exists()


def test_billion_laughs_is_refused_fast_with_bounded_memory() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    text = "\n".join(lines) + "\n"
    assert len(text) < 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    err = _err(text)
    assert time.perf_counter() - start < 1.0
    assert err.rule == "yaml.alias" and err.line == 1
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 100 * 1024


def test_size_limit() -> None:
    data = b"text: " + b"x" * (yamlsafe.MAX_BYTES + 1)
    with pytest.raises(YamlError) as info:
        load_bytes(data)
    assert info.value.rule == "yaml.too-large"


@pytest.mark.parametrize("text", ["a: " + "[" * 10_000 + "]" * 10_000,
                                  "- " * 10_000 + "x\n",
                                  "a: " + "[" * 40 + "]" * 40])
def test_deep_nesting_is_an_error_not_a_crash(text: str) -> None:
    assert _err(text).rule == "yaml.too-deep"


def test_not_utf8() -> None:
    with pytest.raises(YamlError) as info:
        load_bytes(b"id: a\ntext: caf\xe9\n")
    assert (info.value.rule, info.value.line) == ("yaml.encoding", 2)


def test_syntax_error_has_position() -> None:
    err = _err("a: [1, 2\nb: 3\n")
    assert err.rule == "yaml.syntax" and err.line == 2


def test_multiple_documents_refused() -> None:
    assert _err("a: 1\n---\nb: 2\n").rule == "yaml.syntax"


def test_non_scalar_key_refused() -> None:
    assert _err("? [a, b]\n: 1\n").rule == "yaml.key"


def test_locate_values_keys_and_missing_paths() -> None:
    text = "id: a\nmedia:\n  - path: x.png\n    alt: hi\nvariants:\n  x: {text: t}\n"
    assert locate(text, ("media", 0, "alt")) == (4, 10)
    assert locate(text, ("media", 0)) == (3, 5)
    assert locate(text, ("variants", "x"), at_key=True) == (6, 3)
    assert locate(text, ("media", 5)) == (3, 3)        # nearest existing parent
    assert locate(text, ("nope",)) == (1, 1)
    assert locate(text, ()) == (1, 1)
