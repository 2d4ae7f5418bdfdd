"""Campaign pages (window, goals against actuals, a timeline, the posts and their results)
and the published log (what went out where and when; failures and expiries never hidden)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

from cmops.report.charts import Marker, Row, timeline
from cmops.report.dashboard import badge_state, goal_html, log_table
from cmops.report.html import (
    Page,
    channel_tag,
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

LOG_FILTERS = ("published", "failed", "expired", "needs_human", "pending")
TRAFFIC_WORDS = {
    "en": {"traffic": "Website traffic from this campaign", "source": "Source (utm_source)",
           "sessions": "Sessions", "engaged": "Engaged sessions", "key_events": "Key events",
           "total": "Total",
           "note": "Google Analytics 4: visits whose link carried utm_campaign {name}, "
                   "{first} to {last}.",
           "none_collected": "No website traffic collected: configure Google Analytics 4 in "
                             "calendar/analytics.yaml, then run cmops collect.",
           "untagged": "This campaign's links carry no UTM tags (no utm in its file): "
                       "website visits cannot be attributed to it.",
           "empty": "Google Analytics recorded no visit from this campaign's links "
                    "(utm_campaign {name}) from {first} to {last}."},
    "fr": {"traffic": "Trafic du site venu de cette campagne",
           "source": "Source (utm_source)", "sessions": "Sessions",
           "engaged": "Sessions avec engagement", "key_events": "Événements clés",
           "total": "Total",
           "note": "Google Analytics 4 : visites dont le lien portait utm_campaign {name}, "
                   "du {first} au {last}.",
           "none_collected": "Aucun trafic du site collecté : configurez Google Analytics 4 "
                             "dans calendar/analytics.yaml, puis lancez cmops collect.",
           "untagged": "Les liens de cette campagne ne portent pas de paramètres UTM (pas de "
                       "utm dans son fichier) : aucune visite ne peut lui être attribuée.",
           "empty": "Google Analytics n'a enregistré aucune visite venue des liens de cette "
                    "campagne (utm_campaign {name}) du {first} au {last}."},
}
"""The traffic table's words (here until the shared labels take them)."""
RECENT_DAYS = 30
MARKS_LINKED = 300
"""Up to this many marks, each mark on a campaign timeline links to its post."""


def _window(page: Page, view: CampaignView) -> str:
    labels = page.labels
    if view.start and view.end:
        return f"{labels.day_long(view.start)} → {labels.day_long(view.end)}"
    return labels("none")


def campaigns_index(site: Site, directory_urls: bool = True) -> str:
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
        rows.append(f'<tr><td><a href="{page.link(view.page)}">'
                    f"{safe_text(view.campaign.name)}</a></td>"
                    f"<td>{safe_text(_window(page, view))}</td><td>{safe_text(status)}</td>"
                    f'<td class="cm-num">{posts}</td><td>{safe_text(goals)}</td></tr>')
    blocks = [section_bar(page, "campaigns"), heading(labels("campaigns")),
              table([labels("campaign"), labels("window"), labels("status"), labels("count"),
                     labels("kpis")], rows, "cm-campaigns") if rows else
              f'<p class="cm-muted">{safe_text(labels("no_active_campaign"))}</p>']
    return document(labels("campaigns"), blocks)


def _timeline(page: Page, view: CampaignView) -> str:
    site, labels = page.site, page.labels
    timed = [e for e in view.entries if e.when]
    days = [e.when.date() for e in timed if e.when]
    first = min([d for d in (view.start,) if d] + days, default=None)
    last = max([d for d in (view.end,) if d] + days, default=None)
    if first is None or last is None:
        return ""
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
    return f'<figure class="cm-figure cm-timeline">{svg}</figure>'


def _traffic(page: Page, view: CampaignView) -> str:
    """Sessions, engaged sessions and key events per source, from the GA4 files; an empty
    state that says why when there is nothing to show."""
    labels, sources = page.labels, page.site.sources
    words = TRAFFIC_WORDS.get(labels.lang, TRAFFIC_WORDS["en"])
    campaign = view.campaign
    matcher = campaign_matcher(campaign)

    def muted(text: str) -> str:
        return f'<p class="cm-muted">{safe_text(text)}</p>'

    title = f'<h2>{safe_text(words["traffic"])}</h2>'
    if not sources.has_traffic or sources.traffic_first is None or \
            sources.traffic_last is None:
        return f'<section class="cm-traffic">{title}{muted(words["none_collected"])}</section>'
    if matcher is None:
        return f'<section class="cm-traffic">{title}{muted(words["untagged"])}</section>'
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
        return (f'<section class="cm-traffic">{title}'
                f'{muted(words["empty"].format(name=name, first=first, last=last))}</section>')

    def cells(values: list[float]) -> str:
        return "".join(f'<td class="cm-num">'
                       f'{labels.number(v, 0 if float(v).is_integer() else 1)}</td>'
                       for v in values)

    ordered = sorted(by_source.items(), key=lambda kv: (-kv[1][0], kv[0]))
    rows = [f"<tr><td>{safe_text(source or labels('none'))}</td>{cells(sums)}</tr>"
            for source, sums in ordered]
    if len(rows) > 1:
        total = [sum(sums[i] for _, sums in ordered) for i in range(3)]
        rows.append(f'<tr class="cm-total"><th scope="row">{safe_text(words["total"])}</th>'
                    f"{cells(total)}</tr>")
    return (f'<section class="cm-traffic">{title}'
            + table([words["source"], words["sessions"], words["engaged"],
                     words["key_events"]], rows, "cm-campaign-traffic")
            + muted(words["note"].format(name=name, first=first, last=last)) + "</section>")


