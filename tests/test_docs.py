"""The documentation: the generated reference pages are current and complete, and the site
builds with ``mkdocs build --strict`` and needs nothing from the network."""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click
import pytest
from tools import docgen

from cmops import cli as cli_module
from cmops.rules import RULE_DOCS
from cmops.schemas import SCHEMA_NAMES, load_schema

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
REGENERATE = "regenerate with: python tools/docgen.py"


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return docgen.generate()


# -- (a) the generated pages on disk are what the code produces now --------------------------


@pytest.mark.parametrize("rel", docgen.PAGES)
def test_generated_page_is_up_to_date(rel: str, generated: dict[str, str]) -> None:
    path = DOCS / rel
    if not path.is_file():
        pytest.fail(f"docs/{rel} is missing; {REGENERATE}")
    current = path.read_bytes().decode("utf-8")
    if current != generated[rel]:
        diff = list(difflib.unified_diff(current.splitlines(), generated[rel].splitlines(),
                                         f"docs/{rel} (on disk)", "generated now", lineterm="",
                                         n=0))
        shown = "\n".join(diff[:30]) + ("\n…" if len(diff) > 30 else "")
        pytest.fail(f"docs/{rel} is out of date with the code; {REGENERATE}\n{shown}",
                    pytrace=False)


def test_generation_is_deterministic(generated: dict[str, str]) -> None:
    assert docgen.generate() == generated


def test_write_all_writes_only_what_changed(tmp_path: Path) -> None:
    written = docgen.write_all(tmp_path)
    assert sorted(written) == sorted(tmp_path / rel for rel in docgen.PAGES)
    assert docgen.write_all(tmp_path) == []
    assert docgen.main([str(tmp_path), "--check"]) == 0
    (tmp_path / "reference" / "cli.md").write_text("stale\n", "utf-8")
    assert docgen.main([str(tmp_path), "--check"]) == 1
    assert docgen.write_all(tmp_path) == [tmp_path / "reference" / "cli.md"]
    assert not list(tmp_path.rglob("*.tmp")), "atomic writes leave no temporary file"


def test_readme_network_table_follows_the_declarations(tmp_path: Path) -> None:
    from cmops.text.limits import NETWORKS

    readme = (ROOT / "README.md").read_text("utf-8")
    assert docgen.readme_with_table(readme) == readme, \
        f"README.md's network table is out of date with the declarations; {REGENERATE}"
    table = readme.split(docgen.TABLE_START)[1].split(docgen.TABLE_END)[0]
    rows = {cells[0].strip("`"): cells[1:] for line in table.splitlines()
            if line.startswith("| `") for cells in [line.strip("| ").split(" | ")]}
    def yes(flag: bool) -> str:
        return "yes" if flag else "no"

    assert rows == {name: ["yes" if any(m.startswith("video/") for m in r.media.mime_types)
                           else "not yet" if any(m.startswith("video/") for m in r.media.pending)
                           else "no", yes(r.first_comment), yes(r.edits), yes(r.deletes),
                           "no" if not r.replies else "yes" if r.reply_media else "comment"]
                    for name, r in NETWORKS.items()}
    assert rows["instagram"][2:] == ["no", "no", "comment"]  # what its API offers cmops
    # A README whose table drifted (one cell flipped) fails --check; regenerating fixes it.
    docs = tmp_path / "docs"
    docgen.write_all(docs)
    name, (video, comment, *rest) = next(iter(rows.items()))
    tail = "".join(f" {cell} |" for cell in rest)
    row = f"| `{name}` | {video} | {comment} |{tail}"
    flipped = f"| `{name}` | {video} | {'no' if comment == 'yes' else 'yes'} |{tail}"
    (tmp_path / "README.md").write_text(readme.replace(row, flipped, 1), "utf-8")
    assert docgen.main([str(docs), "--check"]) == 1
    assert docgen.write_all(docs) == [tmp_path / "README.md"]
    assert (tmp_path / "README.md").read_text("utf-8") == readme
    assert docgen.main([str(docs), "--check"]) == 0
    (tmp_path / "README.md").write_text(readme.replace(docgen.TABLE_START, ""), "utf-8")
    assert docgen.main([str(docs), "--check"]) == 1  # the markers are gone


def test_every_generated_page_says_it_is_generated(generated: dict[str, str]) -> None:
    for rel, text in generated.items():
        first = text.splitlines()[0]
        assert first.startswith("<!--") and "python tools/docgen.py" in first, rel


# -- (b) nothing is undocumented --------------------------------------------------------------


def _properties(node: Any) -> Iterator[str]:
    """The name of every property declared anywhere in a schema (including $defs)."""
    if isinstance(node, Mapping):
        props = node.get("properties")
        if isinstance(props, Mapping):
            yield from props
        for value in node.values():
            yield from _properties(value)
    elif isinstance(node, list):
        for value in node:
            yield from _properties(value)


def _yaml_section(text: str, name: str) -> str:
    for section in text.split("\n## ")[1:]:
        if f"`schemas/{name}.schema.json`" in section:
            return section
    raise AssertionError(f"docs/reference/yaml.md has no section for the {name} schema; "
                         f"{REGENERATE}")


_ROW_FIELD = re.compile(r"^\| (?:`([^`]+)`|<code>(.*?)</code>) \|", re.MULTILINE)


