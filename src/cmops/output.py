"""Renderers for validation reports (text for people, GitHub annotations, JSON for tools),
and for the results of a publish run and a collect run (a table for people, JSON for tools).

The commands parse options, call the library, and print what these return."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cmops.problems import Problem, Severity
from cmops.validate import Report

if TYPE_CHECKING:
    from cmops.collect import CollectResult
    from cmops.kpi import Kpis
    from cmops.publish import Outcome
    from cmops.publish import Report as PublishReport


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


SYMBOL = {"published": "✓", "failed": "✗", "needs_human": "!", "expired": "⌛",
          "pending": "…", "deferred": "…", "not_configured": "-", "skipped": "·", "due": "→",
          "invalid": "⊘", "withdrawn": "⌫", "withdraw": "→", "edited": "✎", "edit": "→"}
"""The mark of each outcome state in a publish run's progress lines."""


def publish_progress(outcome: Outcome, redact: Callable[[str], str] = str) -> str:
    """The progress line(s) of one outcome of a publish run (stderr); ``redact`` is applied
    to what came from the network (the link, the error, the warnings)."""
    detail = outcome.url or outcome.error or ""
    lines = [f"  {SYMBOL.get(outcome.state, '?')} {outcome.state:<14} "
             f"{outcome.key:<40} {redact(detail)}"]
    lines.extend(f"    warning: {redact(warning)}" for warning in outcome.warnings)
    return "\n".join(lines)


def publish_table(result: PublishReport) -> str:
    """A publish run for people: the time, the ledger, one line per outcome, the counts."""
    head = ("Dry run: nothing sent. " if result.dry_run else "") + \
        f"{result.now.isoformat(timespec='minutes').replace('+00:00', 'Z')}, ledger in " \
        f"{result.store}"
    pause = _paused_lines(result)
    if not result.outcomes:
        return "\n".join([head, *pause] if pause else [head, "Nothing is due."])
    lines = [head, *pause, f"{'state':<14} {'post / channel':<44} detail"]
    for o in result.outcomes:
        lines.append(f"{o.state:<14} {o.key:<44} {o.url or o.error or ''}")
        lines.extend(f"{'':<14} warning: {warning}" for warning in o.warnings)
    counts: dict[str, int] = {}
    for o in result.outcomes:
        counts[o.state] = counts.get(o.state, 0) + 1
    lines.append(", ".join(f"{n} {state.replace('_', ' ')}" for state, n in counts.items()))
    return "\n".join(lines)


def _paused_lines(result: PublishReport) -> list[str]:
    """What the crisis pause holds that is due now: the count, the reason, the items."""
    if not result.paused:
        return []
    reasons = sorted({why for _, why in result.paused})
    shown = [key for key, _ in result.paused[:10]]
    more = len(result.paused) - len(shown)
    return [f"PAUSED: {len(result.paused)} item(s) due now are held ({'; '.join(reasons)}); "
            "they go out after cmops resume unless past their max_delay by then: "
            + ", ".join(shown) + (f" and {more} more" if more > 0 else "")]


def publish_json(result: PublishReport) -> str:
    """A publish run for tools."""
    return json.dumps({
        "now": result.now.isoformat().replace("+00:00", "Z"), "store": result.store,
        "dry_run": result.dry_run, "ok": result.ok, "held": result.held,
        "paused": [{"key": key, "reason": why} for key, why in result.paused],
        "outcomes": [{"key": o.key, "post": o.post, "channel": o.channel,
                      "network": o.network, "state": o.state, "url": o.url,
                      "error": o.error, "sends": o.sends, "warnings": o.warnings}
                     for o in result.outcomes]},
        indent=2, ensure_ascii=False)


def collect_table(result: CollectResult) -> str:
    """A collect run for people: one line per channel, analytics, crisis signals."""
    lines = [f"Collected at {result.now:%Y-%m-%d %H:%M}Z into {result.store}",
             f"{'channel':<20} {'posts':>5} {'followers':>9} {'new':>4} {'answered':>8}  notes"]
    for c in result.channels:
        followers = "unknown" if c.followers is None else str(c.followers)
        notes = c.error or unavailable_note(c.unavailable)
        lines.append(f"{c.channel:<20} {c.posts:>5} {followers:>9} {c.new_items:>4} "
                     f"{c.answered:>8}  {notes}")
    if result.analytics is not None:
        lines.append(result.analytics.line())
    for s in result.crisis:
        lines.append(f"CRISIS {s.rule}: {s.detail}. Review the inbox; to stop publishing: "
                     "cmops pause --reason \"…\"")
    for rule, since in sorted(result.open_episodes.items()):
        if not any(s.rule == rule for s in result.crisis):
            lines.append(f"crisis episode {rule} still open since {since}")
    return "\n".join(lines)


