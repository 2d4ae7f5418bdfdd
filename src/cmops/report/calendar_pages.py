"""Calendar pages: the month grids (a real table, days by weeks, a coloured dot per channel),
the week-by-week view under each month, and the post details (one page per month, one section
per post, so a year of posts is twelve pages, not ten thousand)."""

from __future__ import annotations

import re
from calendar import monthrange
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from cmops.render import Rendered
from cmops.report.html import (
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


def calendar_index(site: Site, directory_urls: bool = True) -> str:
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
        summary = " ".join(f'{badge(labels, s)} {n}' for s, n in sorted(states.items()))
        current = " cm-current" if month == (site.now.year, site.now.month) else ""
        cards.append(f'<div class="cm-card cm-month-card{current}"><h3>'
                     f'<a href="{page.link(month_page_path(month))}">'
                     f"{safe_text(labels.month(*month))}</a></h3><p>{summary}</p></div>")
    blocks = [section_bar(page, "calendar"), heading(labels("calendar")), legend(page),
              subscribe(page), f'<div class="cm-cards">{"".join(cards)}</div>']
    if site.standby:
        blocks.append(f'<p><a href="{page.link("posts/standby/index.md")}">'
                      f'{safe_text(labels("holding"))}</a></p>')
    return document(labels("calendar"), blocks)


def _month_grid(page: Page, month: tuple[int, int], days: dict[date, list[Entry]]) -> str:
    labels, site = page.labels, page.site
    year, number = month
    first = date(year, number, 1)
    last = date(year, number, monthrange(year, number)[1])
    head = "".join(f"<th>{safe_text(labels.weekday(i))}</th>" for i in range(7))
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
            chips = "".join(f"<li>{chip(page, s)}</li>" for s in slots[:DAY_LIMIT])
            if len(slots) > DAY_LIMIT:
                chips += (f'<li class="cm-more"><a href="#{week_anchor(monday)}">'
                          f'{safe_text(labels("more", n=len(slots) - DAY_LIMIT))}</a></li>')
            cells.append(f'<td class="{" ".join(classes)}" data-date="{day.isoformat()}">'
                         f'<div class="cm-daynum">{day.day}</div>'
                         f'<ul class="cm-chips">{chips}</ul></td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<div class="cm-scroll"><table class="cm-month"><thead><tr>{head}</tr></thead>'
            f"<tbody>\n" + "\n".join(rows) + "\n</tbody></table></div>")


def _week_view(page: Page, monday: date, days: dict[date, list[Entry]]) -> str:
    labels, site = page.labels, page.site
    week_days = [monday + timedelta(days=i) for i in range(7)]
    head = "".join(f'<th{" class=cm-today" if d == site.today else ""}>'
                   f"{safe_text(labels.day(d))}</th>" for d in week_days)
    rows = []
    for name, start, end in DAYPARTS:
        cells = []
        found = False
        for day in week_days:
            slots = group_slots(e for e in days.get(day, ())
                                if e.when and start <= e.when.hour < end)
            found = found or bool(slots)
            cells.append("<td><ul class=\"cm-chips\">" +
                         "".join(f"<li>{chip(page, s, limit=70)}</li>" for s in slots) +
                         "</ul></td>")
        if found:
            rows.append(f'<tr><th scope="row">{safe_text(labels(name))}</th>'
                        f"{''.join(cells)}</tr>")
    _, week, _ = monday.isocalendar()
    title = (f"{labels('week', week=week)} · {labels.day(monday)} – "
             f"{labels.day(monday + timedelta(days=6))}")
    body = (f'<table class="cm-weekgrid"><thead><tr><th></th>{head}</tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>") if rows else \
        f'<p class="cm-muted">{safe_text(labels("nothing_this_week"))}</p>'
    return (f'<section class="cm-week" id="{week_anchor(monday)}"><h3>{safe_text(title)}'
            f'</h3><div class="cm-scroll">{body}</div></section>')


def month_page(site: Site, month: tuple[int, int], days: dict[date, list[Entry]],
               directory_urls: bool = True) -> str:
    page = Page(site, month_page_path(month), directory_urls)
    labels = site.labels
    index = site.months.index(month)
    nav = []
    if index > 0:
        nav.append(f'<a href="{page.link(month_page_path(site.months[index - 1]))}" '
                   f'rel="prev">‹ {safe_text(labels.month(*site.months[index - 1]))}</a>')
    nav.append(f'<a href="{page.link("calendar/index.md")}">'
               f'{safe_text(labels("all_months"))}</a>')
    if index + 1 < len(site.months):
        nav.append(f'<a href="{page.link(month_page_path(site.months[index + 1]))}" '
                   f'rel="next">{safe_text(labels.month(*site.months[index + 1]))} ›</a>')
    year, number = month
    first = date(year, number, 1)
    last = date(year, number, monthrange(year, number)[1])
    weeks = "\n".join(_week_view(page, monday, days) for monday in _weeks(first, last)
                      if any(days.get(monday + timedelta(days=i)) for i in range(7)))
    blocks = [section_bar(page, "calendar"), heading(labels.month(*month)),
              f'<p class="cm-monthnav">{" · ".join(nav)}</p>', legend(page), subscribe(page),
              _month_grid(page, month, days),
              f'<section class="cm-weeks"><h2 id="weeks">{safe_text(labels("week_view"))}'
              f"</h2>\n{weeks}</section>"]
    return document(labels.month(*month), blocks, wide=True, searchable=False)


def _text_block(text: str, lang: str | None) -> str:
    attr = f' lang="{lang}"' if lang and _LANG.fullmatch(lang) else ""
    return f'<div class="cm-text"{attr}>{safe_text(text)}</div>'


def _media(page: Page, rendered: Rendered, index: int) -> str:
    labels = page.labels
    out = []
    for media in rendered.parts[index].media:
        alt = media.alt or ""
        name = page.site.media.get(media.path)
        caption = (f'<figcaption><strong>{safe_text(labels("alt"))}:</strong> '
                   f'{safe_text(alt or labels("alt_missing"))}</figcaption>')
        if name is None:
            out.append(f'<figure class="cm-media cm-missing"><p>'
                       f'{safe_text(labels("media_not_shown", path=media.path))}</p>'
                       f"{caption}</figure>")
        else:
            out.append(f'<figure class="cm-media"><img src="{page.link("media/" + name)}" '
                       f'alt="{safe_text(alt)}" loading="lazy">{caption}</figure>')
    return "".join(out)


def _render(page: Page, group: RenderGroup) -> str:
    labels = page.labels
    rendered = group.rendered
    tags = " ".join(channel_tag(page.site, c) for c in group.channels)
    parts = []
    for i, part in enumerate(rendered.parts):
        title = (f'<p class="cm-part">{safe_text(labels("thread_part", n=i + 1))}</p>'
                 if len(rendered.parts) > 1 else "")
        parts.append(f"<li>{title}{_text_block(part.text, rendered.lang)}"
                     f"{_media(page, rendered, i)}</li>")
    links = ""
    if group.links:
        distinct = {link for _, link in group.links}
        shown = [safe_link(group.links[0][1])] if len(distinct) == 1 else [
            f"{safe_text(_label(page, channel))}: {safe_link(link)}"
            for channel, link in group.links]
        links = (f'<p class="cm-link">{safe_text(labels("link"))}: '
                 + "<br>".join(shown) + "</p>")
    return (f'<section class="cm-render"><h3>{tags}</h3><ol class="cm-parts">'
            f'{"".join(parts)}</ol>{links}</section>')


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


def _occurrences(page: Page, view: PostView) -> str:
    """One line per occurrence: when, the state on each channel, live links, metrics."""
    labels = page.labels
    lines = []
    slots = group_slots(view.entries)
    for slot in slots[:OCCURRENCES_SHOWN]:
        first = slot[0]
        when = safe_text(labels.when(first.when)) if first.when else ""
        extra: list[str] = [safe_link(e.url, f"{labels('live')} ({_label(page, e.channel)})")
                 for e in slot if e.url]
        extra += [f'<span class="cm-reason">{safe_text(_label(page, e.channel))}: '
                  f"{safe_text(e.reason)}</span>"
                  for e in slot if e.reason and e.state not in ("paused", "standby")]
        extra += [f'<span class="cm-reason">{safe_text(text)}</span>'
                  for e in slot if (text := _metrics(page, e))]
        tail = f"<br>{' · '.join(extra)}" if extra else ""
        lines.append(f"<li><time>{when}</time> {states_summary(page, slot, always=True)}"
                     f"{tail}</li>")
    if len(slots) > OCCURRENCES_SHOWN:
        lines.append(f'<li class="cm-muted">'
                     f'{safe_text(labels("more", n=len(slots) - OCCURRENCES_SHOWN))}</li>')
    return f'<ul class="cm-occurrences">{"".join(lines)}</ul>'


def post_section(page: Page, view: PostView) -> str:
    labels, site = page.labels, page.site
    post = view.post
    when = safe_text(labels.when(view.first)) if view.first else safe_text(labels("on_request"))
    meta = []
    campaign = site.campaign_of(post.campaign)
    if campaign:
        meta.append(f'{safe_text(labels("campaign"))}: <a href="{page.link(campaign.page)}">'
                    f"{safe_text(campaign.campaign.name)}</a>")
    if post.labels:
        meta.append(f'{safe_text(labels("labels"))}: {safe_text(", ".join(post.labels))}')
    renders = "".join(_render(page, group) for group in view.renders)
    return (f'<article class="cm-post" id="{view.anchor}"><h2><a class="cm-anchor" '
            f'href="#{view.anchor}">#</a> <time>{when}</time> · <code>{safe_text(post.id)}'
            f'</code></h2><p class="cm-meta">{" · ".join(meta)}</p>\n'
            f"{_occurrences(page, view)}\n"
            f'<div class="cm-renders">{renders}</div></article>')


def posts_page(site: Site, path: str, title: str, views: Sequence[PostView],
               back: str | None, directory_urls: bool = True) -> str:
    page = Page(site, path, directory_urls)
    labels = site.labels
    blocks = [section_bar(page, "calendar"), heading(title)]
    if back:
        blocks.append(f'<p class="cm-monthnav"><a href="{page.link(back)}">‹ '
                      f'{safe_text(labels("calendar"))}</a></p>')
    blocks.extend(post_section(page, view) for view in views)
    return document(title, blocks)


def calendar_pages(site: Site, directory_urls: bool = True) -> dict[str, str]:
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
