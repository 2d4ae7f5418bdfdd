from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cmops.cli import cli

EXAMPLES = Path(__file__).parent / "examples"
PROJECT = Path(__file__).parent.parent


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh copy of the minimal valid content repository."""
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "base", root)
    return root


Runner = Callable[..., Result]


@pytest.fixture
def run() -> Runner:
    """Run the CLI in-process; exit codes and output exactly as a user sees them."""

    def invoke(*args: str, root: Path | None = None, **kwargs: Any) -> Result:
        argv = (["--root", str(root)] if root else []) + list(args)
        try:
            return CliRunner().invoke(cli, argv, catch_exceptions=False, **kwargs)
        except SystemExit as exc:  # our group exits itself (standalone handling)
            raise AssertionError(f"unexpected SystemExit {exc.code}") from exc

    return invoke


def json_out(result: Result) -> Any:
    return json.loads(result.stdout)
