"""Calendar pages: the month grids (a real table, days by weeks, a coloured dot per channel)
and one page per week (every post of the week by part of the day). The post details are
:mod:`cmops.report.posts`'s pages, placed before these link to them."""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from datetime import date, timedelta

from markupsafe import Markup

from cmops.report.html import (
    MarkdownPage,
    Page,
    badge,
    chip,
    document,
    fill,
    group_slots,
    heading,
    legend,
    section_bar,
    subscribe,
)
from cmops.report.labels import Labels
from cmops.report.model import Entry, Site, month_name
from cmops.report.posts import post_pages
from cmops.report.safe import join, safe_text

DAY_LIMIT = 6
"""Posts shown in a month-grid cell; the rest are one click away in the week view."""
DAYPARTS = (("night", 0, 6), ("morning", 6, 12), ("afternoon", 12, 18), ("evening", 18, 24))


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


def day_anchor(day: date) -> str:
    return f"d-{day.isoformat()}"


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
        summary = join(Markup(" "), [fill(Markup("%s %s"), badge(labels, s), str(n))
                                   for s, n in sorted(states.items())])
        current = " cm-current" if month == (site.now.year, site.now.month) else ""
        cards.append(fill(Markup('<div class="cm-card cm-month-card%s"><h3><a href="%s">%s</a></h3>'
                            "<p>%s</p></div>"),
            current, page.link(month_page_path(month)), safe_text(labels.month(*month)),
            summary))
    blocks = [section_bar(page, "calendar"), heading(labels("calendar")), legend(page),
              subscribe(page),
              fill(Markup('<div class="cm-cards">%s</div>'), join(Markup(""), cards))]
    if site.standby:
        blocks.append(fill(Markup('<p><a href="%s">%s</a></p>'),
            page.link("posts/standby/index.md"), safe_text(labels("holding"))))
    return document(labels("calendar"), blocks)


def _month_grid(page: Page, month: tuple[int, int], days: dict[date, list[Entry]]
                ) -> Markup:
    labels, site = page.labels, page.site
    year, number = month
    first = date(year, number, 1)
    last = date(year, number, monthrange(year, number)[1])
    head = join(Markup(""), [fill(Markup("<th>%s</th>"), safe_text(labels.weekday(i)))
                           for i in range(7)])
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
            chips = join(Markup(""), [fill(Markup("<li>%s</li>"), chip(page, s))
                                    for s in slots[:DAY_LIMIT]])
            if len(slots) > DAY_LIMIT:
                chips += fill(Markup('<li class="cm-more"><a href="%s">%s</a></li>'),
                    page.link(week_page_path(monday), day_anchor(day)),
                    safe_text(labels("more", n=len(slots) - DAY_LIMIT)))
            cells.append(fill(Markup('<td class="%s" data-date="%s"><div class="cm-daynum">%s</div>'
                                '<ul class="cm-chips">%s</ul></td>'),
                " ".join(classes), day.isoformat(), str(day.day), chips))
        rows.append(fill(Markup("<tr>%s</tr>"), join(Markup(""), cells)))
    return fill(Markup('<div class="cm-scroll"><table class="cm-month"><thead><tr>%s</tr></thead>'
                  "<tbody>\n%s\n</tbody></table></div>"), head, join(Markup("\n"), rows))


def _week_view(page: Page, monday: date, days: dict[date, list[Entry]]) -> Markup:
    labels, site = page.labels, page.site
    week_days = [monday + timedelta(days=i) for i in range(7)]
    head = join(Markup(""), [fill(Markup('<th id="%s"%s>%s</th>'),
        day_anchor(d), Markup(" class=cm-today") if d == site.today else "",
        safe_text(labels.day(d))) for d in week_days])
    rows = []
    for name, start, end in DAYPARTS:
        cells = []
        found = False
        for day in week_days:
            slots = group_slots(e for e in days.get(day, ())
                                if e.when and start <= e.when.hour < end)
            found = found or bool(slots)
            cells.append(fill(Markup('<td><ul class="cm-chips">%s</ul></td>'),
                join(Markup(""), [fill(Markup("<li>%s</li>"), chip(page, s, limit=70))
                                for s in slots])))
        if found:
            rows.append(fill(Markup('<tr><th scope="row">%s</th>%s</tr>'),
                safe_text(labels(name)), join(Markup(""), cells)))
    body = fill(Markup('<table class="cm-weekgrid"><thead><tr><td></td>%s</tr></thead><tbody>%s'
                  "</tbody></table>"), head, join(Markup(""), rows)) if rows else \
        fill(Markup('<p class="cm-muted">%s</p>'), safe_text(labels("nothing_this_week")))
    return fill(Markup('<section class="cm-week" id="%s"><div class="cm-scroll">%s</div>'
                  "</section>"), week_anchor(monday), body)


