"""Calendar pages: the month grids (a real table, days by weeks, a coloured dot per channel),
the week-by-week view under each month, and the post details (one page per month, one section
per post, so a year of posts is twelve pages, not ten thousand)."""

from __future__ import annotations

import re
from calendar import monthrange
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from markupsafe import Markup

from cmops.render import Rendered
from cmops.report.html import (
    MarkdownPage,
    Page,
    badge,
    channel_tag,
    chip,
    document,
    group_slots,
    heading,
    legend,
    section_bar,
    states_summary,
    subscribe,
)
from cmops.report.model import Entry, PostView, RenderGroup, Site, month_name
from cmops.report.safe import safe_link, safe_text

DAY_LIMIT = 6
"""Posts shown in a month-grid cell; the rest are one click away in the week view."""
DAYPARTS = (("night", 0, 6), ("morning", 6, 12), ("afternoon", 12, 18), ("evening", 18, 24))
_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


def _weeks(first: date, last: date) -> list[date]:
    start = first - timedelta(days=first.weekday())
    out = []
    while start <= last:
        out.append(start)
        start += timedelta(days=7)
    return out


def week_anchor(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"w-{year}-W{week:02d}"


def month_page_path(month: tuple[int, int]) -> str:
    return f"calendar/{month_name(month)}/index.md"


def _by_day(site: Site) -> dict[date, list[Entry]]:
    days: dict[date, list[Entry]] = defaultdict(list)
    for e in site.entries:
        if e.when:
            days[e.when.date()].append(e)
    return days


def calendar_index(site: Site, directory_urls: bool = True) -> MarkdownPage:
    page = Page(site, "calendar/index.md", directory_urls)
    labels = site.labels
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for slot in group_slots(site.entries):
        when = slot[0].when
        if when:
            for e in slot:
                counts[(when.year, when.month)][e.state] += 1
    cards = []
    for month in reversed(site.months):
        states = counts.get(month, {})
        summary = Markup(" ").join(Markup("{} {}").format(badge(labels, s), str(n))
                                   for s, n in sorted(states.items()))
        current = " cm-current" if month == (site.now.year, site.now.month) else ""
        cards.append(Markup('<div class="cm-card cm-month-card{}"><h3><a href="{}">{}</a></h3>'
                            "<p>{}</p></div>").format(
            current, page.link(month_page_path(month)), safe_text(labels.month(*month)),
            summary))
    blocks = [section_bar(page, "calendar"), heading(labels("calendar")), legend(page),
              subscribe(page),
              Markup('<div class="cm-cards">{}</div>').format(Markup("").join(cards))]
    if site.standby:
        blocks.append(Markup('<p><a href="{}">{}</a></p>').format(
            page.link("posts/standby/index.md"), safe_text(labels("holding"))))
    return document(labels("calendar"), blocks)


def _month_grid(page: Page, month: tuple[int, int], days: dict[date, list[Entry]]
                ) -> Markup:
    labels, site = page.labels, page.site
    year, number = month
    first = date(year, number, 1)
    last = date(year, number, monthrange(year, number)[1])
    head = Markup("").join(Markup("<th>{}</th>").format(safe_text(labels.weekday(i)))
                           for i in range(7))
    rows = []
    for monday in _weeks(first, last):
        cells = []
        for offset in range(7):
            day = monday + timedelta(days=offset)
            classes = ["cm-day"]
            if day.month != number:
                classes.append("cm-out")
            if day == site.today:
                classes.append("cm-today")
            slots = group_slots(days.get(day, ()))
            chips = Markup("").join(Markup("<li>{}</li>").format(chip(page, s))
                                    for s in slots[:DAY_LIMIT])
            if len(slots) > DAY_LIMIT:
                chips += Markup('<li class="cm-more"><a href="#{}">{}</a></li>').format(
                    week_anchor(monday), safe_text(labels("more", n=len(slots) - DAY_LIMIT)))
            cells.append(Markup('<td class="{}" data-date="{}"><div class="cm-daynum">{}</div>'
                                '<ul class="cm-chips">{}</ul></td>').format(
                " ".join(classes), day.isoformat(), str(day.day), chips))
        rows.append(Markup("<tr>{}</tr>").format(Markup("").join(cells)))
    return Markup('<div class="cm-scroll"><table class="cm-month"><thead><tr>{}</tr></thead>'
                  "<tbody>\n{}\n</tbody></table></div>").format(head, Markup("\n").join(rows))


def _week_view(page: Page, monday: date, days: dict[date, list[Entry]]) -> Markup:
    labels, site = page.labels, page.site
    week_days = [monday + timedelta(days=i) for i in range(7)]
    head = Markup("").join(Markup("<th{}>{}</th>").format(
        Markup(" class=cm-today") if d == site.today else "", safe_text(labels.day(d)))
        for d in week_days)
    rows = []
    for name, start, end in DAYPARTS:
        cells = []
        found = False
        for day in week_days:
            slots = group_slots(e for e in days.get(day, ())
                                if e.when and start <= e.when.hour < end)
            found = found or bool(slots)
            cells.append(Markup('<td><ul class="cm-chips">{}</ul></td>').format(
                Markup("").join(Markup("<li>{}</li>").format(chip(page, s, limit=70))
                                for s in slots)))
        if found:
            rows.append(Markup('<tr><th scope="row">{}</th>{}</tr>').format(
                safe_text(labels(name)), Markup("").join(cells)))
    _, week, _ = monday.isocalendar()
    title = (f"{labels('week', week=week)} · {labels.day(monday)} – "
             f"{labels.day(monday + timedelta(days=6))}")
    body = Markup('<table class="cm-weekgrid"><thead><tr><th></th>{}</tr></thead><tbody>{}'
                  "</tbody></table>").format(head, Markup("").join(rows)) if rows else \
        Markup('<p class="cm-muted">{}</p>').format(safe_text(labels("nothing_this_week")))
    return Markup('<section class="cm-week" id="{}"><h3>{}</h3><div class="cm-scroll">{}</div>'
                  "</section>").format(week_anchor(monday), safe_text(title), body)


def month_page(site: Site, month: tuple[int, int], days: dict[date, list[Entry]],
               directory_urls: bool = True) -> MarkdownPage:
    page = Page(site, month_page_path(month), directory_urls)
    labels = site.labels
    index = site.months.index(month)
    nav = []
    if index > 0:
        nav.append(Markup('<a href="{}" rel="prev">‹ {}</a>').format(
            page.link(month_page_path(site.months[index - 1])),
            safe_text(labels.month(*site.months[index - 1]))))
    nav.append(Markup('<a href="{}">{}</a>').format(page.link("calendar/index.md"),
                                                   safe_text(labels("all_months"))))
    if index + 1 < len(site.months):
        nav.append(Markup('<a href="{}" rel="next">{} ›</a>').format(
            page.link(month_page_path(site.months[index + 1])),
            safe_text(labels.month(*site.months[index + 1]))))
    year, number = month
    first = date(year, number, 1)
    last = date(year, number, monthrange(year, number)[1])
    weeks = Markup("\n").join(_week_view(page, monday, days) for monday in _weeks(first, last)
                              if any(days.get(monday + timedelta(days=i)) for i in range(7)))
    blocks = [section_bar(page, "calendar"), heading(labels.month(*month)),
              Markup('<p class="cm-monthnav">{}</p>').format(Markup(" · ").join(nav)),
              legend(page), subscribe(page), _month_grid(page, month, days),
              Markup('<section class="cm-weeks"><h2 id="weeks">{}</h2>\n{}</section>').format(
                  safe_text(labels("week_view")), weeks)]
    return document(labels.month(*month), blocks, wide=True, searchable=False)


def _text_block(text: str, lang: str | None) -> Markup:
    attr = Markup(' lang="{}"').format(lang) if lang and _LANG.fullmatch(lang) else Markup()
    return Markup('<div class="cm-text"{}>{}</div>').format(attr, safe_text(text))


def _prepared(page: Page, path: str, channels: list[str]) -> Markup:
    """How cmops changes the file for each network among ``channels`` (converted, shrunk,
    metadata removed), one line per distinct change."""
    by_note: dict[str, list[str]] = {}
    for channel in channels:
        note = page.site.media_note(path, channel)
        if note:
            by_note.setdefault(note, []).append(_label(page, channel))
    return Markup("").join(
        Markup('<br><span class="cm-prepared">{}</span>').format(safe_text(page.labels(
            "media_prepared", channels=", ".join(names), how=note)))
        for note, names in by_note.items())


def _media(page: Page, rendered: Rendered, index: int, channels: list[str]) -> Markup:
    labels = page.labels
    out = []
    for media in rendered.parts[index].media:
        alt = media.alt or ""
        name = page.site.media.get(media.path)
        caption = Markup("<figcaption><strong>{}:</strong> {}{}</figcaption>").format(
            safe_text(labels("alt")), safe_text(alt or labels("alt_missing")),
            _prepared(page, media.path, channels))
        if name is None:
            out.append(Markup('<figure class="cm-media cm-missing"><p>{}</p>{}</figure>').format(
                safe_text(labels("media_not_shown", path=media.path)), caption))
        else:
            out.append(Markup('<figure class="cm-media"><img src="{}" alt="{}" loading="lazy">'
                              "{}</figure>").format(page.link("media/" + name), safe_text(alt),
                                                    caption))
    return Markup("").join(out)


def _render(page: Page, group: RenderGroup) -> Markup:
    labels = page.labels
    rendered = group.rendered
    tags = Markup(" ").join(channel_tag(page.site, c) for c in group.channels)
    parts = []
    for i, part in enumerate(rendered.parts):
        name = labels("first_comment") if part.kind == "comment" else \
            labels("thread_part", n=i + 1) if len(rendered.posts) > 1 else None
        title = Markup('<p class="cm-part">{}</p>').format(safe_text(name)) if name \
            else Markup()
        parts.append(Markup("<li>{}{}{}</li>").format(
            title, _text_block(part.text, rendered.lang),
            _media(page, rendered, i, group.channels)))
    links = Markup()
    if group.links:
        distinct = {link for _, link in group.links}
        shown = [safe_link(group.links[0][1])] if len(distinct) == 1 else [
            Markup("{}: {}").format(safe_text(_label(page, channel)), safe_link(link))
            for channel, link in group.links]
        links = Markup('<p class="cm-link">{}: {}</p>').format(
            safe_text(labels("link")), Markup("<br>").join(shown))
    return Markup('<section class="cm-render"><h3>{}</h3><ol class="cm-parts">{}</ol>{}'
                  "</section>").format(tags, Markup("").join(parts), links)


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
        extra += [Markup('<span class="cm-reason">{}: {}</span>').format(
                  safe_text(_label(page, e.channel)), safe_text(labels.reason(e.reason)))
                  for e in slot if e.reason and e.state not in ("paused", "standby")]
        extra += [Markup('<span class="cm-reason">{}</span>').format(safe_text(text))
                  for e in slot if (text := _metrics(page, e))]
        tail = Markup("<br>{}").format(Markup(" · ").join(extra)) if extra else Markup()
        lines.append(Markup("<li><time>{}</time> {}{}</li>").format(
            when, states_summary(page, slot, always=True), tail))
    if len(slots) > OCCURRENCES_SHOWN:
        lines.append(Markup('<li class="cm-muted">{}</li>').format(
            safe_text(labels("more", n=len(slots) - OCCURRENCES_SHOWN))))
    return Markup('<ul class="cm-occurrences">{}</ul>').format(Markup("").join(lines))


def post_section(page: Page, view: PostView) -> Markup:
    labels, site = page.labels, page.site
    post = view.post
    when = safe_text(labels.when(view.first)) if view.first else safe_text(labels("on_request"))
    meta = []
    campaign = site.campaign_of(post.campaign)
    if campaign:
        meta.append(Markup('{}: <a href="{}">{}</a>').format(
            safe_text(labels("campaign")), page.link(campaign.page),
            safe_text(campaign.campaign.name)))
    if post.labels:
        meta.append(Markup("{}: {}").format(safe_text(labels("labels")),
                                            safe_text(", ".join(post.labels))))
    renders = Markup("").join(_render(page, group) for group in view.renders)
    return Markup('<article class="cm-post" id="{}"><h2><a class="cm-anchor" href="#{}">#</a> '
                  '<time>{}</time> · <code>{}</code></h2><p class="cm-meta">{}</p>\n{}\n'
                  '<div class="cm-renders">{}</div></article>').format(
        view.anchor, view.anchor, when, safe_text(post.id), Markup(" · ").join(meta),
        _occurrences(page, view), renders)


def posts_page(site: Site, path: str, title: str, views: Sequence[PostView],
               back: str | None, directory_urls: bool = True) -> MarkdownPage:
    page = Page(site, path, directory_urls)
    labels = site.labels
    blocks = [section_bar(page, "calendar"), heading(title)]
    if back:
        blocks.append(Markup('<p class="cm-monthnav"><a href="{}">‹ {}</a></p>').format(
            page.link(back), safe_text(labels("calendar"))))
    blocks.extend(post_section(page, view) for view in views)
    return document(title, blocks)


def calendar_pages(site: Site, directory_urls: bool = True) -> dict[str, MarkdownPage]:
    days = _by_day(site)
    pages = {"calendar/index.md": calendar_index(site, directory_urls)}
    for month in site.months:
        pages[month_page_path(month)] = month_page(site, month, days, directory_urls)
    by_page: dict[str, list[PostView]] = defaultdict(list)
    for view in site.posts.values():
        by_page[view.page].append(view)
    for path, views in sorted(by_page.items()):
        views.sort(key=lambda v: (v.first is None, v.first or site.now, v.post.id))
        if path == "posts/standby/index.md":
            title, back = site.labels("holding"), "calendar/index.md"
        else:
            key = path.removeprefix("posts/").removesuffix("/index.md")
            month = (int(key[:4]), int(key[5:7]))
            title = f"{site.labels('posts')} — {site.labels.month(*month)}"
            back = month_page_path(month)
        pages[path] = posts_page(site, path, title, views, back, directory_urls)
    return pages
