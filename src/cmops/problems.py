"""Problems found in content are values, collected and reported together, never raised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

Path = tuple[str | int, ...]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


def format_path(path: Sequence[str | int]) -> str:
    """``("media", 0, "alt")`` -> ``media[0].alt`` (what a person reads in an error)."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif out:
            out += f".{step}"
        else:
            out = str(step)
    return out


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one file, located as precisely as we can."""

    file: str
    """Path relative to the repository root, with forward slashes."""
    line: int
    column: int
    path: str
    """The field, as a JSON path such as ``media[0].alt`` (empty for the whole file)."""
    rule: str
    message: str
    severity: Severity = Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.rule)

    def as_json(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "column": self.column,
                "path": self.path, "rule": self.rule, "message": self.message}


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem before it has a line: rules say *which field*, the locator says *where*."""

    file: str
    path: Path
    rule: str
    message: str
    severity: Severity = Severity.ERROR
    at_key: bool = False
    """Point at the field's key (e.g. an unknown field) rather than at its value."""
