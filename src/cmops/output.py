"""Renderers for validation reports: text for people, GitHub annotations, JSON for tools."""

from __future__ import annotations

import json

from cmops.problems import Problem, Severity
from cmops.validate import Report


def _escape_data(text: str) -> str:
    # https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts: a newline in
    # a message would end the command and let post text start one of its own.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(report: Report) -> str:
    lines = []
    for p in report.problems:
        level = "error" if p.severity is Severity.ERROR else "warning"
        title = _escape_property(f"{p.rule}" + (f" ({p.path})" if p.path else ""))
        lines.append(f"::{level} file={_escape_property(p.file)},line={p.line},col={p.column},"
                     f"title={title}::{_escape_data(p.message)}")
    lines.append(_summary(report))
    return "\n".join(lines)


def _problem_line(p: Problem) -> str:
    field = f" {p.path}:" if p.path else ""
    return f"{p.file}:{p.line}:{p.column}: {p.severity.value}:{field} {p.message} [{p.rule}]"


def _summary(report: Report) -> str:
    errors, warnings = len(report.errors), len(report.warnings)
    files = len({p.file for p in report.problems if p.severity is Severity.ERROR})
    if errors:
        return (f"{errors} error{'s' * (errors != 1)} in {files} file{'s' * (files != 1)}"
                f", {warnings} warning{'s' * (warnings != 1)} ({report.files} files checked)")
    suffix = f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""
    return f"{report.files} files valid{suffix}"


def text(report: Report) -> str:
    return "\n".join([*map(_problem_line, report.problems), _summary(report)])


def as_json(report: Report) -> str:
    return json.dumps({
        "ok": report.ok,
        "files": report.files,
        "errors": [p.as_json() for p in report.errors],
        "warnings": [p.as_json() for p in report.warnings],
    }, indent=2, ensure_ascii=False)


RENDERERS = {"text": text, "github": github, "json": as_json}
