"""Renderers for the plan: a terminal view, Markdown for PR comments, and stable JSON.

The JSON shape (``PLAN_FORMAT``) is a contract with the publisher, the site and users'
automation: fields are only ever added.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any

from cmops.diff import PostChange
from cmops.model import Calendar
from cmops.plan import Item, Plan, State
from cmops.render import Rendered, render

PLAN_FORMAT = 1
GITHUB_COMMENT_LIMIT = 65_536
"""GitHub refuses comments (and step summaries) above this many characters."""


@dataclass(frozen=True, slots=True)
class Measure:
    """A text measured against one of its network's limits."""

    unit: str
    count: int
    limit: int
    part: int = 0

    @property
    def ok(self) -> bool:
        return self.count <= self.limit


Measurer = Callable[[Rendered, Calendar], Sequence[Measure]]


def no_measures(rendered: Rendered, calendar: Calendar) -> Sequence[Measure]:
    return ()


@dataclass(slots=True)
class PlanView:
    """A plan shown for a window of time, with each shown item rendered once."""

    plan: Plan
    calendar: Calendar
    items: list[Item]
    since: datetime | None
    until: datetime | None
    changes: list[PostChange] = field(default_factory=list)
    base: str | None = None
    measurer: Measurer = no_measures
    _rendered: dict[tuple[str, str], Rendered] = field(default_factory=dict)

    def rendered(self, item: Item) -> Rendered:
        key = (item.post.id, item.channel)
        if key not in self._rendered:
            self._rendered[key] = render(item.post, item.channel, self.calendar)
        return self._rendered[key]

    def measures(self, item: Item) -> Sequence[Measure]:
        return self.measurer(self.rendered(item), self.calendar)

    def summary(self) -> dict[str, int]:
        """Items shown, by state, and the number of drafts (never planned)."""
        counts = {state.value: 0 for state in State}
        for item in self.items:
            counts[item.state.value] += 1
        counts["drafts"] = self.plan.drafts
        return counts


def _iso(when: datetime | None) -> str | None:
    return when.isoformat().replace("+00:00", "Z") if when else None


def item_json(view: PlanView, item: Item) -> dict[str, Any]:
    rendered = view.rendered(item)
    return {
        "key": item.key,
        "post": item.post.id,
        "occurrence": item.occurrence,
        "channel": item.channel,
        "network": item.network,
        "file": item.post.file,
        "campaign": item.post.campaign,
        "status": item.post.status,
        "state": item.state.value,
        "reason": item.reason,
        "publish_at": _iso(item.when),
        "local": item.local.isoformat() if item.local else None,
        "zone": item.zone,
        "queued": item.queued,
        "lang": rendered.lang,
        "link": rendered.link,
        "parts": [{"text": part.text,
                   "media": [{"path": m.path, "alt": m.alt} for m in part.media]}
                  for part in rendered.parts],
        "measures": [{"unit": m.unit, "count": m.count, "limit": m.limit, "part": m.part,
                      "ok": m.ok} for m in view.measures(item)],
        "url": item.recorded.url if item.recorded else None,
    }


def as_json(view: PlanView) -> str:
    pause = view.plan.pause
    return json.dumps({
        "format": PLAN_FORMAT,
        "now": _iso(view.plan.now),
        "window": {"since": _iso(view.since), "until": _iso(view.until)},
        "pause": None if pause is None else {
            "reason": pause.reason, "since": pause.since, "by": pause.by,
            "channels": list(pause.channels) if pause.channels is not None else None},
        "summary": view.summary(),
        "items": [item_json(view, item) for item in view.items],
        "changes": [{"post": c.post_id, "kind": c.kind, "file": c.file,
                     "fields": list(c.fields), "rescheduled": c.rescheduled,
                     "text_diff": list(c.text_diff),
                     "published": _published_channels(view, c.post_id)}
                    for c in view.changes],
        "invalid": view.plan.invalid,
    }, ensure_ascii=False)
    # Compact on purpose: json's C encoder only runs without indent, and a year of plan is
    # tens of thousands of items (3x faster; pipe through `python -m json.tool` to read it).


