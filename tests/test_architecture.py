"""Which parts may import which (the map in ``src/cmops/__init__.py``), checked on the
source: every import, including those inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

CORE = ("cmops.answers", "cmops.replyto", "cmops.model", "cmops.schedule", "cmops.render",
        "cmops.text", "cmops.rules", "cmops.validate", "cmops.plan", "cmops.kpi", "cmops.gate",
        "cmops.ids", "cmops.diff", "cmops.problems", "cmops.yamlsafe", "cmops.content")
EDGES = ("cmops.adapters", "cmops.stores", "cmops.report", "cmops.cli")
RULES: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (CORE, (*EDGES, "httpx", "click", "subprocess")),
    (("cmops.adapters",), ("cmops.stores", "cmops.report", "cmops.cli")),
    (("cmops.stores",), ("cmops.adapters", "cmops.report", "cmops.cli")),
    (("cmops.report",), ("cmops.adapters", "cmops.cli", "cmops.ga4")),
]
ALLOWED = {("cmops.validate", "cmops.linkcheck")}
"""validate --check-links: the one opt-in door from the core to the network."""


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def imports() -> list[tuple[str, str, int]]:
    found = []
    for path in sorted((SRC / "cmops").rglob("*.py")):
        here = _module(path)
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            found += [(here, name, node.lineno) for name in names]
    return found


def test_the_map_is_kept() -> None:
    broken = [f"{here} imports {name} (line {line})"
              for here, name, line in imports() for owners, banned in RULES
              if _under(here, owners) and _under(name, banned)
              and (here, name) not in ALLOWED
              and not any(name.startswith(f"{a}.") for h, a in ALLOWED if h == here)]
    assert broken == []


@pytest.mark.parametrize(("here", "name"), [("cmops.plan", "cmops.adapters.x"),
                                            ("cmops.rules.media", "httpx"),
                                            ("cmops.adapters.x", "cmops.stores.git"),
                                            ("cmops.report.html", "cmops.adapters")])
def test_the_check_would_catch_a_forbidden_import(here: str, name: str) -> None:
    assert any(_under(here, owners) and _under(name, banned) for owners, banned in RULES)


def test_every_module_is_seen() -> None:
    modules = {here for here, _, _ in imports()}
    assert {"cmops.plan", "cmops.adapters.mastodon", "cmops.report.html",
            "cmops.stores.git", "cmops.cli", "cmops.cli.publish"} <= modules


def test_the_cli_is_one_package_and_nothing_below_imports_it() -> None:
    """Every command is a module of ``cmops.cli``; no library module reaches up into it."""
    assert not (SRC / "cmops" / "commands").exists()
    upward = [f"{here} imports {name} (line {line})" for here, name, line in imports()
              if _under(name, ("cmops.cli",)) and not _under(here, ("cmops.cli",))
              and here != "cmops.__main__"]
    assert upward == []
