"""Renderers for the plan: a terminal view, Markdown for PR comments, and stable JSON.

The JSON shape (``PLAN_FORMAT``) is a contract with the publisher, the site and users'
automation: fields are only ever added.
"""

from __future__ import annotations

import difflib
import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any

from cmops.diff import PostChange, output_text
from cmops.edits import PartEdit
from cmops.model import Calendar
from cmops.plan import Item, Plan, State
from cmops.quota import PACIFIC, quota_line, youtube_publish_cost
from cmops.render import Rendered, describe_options, render

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
MediaNote = Callable[[str, str], "str | None"]
"""(media path, channel) -> how the file reaches that channel's network where cmops changes
it (``JPEG 812 KB (converted)``, see :func:`cmops.prepare.channel_note`), else None."""


def no_measures(rendered: Rendered, calendar: Calendar) -> Sequence[Measure]:
    return ()


def no_media_notes(path: str, channel: str) -> str | None:
    return None


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
    media_note: MediaNote = no_media_notes
    _rendered: dict[tuple[str, str], Rendered] = field(default_factory=dict)

    def rendered(self, item: Item) -> Rendered:
        key = (item.post.id, item.channel)
        if key not in self._rendered:
            self._rendered[key] = render(item.post, item.channel, self.calendar)
        return self._rendered[key]

    def measures(self, item: Item) -> Sequence[Measure]:
        return self.measurer(self.rendered(item), self.calendar)

    def versions(self, items: Sequence[Item]) -> list[tuple[list[Item], Rendered]]:
        """The distinct outputs of one post among ``items``, each with the items (channels)
        that receive it, in the items' order: identical versions are shown once."""
        groups: dict[str, tuple[list[Item], Rendered]] = {}
        for item in items:
            rendered = self.rendered(item)
            groups.setdefault(output_text(rendered), ([], rendered))[0].append(item)
        return list(groups.values())

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
        "options": dict(rendered.options),
        "quota": quota_units(view, item),
        "parts": [{"text": part.text, "kind": part.kind,
                   "media": [{"path": m.path, "alt": m.alt,
                              "prepared": view.media_note(m.path, item.channel)}
                             for m in part.media]}
                  for part in rendered.parts],
        "measures": [{"unit": m.unit, "count": m.count, "limit": m.limit, "part": m.part,
                      "ok": m.ok} for m in view.measures(item)],
        "url": item.recorded.url if item.recorded else None,
        "withdrawn_reason": item.post.withdrawn_reason,
        "reply_to": item.post.reply_to,
        "edits": [{"part": e.part, "before": e.before, "after": e.after,
                   "diff": edit_lines(e),
                   "alts_before": list(e.alts_before) if e.alts_before is not None else None,
                   "alts_after": list(e.alts_after) if e.alts_after is not None else None}
                  for e in item.edits],
    }


def edit_diff(before: str, after: str) -> list[str]:
    """A message's live text against its new one, every line: ``-`` live only, ``+`` new
    only, `` `` both (messages are short: the whole text is shown, no hunk headers)."""
    return [line for line in difflib.unified_diff(
        before.splitlines(), after.splitlines(), n=10_000, lineterm="")
        if not line.startswith(("---", "+++", "@@"))]


def edit_lines(edit: PartEdit) -> list[str]:
    """What one message's edit changes: its text's diff (:func:`edit_diff`, when the text
    changed), then each changed alt text as ``-alt N: …`` / ``+alt N: …``."""
    lines = edit_diff(edit.before, edit.after) if edit.before != edit.after else []
    if edit.alts_before is not None and edit.alts_after is not None:
        for n, (was, now) in enumerate(zip(edit.alts_before, edit.alts_after, strict=True), 1):
            if was != now:
                lines += [f"-alt {n}: {_one_line(was or '(none)')}",
                          f"+alt {n}: {_one_line(now or '(none)')}"]
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())


_PUBLISHED = (State.PUBLISHED, State.EDIT, State.NOT_APPLIED)