def test_every_shipped_schema_is_documented(generated: dict[str, str]) -> None:
    shipped = {p.name.removesuffix(".schema.json")
               for p in (ROOT / "src" / "cmops" / "schemas").glob("*.schema.json")}
    assert shipped <= set(SCHEMA_NAMES), "a schema file is missing from SCHEMA_NAMES"
    for name in SCHEMA_NAMES:
        _yaml_section(generated["reference/yaml.md"], name)


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_schema_property_is_in_the_yaml_reference(name: str,
                                                        generated: dict[str, str]) -> None:
    section = _yaml_section(generated["reference/yaml.md"], name)
    documented = {re.split(r"\.|\[\]", m[0] or m[1])[-1] or (m[0] or m[1])
                  for m in _ROW_FIELD.findall(section)}
    missing = sorted(set(_properties(load_schema(name))) - documented)
    assert not missing, f"{name} schema fields missing from docs/reference/yaml.md: {missing}"


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_schema_field_has_a_description(name: str) -> None:
    undescribed = [f.path for f in docgen.schema_fields(load_schema(name))
                   if not f.description.strip()]
    assert not undescribed, (f"add a description to these fields of {name}.schema.json "
                             f"(the docs and editors show it): {undescribed}")


def test_every_rule_is_in_the_rules_reference(generated: dict[str, str]) -> None:
    text = generated["reference/rules.md"]
    missing = [rule for rule in RULE_DOCS if f"`{rule}`" not in text]
    assert not missing, f"rules missing from docs/reference/rules.md: {missing}"


_RULE_LITERAL = re.compile(
    r'"((?:post|campaign|channel|media|text|secrets|time|yaml|file|schema)\.[a-z][a-z-]*)"')


def test_every_rule_id_the_code_reports_is_documented(generated: dict[str, str]) -> None:
    """Rules the loader reports (yaml.*, schema.*, file.*) are not in RULE_DOCS; they must
    still have a sentence in the reference, where users look up the id they were shown."""
    text = generated["reference/rules.md"]
    found = {match for path in (ROOT / "src" / "cmops").rglob("*.py")
             for match in _RULE_LITERAL.findall(path.read_text("utf-8"))}
    assert found, "the scan for rule ids found nothing: has the code moved?"
    missing = sorted(rule for rule in found if f"`{rule}`" not in text)
    assert not missing, (f"rule ids reported by the code but not documented: {missing}; add "
                         "them to RULE_DOCS (or docgen._loader_rules) and regenerate")


def _commands(command: click.Command, path: str) -> Iterator[tuple[str, click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            if not sub.hidden:
                yield from _commands(sub, f"{path} {name}")


def test_every_command_and_option_is_in_the_cli_reference(generated: dict[str, str]) -> None:
    text = generated["reference/cli.md"]
    commands = list(_commands(cli_module.cli, "cmops"))
    assert {path for path, _ in commands} >= {"cmops validate", "cmops plan", "cmops pause",
                                              "cmops resume"}
    for path, command in commands:
        assert f"## `{path}`" in text, f"command {path!r} missing from docs/reference/cli.md"
        section = text.split(f"## `{path}`", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                for opt in param.opts:
                    assert re.search(rf"`[^`]*{re.escape(opt)}\b[^`]*`", section), \
                        f"option {opt} of {path!r} missing from docs/reference/cli.md"
    for name, value in vars(cli_module).items():
        if name.startswith("EXIT_"):
            assert f"\n| {value} | " in text, f"exit code {name}={value} is not documented"


# -- Markdown escaping --------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("publish_at: next-slot", r"publish\_at: next-slot"),
    ("Default .cmops/outbox/<channel>.", "Default .cmops/outbox/&lt;channel&gt;."),
    ("{network} and *stars* | pipes", r"\{network\} and \*stars\* \| pipes"),
    ("a\n  b", "a b"),
])
def test_md_text_renders_literally(raw: str, expected: str) -> None:
    assert docgen.md_text(raw) == expected


def test_md_code_never_breaks_a_table() -> None:
    assert docgen.md_code(r"^\d{4}$") == r"`^\d{4}$`"
    assert docgen.md_code("a|b") == r"<code>a\|b</code>"
    assert docgen.md_paragraph("# not a heading").startswith("\\#")
    assert docgen.md_paragraph("- not a list").startswith("\\-")


# -- (c) and (d): the site builds strictly, offline --------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
         "-d", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed (exit {result.returncode}) after "
                    f"{elapsed:.1f}s:\n{result.stdout}\n{result.stderr}", pytrace=False)
    return out


def test_site_builds_strictly(site: Path) -> None:
    page = site / "guide" / "writing-posts" / "index.html"
    assert page.is_file()
    html = page.read_text("utf-8")
    assert 'id="common-validation-errors"' in html
    assert "Writing posts" in html
    for rel in docgen.PAGES:
        assert (site / rel.removesuffix(".md") / "index.html").is_file(), rel


_EXTERNAL_ASSET = re.compile(
    r"<(?:script|img|iframe|source)\b[^>]*\bsrc=[\"'](?:https?:)?//"
    r"|<link\b[^>]*\bhref=[\"'](?:https?:)?//", re.IGNORECASE)


def test_site_loads_nothing_from_the_network(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert site / "index.html" in pages
    for page in pages:
        html = page.read_text("utf-8")
        rel = page.relative_to(site)
        match = _EXTERNAL_ASSET.search(html)
        assert match is None, f"{rel} loads an external asset: {match and match.group(0)}"
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html, \
            f"{rel} uses Google Fonts (set theme.font: false)"
        # Material fetches Mermaid from a CDN at view time when a page has a diagram.
        assert 'class="mermaid"' not in html, \
            f"{rel} has a Mermaid diagram, which Material loads from unpkg.com; vendor " \
            "mermaid.min.js via extra_javascript first"
