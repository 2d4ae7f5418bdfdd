"""Building blocks of the generated pages: links between pages, front matter, the section bar,
channel dots and state badges, post chips.

A page is Markdown only in name: front matter with a title cmops chose, then raw HTML blocks
(which Python-Markdown passes through without reading Markdown inside them). Links are
written relative to the page's final URL, since MkDocs rewrites only Markdown links.
"""

from __future__ import annotations

import functools
import html
import json
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NewType

from markupsafe import Markup

from cmops.kpi import parse_instant
from cmops.report.labels import Labels
from cmops.report.model import ChannelInfo, Entry, PostView, Site
from cmops.report.safe import fill as fill  # the pages' one way to fill a template
from cmops.report.safe import join, plain_title, safe_link, safe_text, trusted

# From most to least worrying: a chip for a post on several channels shows the worst.
STATE_ORDER = ("failed", "invalid", "needs_human", "expired", "paused", "pending", "due",
               "withdraw", "edit", "standby", "scheduled", "not_applied", "published",
               "withdrawn", "skipped")
SECTIONS = (("dashboard", "index.md"), ("calendar", "calendar/index.md"),
            ("campaigns", "campaigns/index.md"), ("published", "published/index.md"),
            ("analytics", "analytics/index.md"), ("inbox", "inbox/index.md"))


MarkdownPage = NewType("MarkdownPage", str)
"""A whole generated page, as :func:`document` writes it: YAML front matter (the title made
plain by :func:`~cmops.report.safe.plain_title`) and HTML blocks. Not Markup: a page is never
put inside HTML, and a block can only become one through :func:`document`."""

_BLANK = re.compile(r"\n[ \t]*(?=\n)")


def state_class(state: str) -> str:
    return state if state in STATE_ORDER else "unknown"


def worst(states: Iterable[str]) -> str:
    ranked = [STATE_ORDER.index(s) for s in states if s in STATE_ORDER]
    return STATE_ORDER[min(ranked)] if ranked else "unknown"


def _url(path: str, directory_urls: bool) -> str:
    if not path.endswith(".md"):
        return path
    stem = path[:-3]
    if stem == "index" or stem.endswith("/index"):
        return stem[:-5] if directory_urls else stem + ".html"
    return stem + "/" if directory_urls else stem + ".html"


def relative(src: str, dst: str, anchor: str = "", directory_urls: bool = True) -> str:
    """The URL of ``dst`` (a page ``x/y.md`` or a file) from the built page of ``src``.

    The report's pages are all ``index.md`` files, so a page's source folder is also its
    URL's folder: the same relative link is right whether the builder leaves links in raw
    HTML alone (MkDocs) or resolves them against the source file (Zensical)."""
    return _relative(src, dst, directory_urls) + (f"#{anchor}" if anchor else "")


@functools.lru_cache(maxsize=4096)
def _relative(src: str, dst: str, directory_urls: bool) -> str:
    here = _url(src, directory_urls)
    base = here if here.endswith("/") or here == "" else posixpath.dirname(here)
    target = _url(dst, directory_urls)
    rel = posixpath.relpath(target or ".", base.rstrip("/") or ".")
    if target.endswith("/") or target == "":
        rel = "./" if rel == "." else rel + "/"
    return rel


@dataclass(slots=True)
class Page:
    """One generated page being written; ``link`` resolves paths from it."""

    site: Site
    path: str
    directory_urls: bool = True

    @property
    def labels(self) -> Labels:
        return self.site.labels

    def url(self, dst: str, anchor: str = "") -> str:
        """The relative URL (raw: escape it before it goes into HTML)."""
        return relative(self.path, dst, anchor, self.directory_urls)

    def link(self, dst: str, anchor: str = "") -> Markup:
        """The relative URL, escaped for an attribute. Internal paths are built from slugs,
        month names and fixed names only, so HTML escaping is all they need."""
        return trusted(html.escape(self.url(dst, anchor)))

    def live_link(self, url: str, label: str) -> Markup:
        """A published message's link: the report's copy of an outbox file (relative, where
        the site serves it), else the network's URL when it is a safe one."""
        copy = self.site.outbox.get(url)
        if copy is not None:
            return fill(Markup('<a class="cm-outbox" href="%s">%s</a>'), self.link(copy),
                                                                         safe_text(label))
        return safe_link(url, label)

    def post_url(self, post_id: str) -> str | None:
        view = self.site.posts.get(post_id)
        return self.url(view.page, view.anchor) if view else None

    def post_link(self, post_id: str) -> Markup | None:
        url = self.post_url(post_id)
        return trusted(html.escape(url)) if url else None