def edit_note(view: PlanView, post_id: str) -> str | None:
    """Where a changed published post's new text goes: edited on which channels by the next
    run, not applied on which (and why), unchanged where its text did not change."""
    items = [i for i in view.plan.items if i.post.id == post_id and i.state in _PUBLISHED]
    if not items:
        return None
    edited = sorted({i.channel for i in items if i.state is State.EDIT})
    kept: dict[str, list[str]] = {}
    for item in items:
        if item.state is State.NOT_APPLIED:
            kept.setdefault(item.reason, []).append(item.channel)
    said = [f"edited on {', '.join(edited)} by the next publish run"] if edited else []
    said += [f"NOT applied on {', '.join(sorted(set(channels)))}: {why}"
             for why, channels in kept.items()]
    if not said:
        return (f"already published on {', '.join(sorted({i.channel for i in items}))}: "
                "never published again; its live text is unchanged (a change of media, alt "
                "text, link card or time does not reach a published post)")
    return "already published: " + "; ".join(said)


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
                     "published": _published_channels(view, c.post_id),
                     "note": removed_live_note(view, c) or (
                         edit_note(view, c.post_id) if c.kind == "changed" else None),
                     "details": list(c.details), "because": list(c.because),
                     "outputs": [{"channels": list(o.channels), "before": o.before,
                                  "after": o.after, "diff": list(o.diff)}
                                 for o in c.outputs]}
                    for c in view.changes],
        "invalid": view.plan.invalid,
    }, ensure_ascii=False)
    # Compact on purpose: json's C encoder only runs without indent, and a year of plan is
    # tens of thousands of items (3x faster; pipe through `python -m json.tool` to read it).


def _published_channels(view: PlanView, post_id: str) -> list[str]:
    return sorted({i.channel for i in view.plan.items
                   if i.post.id == post_id and i.state in _PUBLISHED}
                  | set(view.plan.removed_live.get(post_id, ())))


def removed_live_note(view: PlanView, change: PostChange) -> str | None:
    """What the review must know beyond the diff: a post whose file was removed while it is
    published stays live (and how to take it down instead); a post set to withdrawn is
    taken down where it is published (and where only by hand)."""
    published = _published_channels(view, change.post_id)
    if change.kind == "removed" and published:
        return (f"removed from the calendar but still live on {', '.join(published)}: set "
                "status: withdrawn to take it down (the publisher does nothing to it)")
    items = [i for i in view.plan.items if i.post.id == change.post_id and i.post.withdrawn]
    if change.kind != "changed" or not items:
        return None
    deleted = sorted({i.channel for i in items if i.state is State.WITHDRAW})
    by_hand = sorted({i.channel for i in items if i.state is State.NEEDS_HUMAN})
    said = ([f"taken down on {', '.join(deleted)} by the next publish run"] if deleted
            else []) + ([f"delete it by hand on {', '.join(by_hand)}"] if by_hand else [])
    return "withdrawn: " + "; ".join(said) if said else None


# -- terminal ---------------------------------------------------------------------------

_MARK = {State.DUE: "DUE", State.SCHEDULED: "scheduled", State.EXPIRED: "EXPIRED",
         State.SKIPPED: "skipped", State.PAUSED: "PAUSED", State.STANDBY: "standby",
         State.PUBLISHED: "published", State.FAILED: "FAILED",
         State.NEEDS_HUMAN: "NEEDS HUMAN", State.INVALID: "INVALID",
         State.WITHDRAW: "WITHDRAW", State.WITHDRAWN: "withdrawn", State.EDIT: "EDIT",
         State.NOT_APPLIED: "not applied"}


def _first_line(text: str, width: int = 72) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _measure_text(measures: Sequence[Measure]) -> str:
    worst = [m for m in measures if not m.ok] or list(measures[:1])
    return ", ".join(f"{m.count}/{m.limit} {m.unit}" + ("" if m.ok else " TOO LONG")
                     + (f" (part {m.part + 1})" if m.part else "") for m in worst)


def _comment_text(view: PlanView, item: Item, rendered: Rendered) -> str:
    """``first comment 40/300 graphemes``: its length against the network's limit."""
    index = len(rendered.parts) - 1
    found = [m for m in view.measures(item) if m.part == index]
    return "first comment" + (" " + _measure_text(found).replace(
        f" (part {index + 1})", "") if found else "")


