"""Campaign pages (window, goals against actuals, a timeline, the posts and their results)
and the published log (what went out where and when; failures and expiries never hidden)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from markupsafe import Markup

from cmops import kpi
from cmops.report.catalogue import TRAFFIC_WORDS
from cmops.report.charts import Marker, Row, timeline
from cmops.report.dashboard import badge_state, goal_html, log_table
from cmops.report.html import (
    MarkdownPage,
    Page,
    channel_tag,
    counts_line,
    document,
    excerpt,
    group_slots,
    heading,
    section_bar,
    states_summary,
    table,
)
from cmops.report.model import CampaignView, LogRow, Site, month_name
from cmops.report.safe import fill, join, safe_text
from cmops.utm import campaign_matcher

LOG_FILTERS = ("published", "failed", "expired", "needs_human", "pending", "withdrawn")
RECENT_DAYS = 30
MARKS_LINKED = 300
"""Up to this many marks, each mark on a campaign timeline links to its post."""


def _window(page: Page, view: CampaignView) -> str:
    labels = page.labels
    if view.start and view.end:
        return f"{labels.day_long(view.start)} → {labels.day_long(view.end)}"
    return labels("none")


def campaigns_index(site: Site, directory_urls: bool = True) -> MarkdownPage:
    page = Page(site, "campaigns/index.md", directory_urls)
    labels = site.labels
    rows = []
    for view in site.campaigns:
        status = labels("status_" + view.status) if view.status else ""
        goals = " · ".join(
            f"{labels('goal_' + g.name)} "
            f"{labels.percent(g.actual) if g.percent and g.actual is not None else ''}"
            f"{labels.number(g.actual) if not g.percent and g.actual is not None else ''}"
            f"{'' if g.actual is not None else labels('none')}"
            f" / {labels.percent(g.target) if g.percent else labels.number(g.target)}"
            for g in view.goals)
        posts = len({e.post_id for e in view.entries})
        rows.append(Markup('<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td>'
                           '<td class="cm-num">{}</td><td>{}</td></tr>').format(
            page.link(view.page), safe_text(view.campaign.name),
            safe_text(_window(page, view)), safe_text(status), str(posts), safe_text(goals)))
    blocks = [section_bar(page, "campaigns"), heading(labels("campaigns")),
              table([labels("campaign"), labels("window"), labels("status"), labels("count"),
                     labels("kpis")], rows, "cm-campaigns") if rows else
              Markup('<p class="cm-muted">{}</p>').format(
                  safe_text(labels("no_active_campaign")))]
    return document(labels("campaigns"), blocks)


def _timeline(page: Page, view: CampaignView) -> Markup:
    site, labels = page.site, page.labels
    timed = [e for e in view.entries if e.when]
    days = [e.when.date() for e in timed if e.when]
    first = min([d for d in (view.start,) if d] + days, default=None)
    last = max([d for d in (view.end,) if d] + days, default=None)
    if first is None or last is None:
        return Markup()
    rows = []
    for channel in view.channels:
        info = site.channels.get(channel)
        markers = []
        for e in timed:
            if e.channel != channel or e.when is None:
                continue
            post = site.posts.get(e.post_id)
            tip = (f"{labels.when(e.when)} · {labels.state(e.state)} · "
                   f"{excerpt(post.post.text, 60) if post else e.post_id}")
            markers.append(Marker(e.when, e.state, page.post_url(e.post_id) or "", tip))
        rows.append(Row(info.label if info else channel, info.color if info else "#888888",
                        markers))
    if sum(len(r.markers) for r in rows) > MARKS_LINKED:
        # A busy campaign: plain marks (the results table below links every post).
        rows = [Row(r.label, r.color, [Marker(m.when, m.state, "", "") for m in r.markers])
                for r in rows]
    window = (view.start, view.end) if view.start and view.end else None
    svg = timeline(first, last, rows, site.today, labels("timeline"), window,
                   day_label=labels.day, today_label=labels("today"))
    return Markup('<figure class="cm-figure cm-timeline">{}</figure>').format(svg)


def _traffic(page: Page, view: CampaignView) -> Markup:
    """Sessions, engaged sessions and key events per source, from the GA4 files; an empty
    state that says why when there is nothing to show."""
    labels, sources = page.labels, page.site.sources
    words = TRAFFIC_WORDS[labels.lang]
    campaign = view.campaign
    matcher = campaign_matcher(campaign)

    def muted(text: str) -> Markup:
        return Markup('<p class="cm-muted">{}</p>').format(safe_text(text))

    section = Markup('<section class="cm-traffic">{}{}</section>')
    title = Markup("<h2>{}</h2>").format(safe_text(words["traffic"]))
    if not sources.has_traffic or sources.traffic_first is None or \
            sources.traffic_last is None:
        return section.format(title, muted(words["none_collected"]))
    if matcher is None:
        return section.format(title, muted(words["untagged"]))
    name = campaign.utm.get("campaign", campaign.id).replace("{campaign}", campaign.id)
    first, last = labels.day_long(sources.traffic_first), labels.day_long(sources.traffic_last)
    by_source: dict[str, list[float]] = {}
    for visit in sources.visits:
        if matcher.fullmatch(visit.campaign):
            sums = by_source.setdefault(visit.source, [0, 0, 0.0])
            sums[0] += visit.sessions
            sums[1] += visit.engaged_sessions
            sums[2] += visit.key_events
    if not by_source:
        return section.format(title, muted(words["empty"].format(name=name, first=first,
                                                                 last=last)))

    def cells(values: list[float]) -> Markup:
        return Markup("").join(Markup('<td class="cm-num">{}</td>').format(
            labels.number(v, 0 if float(v).is_integer() else 1)) for v in values)

    ordered = sorted(by_source.items(), key=lambda kv: (-kv[1][0], kv[0]))
    rows = [Markup("<tr><td>{}</td>{}</tr>").format(safe_text(source or labels("none")),
                                                    cells(sums))
            for source, sums in ordered]
    if len(rows) > 1:
        total = [sum(sums[i] for _, sums in ordered) for i in range(3)]
        rows.append(Markup('<tr class="cm-total"><th scope="row">{}</th>{}</tr>').format(
            safe_text(words["total"]), cells(total)))
    return section.format(
        title, table([words["source"], words["sessions"], words["engaged"],
                      words["key_events"]], rows, "cm-campaign-traffic")
        + muted(words["note"].format(name=name, first=first, last=last)))


def campaign_page(site: Site, view: CampaignView, directory_urls: bool = True
                  ) -> MarkdownPage:
    page = Page(site, view.page, directory_urls)
    labels = site.labels
    campaign = view.campaign
    fact = Markup("<dt>{}</dt><dd>{}</dd>")
    meta = [fact.format(safe_text(labels("window")), safe_text(_window(page, view))
                        + (Markup(" · {}").format(safe_text(labels("status_" + view.status)))
                           if view.status else Markup()))]
    description = campaign.raw.get("description")
    owner = campaign.raw.get("owner")
    if isinstance(owner, str):
        meta.append(fact.format(safe_text(labels("owner")), safe_text(owner)))
    if view.channels:
        meta.append(fact.format(safe_text(labels("legend")),
                                Markup(" ").join(channel_tag(site, c) for c in view.channels)))
    if isinstance(description, str):
        meta.append(fact.format(safe_text(labels("description")),
                                safe_text(" ".join(description.split()))))
    has_data = site.sources.has_metrics
    goals = Markup("").join(goal_html(page, g) for g in view.goals)
    muted = Markup('<p class="cm-muted">{}</p>')
    goal_block = Markup('<section class="cm-kpis"><h2>{}</h2>{}{}</section>').format(
        safe_text(labels("kpis")),
        Markup('<div class="cm-cards cm-goals">{}</div>').format(goals) if goals else
        muted.format(safe_text(labels("no_goals"))),
        Markup() if has_data or not goals else muted.format(safe_text(labels("no_metrics"))))
    rows = []
    for slot in group_slots(view.entries):
        first = slot[0]
        href = page.post_link(first.post_id)
        post = site.posts.get(first.post_id)
        text = safe_text(excerpt(post.post.text, 80) if post else first.post_id)
        states = states_summary(page, slot, always=True)
        inter = sum(e.metrics.interactions or 0 for e in slot if e.metrics)
        reach = sum(e.metrics.impressions or 0 for e in slot if e.metrics)
        known = any(e.metrics for e in slot)
        rows.append(Markup('<tr><td>{}</td><td><a href="{}">{}</a></td><td>{}</td>'
                           '<td class="cm-num">{}</td><td class="cm-num">{}</td></tr>').format(
            safe_text(labels.when(first.when)) if first.when else "", href, text, states,
            labels.number(inter) if known else "", labels.number(reach) if known else "")
                    if href else Markup())
    posts = table([labels("when"), labels("post"), labels("state"), labels("interactions"),
                   labels("impressions")], rows, "cm-campaign-posts") if rows else \
        muted.format(safe_text(labels("no_posts")))
    counts = counts_line(labels, view.kpis.posts, labels("counts_campaign"),
                         view.kpis.scope) if view.kpis else Markup()
    blocks = [section_bar(page, "campaigns"), heading(campaign.name),
              Markup('<dl class="cm-facts">{}</dl>').format(Markup("").join(meta)), counts,
              goal_block,
              Markup("<section><h2>{}</h2>{}</section>").format(safe_text(labels("timeline")),
                                                               _timeline(page, view)),
              Markup("<section><h2>{}</h2>{}</section>").format(safe_text(labels("results")),
                                                               posts),
              _traffic(page, view)]
    # Its text repeats the posts' (searchable on their own pages) and the campaigns index.
    return document(f"{labels('campaign')}: {campaign.name}", blocks, searchable=False)


def _filter(page: Page, rows: list[LogRow]) -> Markup:
    """State filter without script: radio buttons and CSS sibling rules (report.css)."""
    labels = page.labels
    counts = Counter(badge_state(r.state) for r in rows)
    options = [("all", f"{labels('all')} ({len(rows)})")] + [
        (s, f"{labels.state(s)} ({counts[s]})") for s in LOG_FILTERS if counts[s]]
    out = []
    for value, text in options:
        checked = " checked" if value == "all" else ""
        out.append(Markup('<input type="radio" name="cm-f" id="cm-f-{}" class="cm-f-{}"{}>'
                          '<label for="cm-f-{}">{}</label>').format(
            value, value, checked, value, safe_text(text)))
    return Markup('<span class="cm-filter-title">{}:</span>{}').format(
        safe_text(labels("filter")), Markup("").join(out))


LOG_PAGE_ROWS = 500
"""Rows of the published log on one page, at most. A table's rows cost the reader's browser
style and layout time more than their bytes: on the 10,000-post year a month of 2,166 rows
(930 KB) blocked the main thread for 750 ms (Lighthouse performance 69), 1,000 rows for
180 ms (94), 500 rows for 30 ms (99). A longer month is split into pages of this many rows,
newest first."""

LOG_WORDS = {
    "en": {"newer": "Newer", "older": "Older", "pages": "Pages",
           "capped": "The {shown} most recent of {total} rows (failures and items waiting for "
                     "a human first); every row is on the month pages below."},
    "fr": {"newer": "Plus récents", "older": "Plus anciens", "pages": "Pages",
           "capped": "Les {shown} lignes les plus récentes sur {total} (les échecs et ce qui "
                     "attend une intervention d'abord) ; les pages par mois ci-dessous les "
                     "contiennent toutes."},
}
"""The log's own words (its pagination), beside the catalogue's."""

_NEEDS_HUMAN = ("failed", "needs_human")


def _latest(rows: list[LogRow], limit: int) -> list[LogRow]:
    """At most ``limit`` of ``rows`` (newest first, as the log is), failures and items
    waiting for a human before anything else, in the log's order."""
    if len(rows) <= limit:
        return rows
    urgent = [i for i, r in enumerate(rows) if r.state in _NEEDS_HUMAN][:limit]
    others = [i for i, r in enumerate(rows) if r.state not in _NEEDS_HUMAN]
    return [rows[i] for i in sorted(urgent + others[:limit - len(urgent)])]


