"""Post details: one section per post (its text per channel, media and alt text, every
occurrence's state), on pages of at most :data:`PAGE_BUDGET` bytes of sections.

A month's posts are on ``posts/YYYY-MM/`` while they fit; a busier month continues on
sibling pages named for their first day, ``posts/YYYY-MM-DD/`` (cut between days, or inside
a day that alone is over the budget). Siblings sit at the same depth, so a section's relative
links are the same on any of them: each section is built once, then placed. The page of each
post is decided here, before any other page links to it (:attr:`PostView.page`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from markupsafe import Markup

from cmops.render import Rendered
from cmops.report.html import (
    MarkdownPage,
    Page,
    channel_tag,
    document,
    excerpt,
    fill,
    group_slots,
    heading,
    section_bar,
    states_summary,
)
from cmops.report.labels import Labels
from cmops.report.model import Entry, PostView, RenderGroup, Site
from cmops.report.safe import join, safe_link, safe_text

PAGE_BUDGET = 300_000
"""Bytes of post sections on one page. With the site's chrome a page stays well under
500 KB of HTML, which a phone downloads and lays out in a moment."""
FIRST_LINE = 90
"""Characters of a post's first line in its heading (and so in the search index)."""
STANDBY = "posts/standby/index.md"
_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


def _text_block(text: str, lang: str | None) -> Markup:
    attr = fill(Markup(' lang="%s"'), lang) if lang and _LANG.fullmatch(lang) else Markup()
    return fill(Markup('<div class="cm-text"%s>%s</div>'), attr, safe_text(text))


def _prepared(page: Page, path: str, channels: list[str]) -> Markup:
    """How cmops changes the file for each network among ``channels`` (converted, shrunk,
    metadata removed), one line per distinct change."""
    by_note: dict[str, list[str]] = {}
    for channel in channels:
        note = page.site.media_note(path, channel)
        if note:
            by_note.setdefault(note, []).append(_label(page, channel))
    return join(Markup(""),
        [fill(Markup('<br><span class="cm-prepared">%s</span>'), safe_text(page.labels(
            "media_prepared", channels=", ".join(names), how=note)))
        for note, names in by_note.items()])


def _media(page: Page, rendered: Rendered, index: int, channels: list[str]) -> Markup:
    labels = page.labels
    out = []
    for media in rendered.parts[index].media:
        alt = media.alt or ""
        name = page.site.media.get(media.path)
        caption = fill(Markup("<figcaption><strong>%s:</strong> %s%s</figcaption>"),
            safe_text(labels("alt")), safe_text(alt or labels("alt_missing")),
            _prepared(page, media.path, channels))
        if name is None:
            out.append(fill(Markup('<figure class="cm-media cm-missing"><p>%s</p>%s</figure>'),
                safe_text(labels("media_not_shown", path=media.path)), caption))
        else:
            out.append(fill(Markup('<figure class="cm-media"><img src="%s" alt="%s" loading="lazy">'
                              "%s</figure>"), page.link("media/" + name), safe_text(alt),
                                                    caption))
    return join(Markup(""), out)


def _render(page: Page, group: RenderGroup) -> Markup:
    labels = page.labels
    rendered = group.rendered
    tags = join(Markup(" "), [channel_tag(page.site, c) for c in group.channels])
    parts = []
    for i, part in enumerate(rendered.parts):
        name = labels("first_comment") if part.kind == "comment" else \
            labels("thread_part", n=i + 1) if len(rendered.posts) > 1 else None
        title = fill(Markup('<p class="cm-part">%s</p>'), safe_text(name)) if name \
            else Markup()
        parts.append(fill(Markup("<li>%s%s%s</li>"),
            title, _text_block(part.text, rendered.lang),
            _media(page, rendered, i, group.channels)))
    links = Markup()
    if group.links:
        distinct = {link for _, link in group.links}
        shown = [safe_link(group.links[0][1])] if len(distinct) == 1 else [
            fill(Markup("%s: %s"), safe_text(_label(page, channel)), safe_link(link))
            for channel, link in group.links]
        links = fill(Markup('<p class="cm-link">%s: %s</p>'),
            safe_text(labels("link")), join(Markup("<br>"), shown))
    return fill(Markup('<section class="cm-render" data-search-exclude><h3>%s</h3>'
                  '<ol class="cm-parts">%s</ol>%s</section>'),
        tags, join(Markup(""), parts), links)


