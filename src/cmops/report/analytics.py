"""Analytics and inbox pages, from what ``cmops collect`` stored (see
:mod:`cmops.report.sources`). Without collected data they say so and show nothing else: no
placeholder numbers, ever."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta

from markupsafe import Markup

from cmops.report.charts import bar_chart, heatmap, line_chart
from cmops.report.html import (
    MarkdownPage,
    Page,
    admonition,
    channel_tag,
    document,
    excerpt,
    heading,
    section_bar,
    table,
)
from cmops.report.model import Entry, Site
from cmops.report.safe import join, safe_link, safe_text
from cmops.report.sources import Message, PostMetrics

TOP = 10
CRISIS_MIN = 5
CRISIS_FACTOR = 3.0


def _when(site: Site, m: PostMetrics, entries: dict[str, Entry]) -> datetime | None:
    if m.published_at is not None:
        return m.published_at.astimezone(site.now.tzinfo)
    entry = entries.get(m.key)
    return entry.when if entry else None


def weekly(site: Site) -> list[tuple[date, int, int, int]]:
    """(Monday, interactions, reach, posts) per week of publication."""
    entries = {e.key: e for e in site.entries}
    weeks: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for m in site.sources.latest.values():
        when = _when(site, m, entries)
        if when is None or m.interactions is None:
            continue
        monday = when.date() - timedelta(days=when.weekday())
        weeks[monday][0] += m.interactions
        weeks[monday][1] += m.impressions or 0
        weeks[monday][2] += 1
    return [(d, n, reach, posts) for d, (n, reach, posts) in sorted(weeks.items())]


def followers(site: Site) -> dict[str, list[tuple[date, int]]]:
    out: dict[str, dict[date, int]] = defaultdict(dict)
    for p in site.sources.points:
        if p.followers is not None:
            out[p.channel][p.day] = p.followers
    return {c: sorted(days.items()) for c, days in sorted(out.items())}


def hours(site: Site) -> tuple[dict[tuple[int, int], tuple[float, int]], bool]:
    """Mean engagement rate (or mean interactions, when no reach is known) per weekday and
    hour of publication; the flag says which."""
    entries = {e.key: e for e in site.entries}
    rates: dict[tuple[int, int], list[float]] = defaultdict(list)
    counts: dict[tuple[int, int], list[float]] = defaultdict(list)
    for m in site.sources.latest.values():
        when = _when(site, m, entries)
        if when is None or m.interactions is None:
            continue
        cell = (when.weekday(), when.hour)
        counts[cell].append(float(m.interactions))
        if m.rate is not None:
            rates[cell].append(m.rate)
    chosen, by_rate = (rates, True) if rates else (counts, False)
    return {cell: (statistics.fmean(v), len(v)) for cell, v in chosen.items()}, by_rate


def top_posts(site: Site) -> list[PostMetrics]:
    known = [m for m in site.sources.latest.values() if m.interactions is not None]
    known.sort(key=lambda m: (-(m.interactions or 0), m.key))
    return known[:TOP]


def _bad_files(site: Site) -> Markup:
    if not site.sources.bad:
        return Markup()
    return admonition("warning", site.labels("bad_files", files=""),
                      Markup("<ul>{}</ul>").format(join(Markup(""),
                          [Markup("<li>{}</li>").format(safe_text(b)) for b in site.sources.bad])))


def analytics_page(site: Site, directory_urls: bool = True) -> MarkdownPage:
    page = Page(site, "analytics/index.md", directory_urls)
    labels = site.labels
    blocks = [section_bar(page, "analytics"), heading(labels("analytics")), _bad_files(site)]
    sources = site.sources
    if not sources.has_metrics:
        blocks.append(admonition("info cm-empty", labels("no_metrics"), Markup()))
        return document(labels("analytics"), blocks)
    blocks.append(Markup('<p class="cm-muted">{}</p>').format(safe_text(labels(
        "snapshots_read", n=sources.snapshot_files, first=labels.day_long(sources.days[0]),
        last=labels.day_long(sources.days[-1])))))
    weeks = weekly(site)
    bars = [(labels.day(d), float(n), f"{labels.day_long(d)}: {labels.number(n)} "
             f"{labels('interactions')}, {posts} {labels('count')}") for d, n, _, posts in weeks]
    figure = Markup('<section><h2>{}</h2><p class="cm-muted">{}</p><figure class="cm-figure">'
                    "{}</figure></section>")
    blocks.append(figure.format(safe_text(labels("engagement")),
                                safe_text(labels("engagement_note")),
                                bar_chart(bars, labels("engagement"), labels.number)))
    series = [(site.channels[c].label if c in site.channels else c,
               site.channels[c].color if c in site.channels else "#888888",
               [(d, float(n)) for d, n in points]) for c, points in followers(site).items()]
    if series:
        legend = join(Markup(" "), [channel_tag(site, c) for c in followers(site)])
        blocks.append(Markup('<section><h2>{}</h2><p class="cm-legend">{}</p>'
                             '<figure class="cm-figure">{}</figure></section>').format(
            safe_text(labels("followers_growth")), legend,
            line_chart(series, labels("followers_growth"), labels.number, labels.day)))
    cells, by_rate = hours(site)
    fmt = labels.percent if by_rate else labels.number
    blocks.append(figure.format(
        safe_text(labels("best_hours")), safe_text(labels("best_hours_note")),
        heatmap(cells, [labels.weekday(i) for i in range(7)], labels("best_hours"), fmt)))
    blocks.append(_top(page))
    return document(labels("analytics"), blocks)


def _top(page: Page) -> Markup:
    site, labels = page.site, page.labels
    best = top_posts(site)
    if not best:
        return Markup()
    rows = []
    bars = []
    for m in best:
        view = site.posts.get(m.post)
        text = excerpt(view.post.text, 70) if view else m.post
        href = page.post_link(m.post)
        post = (Markup('<a href="{}">{}</a>').format(href, safe_text(text)) if href
                else safe_text(text))
        rate = labels.percent(m.rate) if m.rate is not None else labels("none")
        reach = labels.number(m.impressions) if m.impressions is not None else labels("none")
        rows.append(Markup('<tr><td>{}</td><td>{}</td><td class="cm-num">{}</td>'
                           '<td class="cm-num">{}</td><td class="cm-num">{}</td>'
                           "<td>{}</td></tr>").format(
            post, channel_tag(site, m.channel), labels.number(m.interactions or 0), reach,
            safe_text(rate), safe_link(m.url, labels("live")) if m.url else ""))
        bars.append((excerpt(text, 14), float(m.interactions or 0),
                     f"{text}: {labels.number(m.interactions or 0)}"))
    return Markup('<section><h2>{}</h2><figure class="cm-figure">{}</figure>{}</section>').format(
        safe_text(labels("top_posts")), bar_chart(bars, labels("top_posts"), labels.number),
        table([labels("post"), labels("channel"), labels("interactions"),
               labels("impressions"), labels("rate"), labels("link")], rows, "cm-top"))


def answered(site: Site, m: Message) -> bool:
    """Whether a message has its answer: a published reply post, or one cmops collect saw on
    the network (:mod:`cmops.answers`)."""
    found = site.answers.get(m.id)
    return found.state == "answered" if found else m.replied_at is not None


def _median_response(site: Site) -> float | None:
    since = site.now - timedelta(days=30)
    waits = [a.response.total_seconds() for m in site.sources.inbox
             if m.received_at >= since and (a := site.answers.get(m.id)) is not None
             and a.response is not None]
    waits += [(m.replied_at - m.received_at).total_seconds() for m in site.sources.inbox
              if m.id not in site.answers and m.replied_at and m.received_at >= since
              and m.replied_at >= m.received_at]
    return statistics.median(waits) if waits else None


def crisis(site: Site) -> tuple[int, float, bool]:
    """Negative messages in the last 24 h, the daily average over the 7 days before, and
    whether that is a spike."""
    now = site.now
    negative = [m.received_at for m in site.sources.inbox if m.sentiment == "negative"]
    last_day = sum(1 for t in negative if now - timedelta(days=1) < t <= now)
    before = sum(1 for t in negative if now - timedelta(days=8) < t <= now - timedelta(days=1))
    average = before / 7
    return last_day, average, last_day >= CRISIS_MIN and last_day >= CRISIS_FACTOR * max(
        average, 1.0)


def _author(m: Message) -> Markup:
    name = m.author_name or m.author_handle or "?"
    shown = f"{name} ({m.author_handle})" if m.author_handle and m.author_name else name
    return safe_link(m.author_url, shown) if m.author_url else safe_text(shown)


def inbox_page(site: Site, directory_urls: bool = True) -> MarkdownPage:
    page = Page(site, "inbox/index.md", directory_urls)
    labels = site.labels
    blocks = [section_bar(page, "inbox"), heading(labels("inbox")), _bad_files(site)]
    if not site.sources.collected:
        blocks.append(admonition("info cm-empty", labels("no_inbox"), Markup()))
        blocks.append(_saved_replies(site))
        return document(labels("inbox"), blocks)
    inbox = site.sources.inbox
    open_items = [m for m in inbox if not answered(site, m) and m.received_at <= site.now]
    median = _median_response(site)
    negative, average, spike = crisis(site)
    cards = [(labels.number(len(open_items)), labels("unanswered")),
             (labels.duration(median) if median is not None else labels("none"),
              labels("response_time"))]
    blocks.append(Markup('<div class="cm-cards">{}</div>').format(join(Markup(""),
        [Markup('<div class="cm-card cm-kpi"><div class="cm-kpi-value">{}</div>'
               '<div class="cm-kpi-label">{}</div></div>').format(safe_text(v), safe_text(k))
        for v, k in cards])))
    text = labels("crisis_spike", n=negative, avg=labels.number(average, 1))
    blocks.append(admonition("danger", labels("crisis"),
                             Markup("<p>{}</p>").format(safe_text(text)), "alert")
                  if spike else Markup("<section><h2>{}</h2><p>{}</p></section>").format(
                      safe_text(labels("crisis")), safe_text(labels("crisis_none"))))
    rows = []
    for m in sorted(open_items, key=lambda m: (m.received_at, m.id)):
        age = labels.duration((site.now - m.received_at).total_seconds())
        # Direct messages are private: the site shows that one is waiting, not what it says.
        body = labels("private") if m.kind == "dm" else excerpt(m.text, 140)
        link = safe_link(m.url, labels("open_detail")) if m.url and m.kind != "dm" else ""
        found = site.answers.get(m.id)
        if found and found.replies:  # a reply post waits for review or its time
            link = Markup("{} <em>{}</em>").format(link, safe_text(labels("reply_drafted")))
        rows.append(Markup('<tr class="cm-s-{}"><td class="cm-num">{}</td><td>{}</td>'
                           "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>").format(
            "negative" if m.sentiment == "negative" else "open", safe_text(age),
            channel_tag(site, m.channel), safe_text(m.kind), _author(m), safe_text(body), link))
    blocks.append(Markup("<section><h2>{}</h2>{}</section>").format(
        safe_text(labels("unanswered")),
        table([labels("age"), labels("channel"), labels("kind"), labels("author"),
               labels("text"), labels("link")], rows, "cm-inbox") if rows else
        Markup('<p class="cm-ok">{}</p>').format(safe_text(labels("unanswered_none")))))
    blocks.append(_answered(site, inbox))
    blocks.append(_saved_replies(site))
    blocks.append(_leaders(page, inbox))
    return document(labels("inbox"), blocks)


def _answered(site: Site, inbox: list[Message]) -> Markup:
    """Messages answered in the last 30 days, latest answer first, each with its response
    time and a link to the reply post that answered it (listed after the unanswered)."""
    labels = site.labels
    since = site.now - timedelta(days=30)
    done = [(m, a) for m in inbox if (a := site.answers.get(m.id)) is not None
            and a.state == "answered" and a.answered_at is not None and a.answered_at >= since]
    if not done:
        return Markup()
    done.sort(key=lambda ma: (ma[1].answered_at or site.now, ma[0].id), reverse=True)
    rows = []
    for m, a in done:
        took = labels.duration(a.response.total_seconds()) if a.response is not None \
            else labels("none")
        body = labels("private") if m.kind == "dm" else excerpt(m.text, 140)
        if a.by is not None:
            reply = safe_link(a.by.url, labels("reply_link")) if a.by.url \
                else safe_text(a.by.post)
        else:
            reply = safe_text(labels("answered_in_app"))
        rows.append(Markup('<tr class="cm-s-answered"><td class="cm-num">{}</td><td>{}</td>'
                           "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>").format(
            safe_text(took), channel_tag(site, m.channel), safe_text(m.kind), _author(m),
            safe_text(body), reply))
    return Markup("<section><h2>{}</h2>{}</section>").format(
        safe_text(labels("answered")),
        table([labels("answered_in"), labels("channel"), labels("kind"), labels("author"),
               labels("text"), labels("reply_title")], rows, "cm-answered"))


def _saved_replies(site: Site) -> Markup:
    """The team's reply templates (calendar/replies/), to copy into the network's app."""
    labels = site.labels
    if not site.replies:
        return Markup()
    rows = [Markup("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>").format(
                safe_text(r.title), safe_text(", ".join(r.kinds) or "—"),
                safe_text(r.lang or "—"), safe_text(r.text))
            for r in site.replies]
    return Markup("<section><h2>{}</h2>{}</section>").format(
        safe_text(labels("saved_replies")),
        table([labels("reply_title"), labels("for_kinds"), labels("language"), labels("text")],
              rows, "cm-replies"))


def _leaders(page: Page, inbox: list[Message]) -> Markup:
    labels = page.labels
    authors: dict[str, list[Message]] = defaultdict(list)
    for m in inbox:
        if m.kind != "dm":
            authors[m.author_handle or m.author_name].append(m)
    ranked = sorted(authors.items(), key=lambda kv: (
        -max((m.author_followers or 0) for m in kv[1]), -len(kv[1]), kv[0]))[:TOP]
    if not ranked:
        return Markup()
    rows = [Markup('<tr><td>{}</td><td class="cm-num">{}</td><td class="cm-num">{}</td></tr>'
                   ).format(_author(msgs[-1]),
                            labels.number(max((m.author_followers or 0) for m in msgs)),
                            str(len(msgs)))
            for _, msgs in ranked]
    return Markup("<section><h2>{}</h2>{}</section>").format(
        safe_text(labels("opinion_leaders")),
        table([labels("author"), labels("followers_of"), labels("mentions")], rows,
              "cm-leaders"))