def _summary_line(view: PlanView) -> str:
    counts = view.summary()
    order = ("due", "withdraw", "edit", "scheduled", "invalid", "expired", "paused",
             "standby", "published", "not_applied", "withdrawn", "failed", "needs_human",
             "skipped")
    parts = [f"{counts[k]} {k.replace('_', ' ')}" for k in order if counts[k]]
    return ", ".join(parts) or "nothing"


def _day_key(item: Item) -> str:
    local = item.local
    return local.strftime("%a %d %b %Y") if local else "Holding statements (on request)"


def as_text(view: PlanView) -> str:
    plan = view.plan
    lines = [f"Plan at {_iso(plan.now.replace(microsecond=0))}: {_summary_line(view)}"]
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
            for item in items:
                rendered = view.rendered(item)
                extra = [] if rendered.format == "feed" else [rendered.format]  # reel, story
                extra += [f"{key}: {value}" for key, value in describe_options(rendered.options)]
                if (quota := quota_text(view, item)) is not None:
                    extra.append(quota)
                if item.post.reply_to:
                    extra.append(f"reply to {item.post.reply_to}")
                if len(rendered.posts) > 1:
                    extra.append(f"thread of {len(rendered.posts)}")
                if rendered.comment is not None:
                    extra.append(_comment_text(view, item, rendered))
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
                lines.extend(f"      {'':<11} {'':<18} {path} → {note}"
                             for path, note in _media_notes(view, item, rendered))
                for edit in item.edits:
                    lines.append(f"      {'':<11} {'':<18} message {edit.part + 1}:")
                    lines.extend(f"      {'':<11} {'':<18} {line}"
                                 for line in edit_lines(edit))
            for version_items, rendered in view.versions(items):
                lines.append(f"      ┌ {', '.join(i.channel for i in version_items)}")
                lines.extend(f"      │ {line}" for line in output_text(rendered).splitlines())
    if view.changes:
        lines.append("")
        lines.append(f"Changes against {view.base}:")
        for change in view.changes:
            lines.extend(_change_lines(view, change))
    if not view.items and not view.changes:
        lines.append("Nothing scheduled in this window.")
    return "\n".join(lines)


def _what(change: PostChange) -> str:
    if change.kind != "changed":
        return change.kind
    status = change.before.get("status"), change.after.get("status")
    if status[1] == "withdrawn" and status[0] != "withdrawn":
        return "withdrawn"  # the note after it says what the publisher does about it
    if change.content_changed and change.rescheduled:
        return "text and time changed"
    return "rescheduled" if change.rescheduled else "output changed" if not change.fields \
        else "edited"


def _change_lines(view: PlanView, change: PostChange) -> list[str]:
    edits = edit_note(view, change.post_id) if change.kind == "changed" else None
    note = f" — {edits}" if edits else ""
    removed = removed_live_note(view, change)
    if removed:
        note = f" — {removed}"
    sign = {"added": "+", "removed": "-"}.get(change.kind, "~")
    lines = [f"  {sign} {change.post_id} {_what(change)} ({change.file}){note}"]
    lines += [f"      {detail}" for detail in change.details]
    lines += [f"      because {why}" for why in change.because]
    for output in change.outputs:
        if output.before == output.after:
            continue
        lines.append(f"      ┌ {', '.join(output.channels)}")
        lines.extend(f"      │ {line}" for line in output.diff)
    return lines


# -- markdown (PR comment, job summary) -----------------------------------------------------
# Post text is hostile input and must read exactly as written once GitHub renders it
# (CommonMark): each context gets its own escaping. Inline Markdown: every ASCII punctuation
# character backslash-escaped (CommonMark renders each literally, so no emphasis, link,
# entity or HTML can form). Code spans and fences: nothing escaped, a fence longer than any
# backtick run inside. Raw HTML (the <summary> line): HTML-escaped only, since Markdown is
# not read there. Everywhere, "@" is followed by a zero-width space so nobody is pinged.

