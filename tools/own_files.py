"""Rewrite this repository's own workflows and action from the ``cmops init`` templates.

The workflows under ``.github/`` are the ones ``cmops init`` writes for a new brand's
repository, with this repository's local action; ``tests/test_workflows.py`` fails when they
drift from the templates in ``src/cmops/templates/``. After editing a template, run from the
repository root::

    python tools/own_files.py
"""

from __future__ import annotations

from pathlib import Path

from cmops.cli.init import write_own_files


def main() -> None:
    for rel in write_own_files(Path.cwd()):
        print(f"rewrote {rel}")


if __name__ == "__main__":
    main()