def document(title: str, blocks: Sequence[Markup], *, wide: bool = False,
             searchable: bool = True) -> MarkdownPage:
    """A page: front matter (title cleaned for <title>, which MkDocs does not escape) and
    HTML blocks separated by blank lines, each block free of blank lines. Pages that only
    repeat what others hold stay out of the search index (a smaller index, a faster build)."""
    hide = '["navigation", "toc"]' if wide else '["toc"]'
    search = "" if searchable else "\nsearch:\n  exclude: true"
    head = (f"---\ntitle: {json.dumps(plain_title(title), ensure_ascii=False)}\n"
            f"hide: {hide}{search}\n---")
    # str.join, not Markup.join: the front matter is YAML (its title made plain above), not
    # HTML, and the blocks are Markup already (Markup + str would escape the str side).
    # One raw HTML block for the whole body, marked markdown="0": Python-Markdown (with or
    # without md_in_html) reads it as a single block it passes through, where many blocks
    # side by side cost md_in_html about 40% more parsing on a heavy page.
    body = "\n".join(_BLANK.sub("", b) for b in blocks if b)
    marker = "<!-- generated by cmops report: do not edit -->"
    return MarkdownPage("".join((head, "\n\n", marker, '\n\n<div class="cm-page" markdown="0">\n',
                                 body, "\n</div>\n")))


def section_bar(page: Page, current: str) -> Markup:
    """The report's own navigation (only its dashboard is in the site nav), and the pause
    banner on every page while publishing is paused."""
    items = []
    for key, target in SECTIONS:
        here = Markup(' aria-current="page" class="cm-current"') if key == current else ""
        items.append(fill(Markup('<a href="%s"%s>%s</a>'),
            page.link(target), here, safe_text(page.labels(key))))
    nav = fill(Markup('<nav class="cm-sections">%s</nav>'), join(Markup(""), items))
    banner = pause_banner(page)
    return fill(Markup("%s\n\n%s"), nav, banner) if banner else nav


def pause_banner(page: Page) -> Markup:
    pause = page.site.pause
    if pause is None:
        return Markup()
    labels = page.labels
    details = []
    if pause.since:
        # A time people read: in the calendar's zone, like every other time on the site.
        since = parse_instant(pause.since)
        details.append(labels("paused_since", since=labels.when(
            since.astimezone(page.site.now.tzinfo)) if since else pause.since))
    if pause.by:
        details.append(labels("paused_by", by=pause.by))
    scope = (labels("paused_scope", channels=", ".join(pause.channels)) if pause.channels
             else labels("paused_scope_all"))
    body = fill(Markup("<p><strong>%s</strong></p><p>%s</p>"),
        safe_text(pause.reason or labels("no_reason")), safe_text(" · ".join([*details, scope])))
    return admonition("danger cm-pause", labels("paused"), body, role="alert")


def heading(text: str, level: int = 1, anchor: str = "") -> Markup:
    ident = fill(Markup(' id="%s"'), safe_text(anchor)) if anchor else Markup()
    return fill(Markup("<h%s%s>%s</h%s>"), str(level), ident, safe_text(text), str(level))


def dot(channel: ChannelInfo | None, name: str, state: str = "", labels: Labels | None = None
        ) -> Markup:
    color = channel.color if channel else "#888888"
    shown = channel.label if channel else name
    tip = f"{shown}: {labels.state(state)}" if state and labels else shown
    klass = f" cm-s-{state_class(state)}" if state else ""
    return fill(Markup('<i class="cm-dot%s" style="--c:%s" title="%s"></i>'),
        klass, color, safe_text(tip))


def channel_tag(site: Site, name: str) -> Markup:
    """The channel's name after a dot of its colour (drawn by CSS: one element, not two)."""
    channel = site.channels.get(name)
    color = channel.color if channel else "#888888"
    return fill(Markup('<span class="cm-channel" style="--c:%s">%s</span>'),
        color, safe_text(channel.label if channel else name))


def badge(labels: Labels, state: str, reason: str = "") -> Markup:
    title = fill(Markup(' title="%s"'), safe_text(labels.reason(reason))) if reason else Markup()
    return fill(Markup('<span class="cm-badge cm-s-%s"%s>%s</span>'),
        state_class(state), title, safe_text(labels.state(state)))


def excerpt(text: str, limit: int = 90) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def group_slots(entries: Iterable[Entry]) -> list[list[Entry]]:
    """Entries of the same post occurrence at the same time, together (entries are sorted)."""
    groups: dict[tuple[str, int | None, object], list[Entry]] = {}
    for e in entries:
        groups.setdefault((e.post_id, e.occurrence, e.when), []).append(e)
    return sorted(groups.values(), key=lambda g: (g[0].when is None, g[0].when or 0,
                                                  g[0].post_id, g[0].occurrence or 0))