def _label(page: Page, channel: str) -> str:
    info = page.site.channels.get(channel)
    return info.label if info else channel


def _metrics(page: Page, e: Entry) -> str:
    m = e.metrics
    if m is None:
        return ""
    labels = page.labels
    bits = [f"{labels(name)} {labels.number(value)}"
            for name in ("impressions", "likes", "comments", "shares", "clicks")
            if (value := getattr(m, name)) is not None]
    return f"{_label(page, e.channel)}: {' · '.join(bits)}" if bits else ""


OCCURRENCES_SHOWN = 12
"""Occurrences of a repeating post listed in its detail (the calendar shows every one)."""


def _occurrences(page: Page, view: PostView) -> Markup:
    """One line per occurrence: when, the state on each channel, live links, metrics."""
    labels = page.labels
    lines = []
    slots = group_slots(view.entries)
    for slot in slots[:OCCURRENCES_SHOWN]:
        first = slot[0]
        when = safe_text(labels.when(first.when)) if first.when else Markup()
        extra: list[Markup] = [
            page.live_link(e.url, f"{labels('live')} ({_label(page, e.channel)})")
            for e in slot if e.url]
        extra += [fill(Markup('<span class="cm-reason">%s: %s</span>'),
                  safe_text(_label(page, e.channel)), safe_text(labels.reason(e.reason)))
                  for e in slot if e.reason and e.state not in ("paused", "standby")]
        extra += [fill(Markup('<span class="cm-reason">%s</span>'), safe_text(text))
                  for e in slot if (text := _metrics(page, e))]
        tail = fill(Markup("<br>%s"), join(Markup(" · "), extra)) if extra else Markup()
        lines.append(fill(Markup("<li><time>%s</time> %s%s</li>"),
            when, states_summary(page, slot, always=True), tail))
    if len(slots) > OCCURRENCES_SHOWN:
        lines.append(fill(Markup('<li class="cm-muted">%s</li>'),
            safe_text(labels("more", n=len(slots) - OCCURRENCES_SHOWN))))
    return fill(Markup('<ul class="cm-occurrences" data-search-exclude>%s</ul>'),
        join(Markup(""), lines))


def post_section(page: Page, view: PostView) -> Markup:
    labels, site = page.labels, page.site
    post = view.post
    when = safe_text(labels.when(view.first)) if view.first else safe_text(labels("on_request"))
    meta = []
    campaign = site.campaign_of(post.campaign)
    if campaign:
        meta.append(fill(Markup('%s: <a href="%s">%s</a>'),
            safe_text(labels("campaign")), page.link(campaign.page),
            safe_text(campaign.campaign.name)))
    if post.labels:
        meta.append(fill(Markup("%s: %s"), safe_text(labels("labels")),
                                            safe_text(", ".join(post.labels))))
    renders = join(Markup(""), [_render(page, group) for group in view.renders])
    # The heading is what search indexes of a post (its own id, so a result opens on it):
    # time, id and first line; the details below it are left out of the index, each part
    # marked on its own: Material (9.x) matches excluded elements by tag name, so an
    # excluded <div> would stop being excluded at the first <div> closed inside it.
    first_line = excerpt(post.text.strip().split("\n", 1)[0], FIRST_LINE)
    return fill(Markup('<article class="cm-post" id="%s"><h2 id="t-%s"><a class="cm-anchor" '
                  'href="#%s" data-search-exclude>#</a> <time>%s</time> · <code>%s</code>'
                  '<span class="cm-first"> · %s</span></h2><p class="cm-meta" data-search-exclude>'
                  '%s</p>\n%s\n<div class="cm-renders">%s</div></article>'),
        view.anchor, view.anchor, view.anchor, when, safe_text(post.id), safe_text(first_line),
        join(Markup(" · "), meta), _occurrences(page, view), renders)


def _day(view: PostView) -> date | None:
    return view.first.date() if view.first else None