def log_month_path(month: str, number: int = 1) -> str:
    """Page ``number`` (1: the newest rows) of a month of the published log."""
    return f"published/{month}/index.md" if number == 1 else \
        f"published/{month}/{number}/index.md"


def _month_nav(page: Page, months: list[str], month: str) -> Markup:
    """Back to the log, and the months before and after that have rows."""
    labels = page.labels
    link = Markup('<a href="%s">%s</a>')
    nav = [fill(link, page.link("published/index.md"), "‹ " + labels("published"))]
    at = months.index(month)
    if at > 0:
        nav.append(fill(link, page.link(log_month_path(months[at - 1])),
                        "‹ " + labels("prev")))
    if at + 1 < len(months):
        nav.append(fill(link, page.link(log_month_path(months[at + 1])),
                        labels("next") + " ›"))
    return fill(Markup('<p class="cm-monthnav">%s</p>'), join(Markup(" · "), nav))


def _pager(page: Page, month: str, chunks: list[list[LogRow]], current: int
           ) -> tuple[Markup, Markup]:
    """Links to every page of a month, each named by the days its rows span (newest
    first), the current one marked, and the newer and older page; then the newer and older
    links alone, for the foot of the page."""
    if len(chunks) < 2:
        return Markup(), Markup()
    labels, words = page.labels, LOG_WORDS[page.labels.lang]
    links = []
    for number, rows in enumerate(chunks, start=1):
        days = [r.when.date() for r in rows if r.when]
        span = labels.day(days[0]) if days[0] == days[-1] else \
            f"{labels.day(days[0])} – {labels.day(days[-1])}"
        if number == current:
            links.append(fill(Markup('<strong aria-current="page">%s</strong>'), span))
        else:
            links.append(fill(Markup('<a href="%s">%s</a>'),
                              page.link(log_month_path(month, number)), span))
    steps = []
    if current > 1:
        steps.append(fill(Markup('<a href="%s" rel="prev">‹ %s</a>'),
                          page.link(log_month_path(month, current - 1)), words["newer"]))
    if current < len(chunks):
        steps.append(fill(Markup('<a href="%s" rel="next">%s ›</a>'),
                          page.link(log_month_path(month, current + 1)), words["older"]))
    step_links = join(Markup(" · "), steps)
    return (fill(Markup('<nav class="cm-monthnav cm-pages" aria-label="%s">%s: %s — %s</nav>'),
                 f"{words['pages']} — {labels.month(int(month[:4]), int(month[5:7]))}",
                 words["pages"], join(Markup(" · "), links), step_links),
            fill(Markup('<p class="cm-monthnav">%s</p>'), step_links))