_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _md_inline(text: str) -> str:
    """Untrusted text as inline Markdown that renders literally, on one line."""
    out = []
    for ch in " ".join(text.split()):
        if ch == "@":
            out.append("@\u200b")
        elif ch in _PUNCTUATION:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _md_code(text: str) -> str:
    """Untrusted text as an inline code span (paths, ids): shown exactly, nothing escaped."""
    text = " ".join(text.split()).replace("@", "@\u200b")
    longest = max((len(run) for run in _backtick_runs(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _html_text(text: str) -> str:
    """Untrusted text inside raw HTML (where Markdown is not read)."""
    return html.escape(" ".join(text.split()), quote=False).replace("@", "@\u200b")


def _md_block(text: str, lang: str = "text") -> str:
    """Untrusted multi-line text in a fenced block longer than any backtick run inside it."""
    longest = max((len(run) for run in text.split("\n") for run in _backtick_runs(run)),
                  default=0)
    fence = "`" * max(3, longest + 1)
    body = text.replace("@", "@\u200b")
    return f"{fence}{lang}\n{body}\n{fence}"


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


def _media_notes(view: PlanView, item: Item, rendered: Rendered) -> list[tuple[str, str]]:
    """Each media file of the item that cmops changes for its network, with how."""
    paths = dict.fromkeys(m.path for part in rendered.parts for m in part.media)
    return [(path, note) for path in paths if (note := view.media_note(path, item.channel))]


def _md_version(view: PlanView, items: Sequence[Item], rendered: Rendered) -> list[str]:
    """One distinct output of a post: the channels that receive it, its length against each
    channel's limit, every part, media with alt text, and the link."""
    lengths = "; ".join((f"{i.channel} " if len(items) > 1 else "")
                        + _measure_text(view.measures(i)) for i in items if view.measures(i))
    names = ", ".join(_md_code(i.channel) for i in items)
    block = [f"**{names}**" + (f" — {_md_inline(lengths)}" if lengths else ""), ""]
    if rendered.format != "feed":  # an Instagram reel or story
        block += [f"As a {rendered.format}:", ""]
    if rendered.options:  # fields only this network reads (a local post's event...)
        block += [f"- {_md_inline(key)}: {_md_inline(value)}"
                  for key, value in describe_options(rendered.options)] + [""]
    quotas = [(i.channel, q) for i in items if (q := quota_text(view, i)) is not None]
    if quotas:  # YouTube: what the day's uploads cost of the project's quota
        block += [f"- {_md_code(channel)} {_md_inline(q)}" for channel, q in quotas] + [""]
    if items and items[0].post.reply_to:
        block += [f"In reply to {_md_code(items[0].post.reply_to)}:", ""]
    posts = len(rendered.posts)
    for index, part in enumerate(rendered.parts):
        if part.kind == "comment":
            block += ["First comment:", ""]
        elif posts > 1:
            block += [f"Part {index + 1} of {posts}:", ""]
        block.append(_md_block(part.text))
        for media in part.media:
            sent = "".join(f"; {_md_inline(i.channel)} gets {_md_inline(note)}" for i in items
                           if (note := view.media_note(media.path, i.channel)))
            block.append(f"- media {_md_code(media.path)} — alt: "
                         f"{_md_inline(media.alt or '(missing)')}{sent}")
        block.append("")
    card = getattr(rendered, "card", None)
    if card is not None:
        fields = [(name, getattr(card, name, None))
                  for name in ("url", "title", "description", "image")]
        block.append("- link card: " + "; ".join(
            f"{name} {_md_code(str(value)) if name in ('url', 'image') else _md_inline(str(value))}"
            for name, value in fields if value))
        block.append("")
    elif rendered.link:
        block += [f"- link: {_md_code(rendered.link)}", ""]
    return block


def _md_change(view: PlanView, change: PostChange) -> list[str]:
    edits = edit_note(view, change.post_id) if change.kind == "changed" else None
    warn = f" ⚠️ {_md_inline(edits)}" if edits else ""
    removed = removed_live_note(view, change)
    if removed:
        warn = f" ⚠️ {_md_inline(removed)}"
    fields = f" ({', '.join(change.fields)})" if change.fields else ""
    lines = [f"- **{change.kind}** {_md_code(change.post_id)}{fields}{warn}"]
    lines += [f"  - {_md_inline(detail)}" for detail in change.details]
    lines += [f"  - because {_md_inline(why)}" for why in change.because]
    shown = [o for o in change.outputs if o.before != o.after]
    if shown:
        lines += ["", "  <details><summary>what goes out, before → after</summary>", ""]
        for output in shown:
            names = ", ".join(_md_code(c) for c in output.channels)
            lines += [f"  {names}", ""]
            lines += [f"  {line}" for line in _md_block("\n".join(output.diff),
                                                       "diff").splitlines()]
            lines.append("")
        lines += ["  </details>", ""]
    return lines


def as_markdown(view: PlanView, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    plan = view.plan
    head = [f"### cmops plan — {_md_inline(_summary_line(view))}", ""]
    if plan.pause is not None:
        head += [f"> **Publishing is paused** since {_md_inline(plan.pause.since or '?')}: "
                 f"{_md_inline(plan.pause.reason or 'no reason given')}", ""]
    changes: list[str] = []
    if view.changes:
        changes += [f"**Changes in this pull request** (against {_md_code(view.base or '')})"
                    ":", ""]
        for change in view.changes:
            changes += _md_change(view, change)
        changes.append("")
    rows = ["| when | post | channel | state | length |", "| --- | --- | --- | --- | --- |"]
    details: list[str] = []
    for item in view.items:
        local = item.local
        when = local.strftime("%a %d %b %H:%M %Z") if local else "on request"
        measures = _measure_text(view.measures(item)) or "—"
        ok = all(m.ok for m in view.measures(item))
        rows.append(f"| {when} | {_md_code(item.post.id)} | {_md_code(item.channel)} | "
                    f"{_MARK[item.state]} | {'' if ok else '❌ '}{_md_inline(measures)} |")
    seen: set[tuple[str, int | None]] = set()
    for key, group in groupby(view.items, key=lambda i: (i.post.id, i.occurrence)):
        items = list(group)
        if key in seen:
            continue
        seen.add(key)
        first = view.rendered(items[0])
        occurrence = f" #{key[1]}" if key[1] else ""
        block = [f"<details><summary><code>{_html_text(key[0])}</code>{occurrence} — "
                 f"{_html_text(_first_line(first.text, 60))}</summary>", ""]
        for version_items, rendered in view.versions(items):
            block += _md_version(view, version_items, rendered)
        for item in items:
            for edit in item.edits:
                said = "edited" if item.state is State.EDIT else "not applied"
                block += [f"- {said} on {_md_code(item.channel)}, message {edit.part + 1}"
                          + (f": {_md_inline(item.reason)}" if item.state is not State.EDIT
                             else ""), "",
                          _md_block("\n".join(edit_lines(edit)), "diff"),
                          ""]
        block.append("</details>")
        details.append("\n".join(block))
    body = "\n".join(head + changes + rows) + "\n\n" + "\n\n".join(details)
    if len(body) <= limit:
        return body
    # Too long for GitHub: keep the summary, the changes (cut if they must be) and as many
    # table rows as fit; drop the per-post details.
    note = (f"\n\n_The full plan ({len(view.items)} items) is longer than GitHub allows in a "
            "comment; run `cmops plan` or see the job's artifact for every post._")
    kept = "\n".join(head + changes)
    if len(kept) + len(note) > limit // 2:
        kept = kept[: limit // 2 - len(note)].rsplit("\n", 1)[0] + \
            "\n\n_…more changes than fit here; run `cmops plan --base` to see them all._\n"
    kept += "\n" + "\n".join(rows[:2])
    for row in rows[2:]:
        if len(kept) + len(row) + len(note) + 1 > limit:
            break
        kept += "\n" + row
    return kept + note


RENDERERS = {"text": as_text, "markdown": as_markdown, "json": as_json}


def quota_units(view: PlanView, item: Item) -> int | None:
    """Units of the channel's daily API quota its items of the same (Pacific) day use, up to
    and including this one, where the network counts a quota (YouTube, :mod:`cmops.quota`);
    None elsewhere."""
    if item.network != "youtube" or item.when is None:
        return None
    day = item.when.astimezone(PACIFIC).date()
    return sum(youtube_publish_cost(view.rendered(other).options) for other in view.items
               if other.channel == item.channel and other.when is not None
               and other.when <= item.when and other.when.astimezone(PACIFIC).date() == day)


def quota_text(view: PlanView, item: Item) -> str | None:
    """``quota: 3,200 of 10,000 units/day`` for a YouTube item (see :func:`quota_units`)."""
    used = quota_units(view, item)
    if used is None:
        return None
    channel = view.calendar.channels.get(item.channel)
    return quota_line(used, channel.raw if channel is not None else {})