def unavailable_note(unavailable: Mapping[str, str]) -> str:
    """``metrics, followers unavailable: <why>``: each reason once, with what it stops."""
    by_reason: dict[str, list[str]] = {}
    for what, why in sorted(unavailable.items()):
        by_reason.setdefault(why, []).append(what)
    return "; ".join(f"{', '.join(whats)} unavailable: {why}"
                     for why, whats in by_reason.items())


def kpi_json(scopes: list[Kpis]) -> str:
    """``cmops kpi`` for tools: every scope."""
    return json.dumps({"scopes": [k.as_json() for k in scopes]}, indent=2, ensure_ascii=False)


def _n(value: float | int | None) -> str:
    return "unknown" if value is None else f"{value:g}"


def kpi_text(scopes: list[Kpis]) -> str:
    """``cmops kpi`` for people: a few lines per scope ("" for no scope)."""
    lines = []
    for k in scopes:
        data = k.as_json()
        rate = "unknown" if data["engagement_rate"] is None else \
            f"{data['engagement_rate']} % (reach from {data['reach_basis']})"
        growth = "unknown" if data["growth_rate"] is None else f"{data['growth_rate']} %"
        median = data["median_first_response_seconds"]
        posts = data["posts"]
        first, last = data["first_day"], data["last_day"]
        lines.append(f"{k.scope}  {first} → {last} ({data['timezone']})" if k.end > k.start
                     else f"{k.scope}  starts {first} ({data['timezone']}): nothing to measure "
                          "yet")
        lines.append(f"  engagement rate   {rate}; {data['posts_unmeasured']} post(s) "
                     "without metrics")
        lines.append(f"  comments {_n(data['comments'])}, shares {_n(data['shares'])}, "
                     f"DM replies {data['dm_replies']}"
                     + (f" (median first response {median / 60:.0f} min)" if median else ""))
        lines.append(f"  growth            {growth}")
        lines.append(f"  posts             {posts['published']} published, "
                     f"{posts['failed']} failed, {posts['expired']} expired")
        for g, check in zip(data["goals"], k.goals, strict=True):
            unit = " %" if check.percent else ""
            lines.append(f"  goal {g['goal']:<16} {g['status']:<9} actual {_n(g['actual'])}"
                         f"{unit if g['actual'] is not None else ''} "
                         f"/ target {g['target']:g}{unit}"
                         + (f" (expected by now {_n(g['expected_by_now'])}{unit})"
                            if g["expected_by_now"] is not None and g["status"] != "met"
                            else ""))
    return "\n".join(lines)


def health_json(healthy: bool, limit: timedelta, last: datetime | None,
                age: timedelta | None) -> str:
    """``cmops health`` for tools."""
    return json.dumps({"healthy": healthy, "max_age_seconds": limit.total_seconds(),
                       "last_run": last.isoformat().replace("+00:00", "Z") if last else None,
                       "age_seconds": age.total_seconds() if age else None})


def _human(delta: timedelta | None) -> str:
    minutes = int(delta.total_seconds() // 60) if delta else 0
    hours, mins = divmod(minutes, 60)
    return f"{hours}h{mins:02d}" if hours else f"{mins} min"


def health_text(healthy: bool, max_age: str, last: datetime | None, age: timedelta | None,
                store: str) -> str:
    """``cmops health`` for people: the age of the last publish run against ``max_age``."""
    if last is None:
        return (f"No publish run recorded in {store}: has the publish workflow ever run?")
    if healthy:
        return f"OK: last publish run {_human(age)} ago (limit {max_age})."
    return (f"STALE: last publish run {_human(age)} ago, at {last:%Y-%m-%d %H:%M}Z "
            f"(limit {max_age}). Scheduled runs may be delayed, failing or disabled "
            "(GitHub disables schedules after 60 days without repository activity: "
            "re-enable the publish workflow in the Actions tab).")
