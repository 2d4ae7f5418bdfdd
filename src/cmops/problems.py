"""Problems found in content are values, collected and reported together, never raised."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
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

    def sort_key(self) -> tuple[str, bool, int, int, str]:
        """By file, then position; a file's :data:`MORE` count comes last."""
        return (self.file, self.rule == MORE, self.line, self.column, self.rule)

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


MAX_PER_FILE = 20
"""Problems reported per file; past it, one more problem says how many were left out. A file
with 20,000 unknown fields is one mistake, not 20,000 lines of CI log."""
MAX_MESSAGE = 1000
"""Characters of one message (a 250 KB value quoted back is cut)."""
MORE = "file.more-problems"
_HIDDEN = re.compile(r"and ([0-9]+) more")


def cap(problems: Iterable[Problem], limit: int = MAX_PER_FILE) -> list[Problem]:
    """At most ``limit`` problems per file, the first by position, then one :data:`MORE`
    problem with the count of the others (an error when any of them is). Capping capped
    problems again adds the counts up. Messages longer than :data:`MAX_MESSAGE` are cut."""
    by_file: dict[str, list[Problem]] = {}
    for problem in problems:
        by_file.setdefault(problem.file, []).append(problem)
    out: list[Problem] = []
    for file, found in by_file.items():
        shown = sorted((p for p in found if p.rule != MORE), key=Problem.sort_key)
        earlier = [p for p in found if p.rule == MORE]
        hidden = sum(int(m[1]) for p in earlier if (m := _HIDDEN.search(p.message)))
        error = any(p.severity is Severity.ERROR for p in earlier)
        left = shown[limit:]
        hidden += len(left)
        error = error or any(p.severity is Severity.ERROR for p in left)
        shown = shown[:limit]
        out.extend(_cut(p) for p in shown)
        if hidden:
            line, column = (shown[-1].line, shown[-1].column) if shown else (1, 1)
            out.append(Problem(file, line, column, "", MORE,
                               f"and {hidden} more problems in this file: cmops shows the first "
                               f"{limit} of each file; fix these and run it again",
                               Severity.ERROR if error else Severity.WARNING))
    return out


def _cut(problem: Problem) -> Problem:
    if len(problem.message) <= MAX_MESSAGE:
        return problem
    return replace(problem, message=problem.message[:MAX_MESSAGE - 1] + "…")