def split(days: Sequence[date | None], sizes: Sequence[int], budget: int) -> list[list[int]]:
    """Indexes of posts (sorted by time; ``days[i]`` and ``sizes[i]`` of post ``i``) per
    page: whole days while they fit in ``budget`` bytes, a day alone over the budget cut
    between its posts. Every page holds at least one post, so a single post over the budget
    still has a page."""
    pages: list[list[int]] = []
    current: list[int] = []
    size = 0
    groups: list[list[int]] = []
    for i, day in enumerate(days):
        if groups and days[groups[-1][0]] == day:
            groups[-1].append(i)
        else:
            groups.append([i])
    for group in groups:
        if current and size + sum(sizes[i] for i in group) > budget:
            pages.append(current)
            current, size = [], 0
        for i in group:
            if current and size + sizes[i] > budget:
                pages.append(current)
                current, size = [], 0
            current.append(i)
            size += sizes[i]
    if current:
        pages.append(current)
    return pages


def _part_paths(base: str, views: Sequence[PostView], parts: list[list[int]]) -> list[str]:
    """``base`` for the first part; ``posts/YYYY-MM-DD/`` (``-2``, ``-3`` for a day cut in
    several) for the next ones, ``posts/standby-2/`` for holding statements."""
    paths = [base]
    for part in parts[1:]:
        day = _day(views[part[0]])
        stem = f"posts/{day.isoformat()}" if day else base.removesuffix("/index.md")
        path, n = f"{stem}/index.md", 1
        while path in paths:
            n += 1
            path = f"{stem}-{n}/index.md"
        paths.append(path)
    return paths


def _part_names(labels: Labels, days: Sequence[date | None]) -> list[str]:
    """``Sat 28 Nov``, and ``Sat 28 Nov (2)`` for the next page of a day cut in several."""
    names: list[str] = []
    for k, day in enumerate(days):
        name = labels.day(day) if day else str(k + 1)
        repeat = sum(1 for d in days[:k] if d == day and day)
        names.append(f"{name} ({repeat + 1})" if repeat else name)
    return names


def post_pages(site: Site, month_page: dict[tuple[int, int], str],
               directory_urls: bool = True) -> dict[str, MarkdownPage]:
    """The post detail pages; sets each post's :attr:`PostView.page` to the page that holds
    it. ``month_page``: the calendar page of each month (the pages link back to it)."""
    labels = site.labels
    by_page: dict[str, list[PostView]] = defaultdict(list)
    for view in site.posts.values():
        by_page[view.page].append(view)
    out: dict[str, MarkdownPage] = {}
    for base, views in sorted(by_page.items()):
        views.sort(key=lambda v: (v.first is None, v.first or site.now, v.post.id))
        page = Page(site, base, directory_urls)
        sections = [post_section(page, view) for view in views]
        parts = split([_day(v) for v in views], [len(s) for s in sections], PAGE_BUDGET)
        paths = _part_paths(base, views, parts)
        if base == STANDBY:
            title, back = labels("holding"), "calendar/index.md"
        else:
            key = base.removeprefix("posts/").removesuffix("/index.md")
            month = (int(key[:4]), int(key[5:7]))
            title = f"{labels('posts')} — {labels.month(*month)}"
            back = month_page.get(month, "calendar/index.md")
        for n, (path, part) in enumerate(zip(paths, parts, strict=True)):
            for i in part:
                views[i].page = path
            here = Page(site, path, directory_urls)
            day = _day(views[part[0]])
            shown = title if n == 0 or day is None else \
                f"{title}, {labels('from_day', day=labels.day(day))}"
            nav = [fill(Markup('<a href="%s">‹ %s</a>'), here.link(back),
                                                          safe_text(labels("calendar")))]
            if len(parts) > 1:
                nav += [fill(Markup('<a href="%s"%s>%s</a>'),
                    here.link(other), Markup(' aria-current="page"') if other == path else "",
                    safe_text(name)) for other, name in zip(paths, _part_names(
                        labels, [_day(views[p[0]]) for p in parts]), strict=True)]
            blocks = [section_bar(here, "calendar"), heading(shown),
                      fill(Markup('<p class="cm-monthnav">%s</p>'), join(Markup(" · "), nav)),
                      *(sections[i] for i in part)]
            out[path] = document(shown, blocks)
    return out