def _published_channels(view: PlanView, post_id: str) -> list[str]:
    return sorted({i.channel for i in view.plan.items
                   if i.post.id == post_id and i.state is State.PUBLISHED})


# -- terminal ---------------------------------------------------------------------------

_MARK = {State.DUE: "DUE", State.SCHEDULED: "scheduled", State.EXPIRED: "EXPIRED",
         State.SKIPPED: "skipped", State.PAUSED: "PAUSED", State.STANDBY: "standby",
         State.PUBLISHED: "published", State.FAILED: "FAILED",
         State.NEEDS_HUMAN: "NEEDS HUMAN", State.INVALID: "INVALID"}


def _first_line(text: str, width: int = 72) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _measure_text(measures: Sequence[Measure]) -> str:
    worst = [m for m in measures if not m.ok] or list(measures[:1])
    return ", ".join(f"{m.count}/{m.limit} {m.unit}" + ("" if m.ok else " TOO LONG")
                     + (f" (part {m.part + 1})" if m.part else "") for m in worst)


def _summary_line(view: PlanView) -> str:
    counts = view.summary()
    order = ("due", "scheduled", "invalid", "expired", "paused", "standby", "published",
             "failed", "needs_human", "skipped")
    parts = [f"{counts[k]} {k.replace('_', ' ')}" for k in order if counts[k]]
    return ", ".join(parts) or "nothing"


def _day_key(item: Item) -> str:
    local = item.local
    return local.strftime("%a %d %b %Y") if local else "Holding statements (on request)"


def as_text(view: PlanView) -> str:
    plan = view.plan
    lines = [f"Plan at {_iso(plan.now)}: {_summary_line(view)}"]
    if plan.pause is not None:
        scope = ", ".join(plan.pause.channels) if plan.pause.channels else "all channels"
        lines.append(f"PAUSED ({scope}) since {plan.pause.since or '?'}: "
                     f"{plan.pause.reason or 'no reason given'} — resume with cmops resume")
    if plan.invalid:
        lines.append(f"Not planned (invalid time, see cmops validate): {', '.join(plan.invalid)}")
    for day, day_items in groupby(view.items, key=_day_key):
        lines.append("")
        lines.append(day)
        for (post_id, _when, occurrence), group in groupby(
                day_items, key=lambda i: (i.post.id, i.when, i.occurrence)):
            items = list(group)
            first = items[0]
            local = first.local
            time = local.strftime("%H:%M %Z") if local else "--:--"
            occ = f" #{occurrence}" if occurrence else ""
            campaign = f"  [{first.post.campaign}]" if first.post.campaign else ""
            lines.append(f"  {time}  {post_id}{occ}{campaign}")
            lines.append(f"      “{_first_line(view.rendered(first).text)}”")
            for item in items:
                rendered = view.rendered(item)
                extra = []
                if len(rendered.parts) > 1:
                    extra.append(f"thread of {len(rendered.parts)}")
                media = sum(len(p.media) for p in rendered.parts)
                if media:
                    extra.append(f"{media} media")
                measures = _measure_text(view.measures(item))
                if measures:
                    extra.append(measures)
                detail = f" ({item.reason})" if item.reason else ""
                url = f" {item.recorded.url}" if item.recorded and item.recorded.url else ""
                lines.append(f"      {_MARK[item.state]:<11} {item.channel:<18} "
                             f"{'; '.join(extra)}{detail}{url}")
    if view.changes:
        lines.append("")
        lines.append(f"Changes against {view.base}:")
        for change in view.changes:
            lines.extend(_change_lines(view, change))
    if not view.items and not view.changes:
        lines.append("Nothing scheduled in this window.")
    return "\n".join(lines)


def _change_lines(view: PlanView, change: PostChange) -> list[str]:
    published = _published_channels(view, change.post_id)
    note = (f" — already published on {', '.join(published)}: this edit does NOT republish "
            "there" if published and change.kind == "changed" else "")
    if change.kind == "changed":
        what = ("text and time" if change.content_changed and change.rescheduled
                else "rescheduled" if change.rescheduled else "edited")
        head = f"  ~ {change.post_id} {what} ({', '.join(change.fields)}){note}"
        return [head, *(f"      {line}" for line in change.text_diff)]
    sign = "+" if change.kind == "added" else "-"
    return [f"  {sign} {change.post_id} {change.kind} ({change.file})"]