def campaign_page(site: Site, view: CampaignView, directory_urls: bool = True) -> str:
    page = Page(site, view.page, directory_urls)
    labels = site.labels
    campaign = view.campaign
    meta = [f"<dt>{safe_text(labels('window'))}</dt><dd>{safe_text(_window(page, view))}"
            + (f" · {safe_text(labels('status_' + view.status))}" if view.status else "")
            + "</dd>"]
    description = campaign.raw.get("description")
    owner = campaign.raw.get("owner")
    if isinstance(owner, str):
        meta.append(f"<dt>{safe_text(labels('owner'))}</dt><dd>{safe_text(owner)}</dd>")
    if view.channels:
        meta.append(f"<dt>{safe_text(labels('legend'))}</dt><dd>"
                    + " ".join(channel_tag(site, c) for c in view.channels) + "</dd>")
    if isinstance(description, str):
        meta.append(f"<dt>{safe_text(labels('description'))}</dt>"
                    f"<dd>{safe_text(' '.join(description.split()))}</dd>")
    has_data = site.sources.has_metrics
    goals = "".join(goal_html(page, g) for g in view.goals)
    goal_block = (f'<section class="cm-kpis"><h2>{safe_text(labels("kpis"))}</h2>'
                  + (f'<div class="cm-cards cm-goals">{goals}</div>' if goals else
                     f'<p class="cm-muted">{safe_text(labels("no_goals"))}</p>')
                  + ("" if has_data or not goals else
                     f'<p class="cm-muted">{safe_text(labels("no_metrics"))}</p>')
                  + "</section>")
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
        rows.append(f"<tr><td>{safe_text(labels.when(first.when)) if first.when else ''}</td>"
                    f'<td><a href="{href}">{text}</a></td><td>{states}</td>'
                    f'<td class="cm-num">{labels.number(inter) if known else ""}</td>'
                    f'<td class="cm-num">{labels.number(reach) if known else ""}</td></tr>'
                    if href else "")
    posts = table([labels("when"), labels("post"), labels("state"), labels("interactions"),
                   labels("impressions")], rows, "cm-campaign-posts") if rows else \
        f'<p class="cm-muted">{safe_text(labels("no_posts"))}</p>'
    blocks = [section_bar(page, "campaigns"), heading(campaign.name),
              f'<dl class="cm-facts">{"".join(meta)}</dl>', goal_block,
              f'<section><h2>{safe_text(labels("timeline"))}</h2>{_timeline(page, view)}'
              "</section>",
              f'<section><h2>{safe_text(labels("results"))}</h2>{posts}</section>',
              _traffic(page, view)]
    # Its text repeats the posts' (searchable on their own pages) and the campaigns index.
    return document(f"{labels('campaign')}: {campaign.name}", blocks, searchable=False)


def _filter(page: Page, rows: list[LogRow]) -> str:
    """State filter without script: radio buttons and CSS sibling rules (report.css)."""
    labels = page.labels
    counts = Counter(badge_state(r.state) for r in rows)
    options = [("all", f"{labels('all')} ({len(rows)})")] + [
        (s, f"{labels.state(s)} ({counts[s]})") for s in LOG_FILTERS if counts[s]]
    out = []
    for value, text in options:
        checked = " checked" if value == "all" else ""
        out.append(f'<input type="radio" name="cm-f" id="cm-f-{value}" class="cm-f-{value}"'
                   f'{checked}><label for="cm-f-{value}">{safe_text(text)}</label>')
    return f'<span class="cm-filter-title">{safe_text(labels("filter"))}:</span>' + \
        "".join(out)


def log_pages(site: Site, directory_urls: bool = True) -> dict[str, str]:
    labels = site.labels
    by_month: dict[str, list[LogRow]] = defaultdict(list)
    for row in site.log:
        if row.when:
            by_month[month_name((row.when.year, row.when.month))].append(row)
    pages: dict[str, str] = {}
    page = Page(site, "published/index.md", directory_urls)
    since = site.now - timedelta(days=RECENT_DAYS)
    shown = [r for r in site.log if r.when is None or r.when >= since
             or r.state in ("failed", "expired", "needs_human")]
    blocks = [section_bar(page, "published"), heading(labels("published"))]
    if not site.log:
        blocks.append(f'<p class="cm-muted">{safe_text(labels("log_empty"))}</p>')
    else:
        blocks.append(f'<div class="cm-filterable">{_filter(page, shown)}'
                      f"{log_table(page, shown)}</div>")
    if by_month:
        links = "".join(f'<li><a href="{page.link(f"published/{m}/index.md")}">'
                        f"{safe_text(labels.month(int(m[:4]), int(m[5:7])))}</a> "
                        f'<span class="cm-muted">{safe_text(labels("items", n=len(rows)))}'
                        "</span></li>" for m, rows in sorted(by_month.items(), reverse=True))
        blocks.append(f'<section><h2>{safe_text(labels("months"))}</h2><ul>{links}</ul>'
                      "</section>")
    pages["published/index.md"] = document(labels("published"), blocks)
    for month, rows in sorted(by_month.items()):
        path = f"published/{month}/index.md"
        page = Page(site, path, directory_urls)
        title = f"{labels('published')} — {labels.month(int(month[:4]), int(month[5:7]))}"
        pages[path] = document(title, [
            section_bar(page, "published"), heading(title),
            f'<p class="cm-monthnav"><a href="{page.link("published/index.md")}">‹ '
            f'{safe_text(labels("published"))}</a></p>',
            f'<div class="cm-filterable">{_filter(page, rows)}{log_table(page, rows)}</div>'])
    return pages


def campaign_pages(site: Site, directory_urls: bool = True) -> dict[str, str]:
    pages = {"campaigns/index.md": campaigns_index(site, directory_urls)}
    for view in site.campaigns:
        pages[view.page] = campaign_page(site, view, directory_urls)
    return pages