def chip(page: Page, slot: Sequence[Entry], *, with_time: bool = True, limit: int = 48
         ) -> Markup:
    """One post occurrence: its time, a dot per channel (coloured, with the state) and the
    start of its text, linked to its detail."""
    first = slot[0]
    view: PostView | None = page.site.posts.get(first.post_id)
    text = excerpt(view.post.text, limit) if view else first.post_id
    dots = join(Markup(""), [dot(page.site.channels.get(e.channel), e.channel, e.state,
                               page.labels) for e in slot])
    time = (fill(Markup("<time>%s</time> "), f"{first.when:%H:%M}") if with_time and first.when
            else Markup())
    href = page.post_link(first.post_id)
    state = worst(e.state for e in slot)
    inner = fill(Markup('<span class="cm-dots">%s</span>%s<span class="cm-excerpt">%s</span>'),
        dots, time, safe_text(text))
    tip = safe_text(f"{first.post_id}: {page.labels.state(state)}")
    attrs = fill(Markup('class="cm-chip cm-s-%s" data-post="%s" title="%s"'),
        state, safe_text(first.post_id), tip)
    if href is None:
        return fill(Markup("<span %s>%s</span>"), attrs, inner)
    return fill(Markup('<a %s href="%s">%s</a>'), attrs, href, inner)


def states_summary(page: Page, slot: Sequence[Entry], always: bool = False) -> Markup:
    """``due: Bluesky, X · published: Newsroom`` for an occurrence (by default only when its
    channels are not all simply scheduled)."""
    by_state: dict[str, list[str]] = {}
    for e in slot:
        channel = page.site.channels.get(e.channel)
        by_state.setdefault(e.state, []).append(channel.label if channel else e.channel)
    if set(by_state) <= {"scheduled"} and not always:
        return Markup()
    parts = [fill(Markup("%s %s"), badge(page.labels, state), safe_text(", ".join(names)))
             for state, names in sorted(by_state.items(),
                                        key=lambda kv: STATE_ORDER.index(kv[0])
                                        if kv[0] in STATE_ORDER else 99)]
    return fill(Markup('<span class="cm-states">%s</span>'), join(Markup(" · "), parts))


def legend(page: Page) -> Markup:
    tags = join(Markup(""), [channel_tag(page.site, name) for name in page.site.channels])
    return fill(Markup('<p class="cm-legend"><span class="cm-legend-title">%s</span> %s</p>'),
        safe_text(page.labels("legend")), tags)


def subscribe(page: Page) -> Markup:
    labels = page.labels
    return fill(Markup('<p class="cm-subscribe">%s: <a href="%s" download>%s</a> · '
                  '<a href="%s">%s</a></p>'),
        safe_text(labels("subscribe")), page.link("data/calendar.ics"), safe_text(labels("ics")),
        page.link("data/calendar.json"), safe_text(labels("json")))


def table(head: Sequence[str], rows: Iterable[Markup], cls: str = "") -> Markup:
    """``head`` is plain text; each row is already-built ``<tr>`` HTML."""
    klass = fill(Markup(' class="%s"'), cls) if cls else Markup()
    ths = join(Markup(""), [fill(Markup("<th>%s</th>"), safe_text(h)) for h in head])
    return fill(Markup("<table%s><thead><tr>%s</tr></thead><tbody>\n%s\n</tbody></table>"),
        klass, ths, join(Markup("\n"), rows))


def admonition(kind: str, title: str, body: Markup, role: str = "") -> Markup:
    """Material's admonition markup, built directly (``body`` is HTML)."""
    attr = fill(Markup(' role="%s"'), role) if role else Markup()
    return fill(Markup('<div class="admonition %s"%s><p class="admonition-title">%s</p>%s</div>'
                  ), kind, attr, safe_text(title), body)


def counts_line(labels: Labels, counts: Mapping[str, int], title: str, scope: str) -> Markup:
    """Items published, failed and expired (:func:`cmops.kpi.post_counts`), with the
    figures in data attributes: the same numbers as ``cmops kpi``'s ``posts``."""
    return Markup('<p class="cm-counts" data-scope="{}" data-published="{}" data-failed="{}" '
                  'data-expired="{}"><strong>{}</strong> : {}</p>' if labels.lang == "fr" else
                  '<p class="cm-counts" data-scope="{}" data-published="{}" data-failed="{}" '
                  'data-expired="{}"><strong>{}</strong>: {}</p>').format(
        scope, str(counts.get("published", 0)), str(counts.get("failed", 0)),
        str(counts.get("expired", 0)), safe_text(title),
        safe_text(labels("counts", **{k: labels.number(counts.get(k, 0))
                                      for k in ("published", "failed", "expired")})))