def _filterable(page: Page, rows: list[LogRow]) -> Markup:
    # The log's rows stay out of the search index (one entry per row would dwarf it).
    return fill(Markup('<div class="cm-filterable" data-search-exclude>%s%s</div>'),
                _filter(page, rows), log_table(page, rows))


def log_pages(site: Site, directory_urls: bool = True) -> dict[str, MarkdownPage]:
    labels = site.labels
    by_month: dict[str, list[LogRow]] = defaultdict(list)
    for row in site.log:
        if row.when:
            by_month[month_name((row.when.year, row.when.month))].append(row)
    months = sorted(by_month)
    pages: dict[str, MarkdownPage] = {}
    page = Page(site, "published/index.md", directory_urls)
    since = site.now - timedelta(days=RECENT_DAYS)
    recent = [r for r in site.log if r.when is None or r.when >= since
              or r.state in ("failed", "expired", "needs_human")]
    shown = _latest(recent, LOG_PAGE_ROWS)
    blocks = [section_bar(page, "published"), heading(labels("published"))]
    overall = site.kpis.get("all")
    if overall is not None:
        blocks.append(counts_line(labels, overall.posts, labels("recent"), "all"))
    # The table also keeps every older failure and expiry: say how many there are in all.
    blocks.append(counts_line(labels, kpi.post_counts(
        o for o in site.outcomes if o.channel in site.channels), labels("counts_all_time"),
        "all-time"))
    if not site.log:
        blocks.append(Markup('<p class="cm-muted">{}</p>').format(safe_text(labels("log_empty"))))
    else:
        if len(shown) < len(recent):
            blocks.append(fill(Markup('<p class="cm-muted cm-capped">%s</p>'),
                               LOG_WORDS[labels.lang]["capped"].format(
                                   shown=labels.number(len(shown)),
                                   total=labels.number(len(recent)))))
        blocks.append(_filterable(page, shown))
    if by_month:
        links = join(Markup(""), [
            fill(Markup('<li><a href="%s">%s</a> <span class="cm-muted">%s</span></li>'),
                 page.link(log_month_path(m)), labels.month(int(m[:4]), int(m[5:7])),
                 labels("items", n=len(by_month[m])))
            for m in reversed(months)])
        blocks.append(fill(Markup("<section><h2>%s</h2><ul>%s</ul></section>"),
                           labels("months"), links))
    pages["published/index.md"] = document(labels("published"), blocks)
    for month in months:
        rows = by_month[month]
        year, number = int(month[:4]), int(month[5:7])
        counted = kpi.post_counts(
            (o for o in site.outcomes if o.channel in site.channels),
            *_month_bounds(site, year, number))
        chunks = [rows[i:i + LOG_PAGE_ROWS] for i in range(0, len(rows), LOG_PAGE_ROWS)]
        for index, chunk in enumerate(chunks, start=1):
            path = log_month_path(month, index)
            page = Page(site, path, directory_urls)
            title = f"{labels('published')} — {labels.month(year, number)}"
            if len(chunks) > 1:
                title += f" ({index}/{len(chunks)})"
            pager, foot = _pager(page, month, chunks, index)
            # Later pages of a month: only the first holds the month's entry in the index.
            pages[path] = document(title, [
                section_bar(page, "published"), heading(title),
                counts_line(labels, counted, labels("counts_month"), f"month:{month}"),
                _month_nav(page, months, month), pager, _filterable(page, chunk), foot],
                searchable=index == 1)
    return pages


def _month_bounds(site: Site, year: int, month: int) -> tuple[datetime, datetime]:
    """The first and last instant of a month of the calendar's zone (as ``cmops kpi --from
    YYYY-MM-01 --to`` its last day)."""
    zone = site.now.tzinfo
    first = datetime(year, month, 1, tzinfo=zone)
    after = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return first, after - timedelta(microseconds=1)


def campaign_pages(site: Site, directory_urls: bool = True) -> dict[str, MarkdownPage]:
    pages = {"campaigns/index.md": campaigns_index(site, directory_urls)}
    for view in site.campaigns:
        pages[view.page] = campaign_page(site, view, directory_urls)
    return pages
