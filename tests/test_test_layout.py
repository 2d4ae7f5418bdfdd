"""The layout of the tests themselves: shared helpers live in tests/helpers.py, tests/fakes/,
tests/conftest.py and the other non-test modules of tests/, never in a test module, so no test
module imports from another (a test module imported by another runs its fixtures and
collection side effects twice, and its private helpers become an API nobody maintains)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _is_test_module(name: str) -> bool:
    return name.split(".")[0] == "tests" and len(name.split(".")) == 2 and \
        name.split(".")[1].startswith("test_")


def cross_imports(root: Path) -> list[str]:
    """``file:line: module`` for every import of a ``tests.test_*`` module, or of a name from
    one, in the Python files of ``root`` and ``root/fakes`` (test modules, helpers and fakes;
    not the node_modules of tests/pds)."""
    found = []
    for path in sorted([*root.glob("*.py"), *root.glob("fakes/*.py")]):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.ImportFrom):  # relative: from . import test_x
                names = [f"tests.{a.name}" for a in node.names if node.module is None]
                names += [f"tests.{node.module}"] if node.module else []
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            bad = [n for n in names if _is_test_module(".".join(n.split(".")[:2]))
                   and n.split(".")[0] == "tests"]
            if bad:
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {bad[0]}")
    return found


def test_no_test_module_imports_another() -> None:
    assert cross_imports(TESTS) == []


def test_the_check_sees_each_form_of_import(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_a.py").write_text(
        "import tests.test_b\nfrom tests.test_b import x\nfrom tests import test_b\n"
        "from .test_b import y\nfrom tests.helpers import z\nimport tests.fakes.x\n", "utf-8")
    assert cross_imports(tests) == [
        "tests/test_a.py:1: tests.test_b", "tests/test_a.py:2: tests.test_b",
        "tests/test_a.py:3: tests.test_b", "tests/test_a.py:4: tests.test_b"]