# -- markdown (PR comment, job summary) -----------------------------------------------------

def _md_inline(text: str) -> str:
    """Untrusted text as inline Markdown that renders literally: HTML escaped, Markdown
    punctuation backslash-escaped, and @mentions broken so a comment never pings anyone."""
    text = html.escape(" ".join(text.split()), quote=True)
    out = []
    for ch in text:
        if ch in "\\`*_{}[]()#+-.!|~>":
            out.append("\\" + ch)
        elif ch == "@":
            out.append("@\u200b")
        else:
            out.append(ch)
    return "".join(out)


def _md_block(text: str) -> str:
    """Untrusted multi-line text in a fenced block longer than any backtick run inside it."""
    longest = max((len(run) for run in text.split("\n") for run in _backtick_runs(run)),
                  default=0)
    fence = "`" * max(3, longest + 1)
    body = text.replace("@", "@\u200b")
    return f"{fence}text\n{body}\n{fence}"


def _backtick_runs(line: str) -> list[str]:
    runs, current = [], ""
    for ch in line:
        if ch == "`":
            current += ch
        elif current:
            runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return runs


def as_markdown(view: PlanView, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    plan = view.plan
    head = [f"### cmops plan — {_md_inline(_summary_line(view))}", ""]
    if plan.pause is not None:
        head += [f"> **Publishing is paused** since {_md_inline(plan.pause.since or '?')}: "
                 f"{_md_inline(plan.pause.reason or 'no reason given')}", ""]
    if view.changes:
        head += [f"**Changes in this pull request** (against `{view.base}`):", ""]
        for change in view.changes:
            published = _published_channels(view, change.post_id)
            warn = (f" ⚠️ already published on {', '.join(published)}; this edit will not "
                    "be republished" if published and change.kind == "changed" else "")
            fields = f" ({', '.join(change.fields)})" if change.fields else ""
            head.append(f"- **{change.kind}** `{change.post_id}`{fields}{warn}")
        head.append("")
    rows = ["| when | post | channel | state | length |", "| --- | --- | --- | --- | --- |"]
    details: list[str] = []
    for item in view.items:
        local = item.local
        when = local.strftime("%a %d %b %H:%M %Z") if local else "on request"
        measures = _measure_text(view.measures(item)) or "—"
        ok = all(m.ok for m in view.measures(item))
        rows.append(f"| {when} | `{item.post.id}` | {item.channel} | {_MARK[item.state]} | "
                    f"{'' if ok else '❌ '}{_md_inline(measures)} |")
    seen: set[str] = set()
    for item in view.items:
        if item.post.id in seen:
            continue
        seen.add(item.post.id)
        rendered = view.rendered(item)
        block = [f"<details><summary><code>{item.post.id}</code> — "
                 f"{_md_inline(_first_line(rendered.text, 60))}</summary>", ""]
        for i, part in enumerate(rendered.parts):
            if len(rendered.parts) > 1:
                block.append(f"Part {i + 1}:")
                block.append("")
            block.append(_md_block(part.text))
            for media in part.media:
                block.append(f"- media `{_md_inline(media.path)}` — alt: "
                             f"{_md_inline(media.alt or '(missing)')}")
            block.append("")
        block.append("</details>")
        details.append("\n".join(block))
    body = "\n".join(head + rows) + "\n\n" + "\n\n".join(details)
    if len(body) <= limit:
        return body
    # Too long for GitHub: keep the summary and as many table rows as fit, drop the details.
    note = (f"\n\n_The full plan ({len(view.items)} items) is longer than GitHub allows in a "
            "comment; run `cmops plan` or see the job's artifact for every post._")
    kept = "\n".join(head + rows[:2])
    for row in rows[2:]:
        if len(kept) + len(row) + len(note) + 1 > limit:
            break
        kept += "\n" + row
    return kept + note


RENDERERS = {"text": as_text, "markdown": as_markdown, "json": as_json}
