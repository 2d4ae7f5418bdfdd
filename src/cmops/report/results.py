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
from cmops.report.safe import safe_text
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


def log_pages(site: Site, directory_urls: bool = True) -> dict[str, MarkdownPage]:
    labels = site.labels
    by_month: dict[str, list[LogRow]] = defaultdict(list)
    for row in site.log:
        if row.when:
            by_month[month_name((row.when.year, row.when.month))].append(row)
    pages: dict[str, MarkdownPage] = {}
    page = Page(site, "published/index.md", directory_urls)
    since = site.now - timedelta(days=RECENT_DAYS)
    shown = [r for r in site.log if r.when is None or r.when >= since
             or r.state in ("failed", "expired", "needs_human")]
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
        # The log's rows stay out of the search index (one entry per row would dwarf it).
        blocks.append(Markup('<div class="cm-filterable" data-search-exclude>{}{}</div>'
                             ).format(_filter(page, shown), log_table(page, shown)))
    if by_month:
        links = Markup("").join(
            Markup('<li><a href="{}">{}</a> <span class="cm-muted">{}</span></li>').format(
                page.link(f"published/{m}/index.md"),
                safe_text(labels.month(int(m[:4]), int(m[5:7]))),
                safe_text(labels("items", n=len(rows))))
            for m, rows in sorted(by_month.items(), reverse=True))
        blocks.append(Markup("<section><h2>{}</h2><ul>{}</ul></section>").format(
            safe_text(labels("months")), links))
    pages["published/index.md"] = document(labels("published"), blocks)
    for month, rows in sorted(by_month.items()):
        path = f"published/{month}/index.md"
        page = Page(site, path, directory_urls)
        title = f"{labels('published')} — {labels.month(int(month[:4]), int(month[5:7]))}"
        year, number = int(month[:4]), int(month[5:7])
        counted = kpi.post_counts(
            (o for o in site.outcomes if o.channel in site.channels),
            *_month_bounds(site, year, number))
        pages[path] = document(title, [
            section_bar(page, "published"), heading(title),
            counts_line(labels, counted, labels("counts_month"), f"month:{month}"),
            Markup('<p class="cm-monthnav"><a href="{}">‹ {}</a></p>').format(
                page.link("published/index.md"), safe_text(labels("published"))),
            Markup('<div class="cm-filterable" data-search-exclude>{}{}</div>').format(
                _filter(page, rows), log_table(page, rows))])
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