def _week_title(labels: Labels, monday: date) -> str:
    _, week, _ = monday.isocalendar()
    return (f"{labels('week', week=week)} · {labels.day(monday)} – "
            f"{labels.day(monday + timedelta(days=6))}")


def month_page(site: Site, month: tuple[int, int], days: dict[date, list[Entry]],
               directory_urls: bool = True) -> MarkdownPage:
    page = Page(site, month_page_path(month), directory_urls)
    labels = site.labels
    index = site.months.index(month)
    nav = []
    if index > 0:
        nav.append(fill(Markup('<a href="%s" rel="prev">‹ %s</a>'),
            page.link(month_page_path(site.months[index - 1])),
            safe_text(labels.month(*site.months[index - 1]))))
    nav.append(fill(Markup('<a href="%s">%s</a>'), page.link("calendar/index.md"),
                                                   safe_text(labels("all_months"))))
    if index + 1 < len(site.months):
        nav.append(fill(Markup('<a href="%s" rel="next">%s ›</a>'),
            page.link(month_page_path(site.months[index + 1])),
            safe_text(labels.month(*site.months[index + 1]))))
    year, number = month
    first = date(year, number, 1)
    last = date(year, number, monthrange(year, number)[1])
    weeks = join(Markup(""),
        [fill(Markup('<li><a href="%s">%s</a> <span class="cm-muted">%s</span></li>'),
            page.link(week_page_path(monday)), safe_text(_week_title(labels, monday)),
            safe_text(labels("items", n=count)))
        for monday in _weeks(first, last)
        if (count := len(group_slots(e for i in range(7)
                                     for e in days.get(monday + timedelta(days=i), ()))))])
    blocks = [section_bar(page, "calendar"), heading(labels.month(*month)),
              fill(Markup('<p class="cm-monthnav">%s</p>'), join(Markup(" · "), nav)),
              legend(page), subscribe(page), _month_grid(page, month, days),
              fill(Markup('<section class="cm-weeks"><h2 id="weeks">%s</h2><ul>%s</ul></section>'
                     ), safe_text(labels("week_view")), weeks)]
    return document(labels.month(*month), blocks, wide=True, searchable=False)


def week_page_path(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"calendar/{year}-W{week:02d}/index.md"


def week_page(site: Site, monday: date, days: dict[date, list[Entry]],
              directory_urls: bool = True) -> MarkdownPage:
    """One week, by part of the day: every post of the week (the month grid shows at most
    :data:`DAY_LIMIT` a day and links here for the rest)."""
    page = Page(site, week_page_path(monday), directory_urls)
    labels = site.labels
    sunday = monday + timedelta(days=6)
    months = list(dict.fromkeys(m for m in ((monday.year, monday.month),
                                            (sunday.year, sunday.month)) if m in site.months))
    nav = [fill(Markup('<a href="%s">‹ %s</a>'), page.link(month_page_path(m)),
                                                  safe_text(labels.month(*m))) for m in months]
    title = _week_title(labels, monday)
    blocks = [section_bar(page, "calendar"), heading(title),
              fill(Markup('<p class="cm-monthnav">%s</p>'), join(Markup(" · "), nav)),
              legend(page), _week_view(page, monday, days)]
    return document(title, blocks, wide=True, searchable=False)


def calendar_pages(site: Site, directory_urls: bool = True) -> dict[str, MarkdownPage]:
    """The calendar's pages and the post details (placed first: every other page links to
    a post on the page :func:`~cmops.report.posts.post_pages` gives it)."""
    pages = post_pages(site, {m: month_page_path(m) for m in site.months}, directory_urls)
    days = _by_day(site)
    pages["calendar/index.md"] = calendar_index(site, directory_urls)
    for month in site.months:
        pages[month_page_path(month)] = month_page(site, month, days, directory_urls)
    mondays = sorted({day - timedelta(days=day.weekday()) for day in days})
    for monday in mondays:
        pages[week_page_path(monday)] = week_page(site, monday, days, directory_urls)
    return pages
