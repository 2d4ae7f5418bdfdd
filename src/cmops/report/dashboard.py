"""The page stakeholders bookmark: what is going out this week and next, whether anything
needs a human, how the running campaigns do against their goals, and a banner when
publishing is paused."""

from __future__ import annotations

from datetime import date, timedelta

from markupsafe import Markup

from cmops.kpi import expected_round
from cmops.report.html import (
    MarkdownPage,
    Page,
    admonition,
    badge,
    chip,
    counts_line,
    document,
    group_slots,
    section_bar,
    states_summary,
    table,
)
from cmops.report.model import CampaignView, Goal, LogRow, Site
from cmops.report.safe import fill, join, safe_text

ATTENTION_DAYS = 14
ATTENTION_SHOWN = 100
"""Rows of the attention table, at most (failures and items waiting for a human first);
a link to the published log says how many more there are."""


def attention_rows(site: Site) -> list[LogRow]:
    """Failures and items waiting for a human (all of them), and recent expiries."""
    since = site.now - timedelta(days=ATTENTION_DAYS)
    return [r for r in site.log
            if r.state in ("failed", "needs_human")
            or (r.state == "expired" and (r.when is None or r.when >= since))]


_ROW = Markup('<tr class="cm-row cm-r-%s"><td>%s</td><td>%s</td><td>%s</td><td>%s</td>'
              '<td>%s</td><td class="cm-num">%s</td>%s</tr>')


def log_row(page: Page, row: LogRow) -> Markup:
    """One item of the log. Filled with :func:`fill` and without empty attributes: a month
    of the 10,000-post year holds two thousand of these."""
    labels = page.labels
    href = page.post_link(row.post_id) if row.in_calendar else None
    post = safe_text(row.post_id)
    post_html = fill(Markup('<a href="%s">%s</a>'), href, post) if href else (
        fill(Markup('%s <span class="cm-muted">%s</span>'), post, labels("removed_post"))
        if not row.in_calendar else post)
    when = safe_text(labels.when(row.when)) if row.when else Markup()
    if len(row.urls) == 1:
        links = page.live_link(row.urls[0], labels("live"))
    else:
        links = join(Markup(" "), [page.live_link(url, labels("thread_part", n=i + 1))
                                   for i, url in enumerate(row.urls)])
    channel = page.site.channels.get(row.channel)
    note = labels.reason(row.error)
    if row.state == "published" and row.edited_at and not note:
        note = labels("edited_note", when=labels.when(row.edited_at))
    if row.state == "withdrawn":
        note = labels("withdrawn_note", when=labels.when(row.withdrawn_at)
                      if row.withdrawn_at else "?",
                      reason=row.withdrawn_reason or labels("no_reason"))
    return fill(_ROW, badge_state(row.state), when, post_html,
                safe_text(channel.label if channel else row.channel),
                badge(labels, row.state), links, str(row.attempts or ""),
                fill(Markup('<td class="cm-error">%s</td>'), safe_text(note)) if note
                else Markup("<td></td>"))


def badge_state(state: str) -> str:
    return state if state in ("published", "failed", "expired", "needs_human", "pending",
                              "withdrawn") else "needs_human"


def log_table(page: Page, rows: list[LogRow]) -> Markup:
    labels = page.labels
    return table([labels("when"), labels("post"), labels("channel"), labels("state"),
                  labels("link"), labels("attempts"), labels("error")],
                 (log_row(page, r) for r in rows), "cm-log")


def _attention(page: Page, rows: list[LogRow]) -> Markup:
    labels = page.labels
    if not rows:
        return fill(Markup('<p class="cm-ok">%s</p>'), labels("attention_none"))
    shown = rows
    if len(rows) > ATTENTION_SHOWN:  # the first ones of the log's order, urgent first
        urgent = sorted(rows, key=lambda r: r.state not in ("failed", "needs_human"))
        kept = {r.key for r in urgent[:ATTENTION_SHOWN]}
        shown = [r for r in rows if r.key in kept]
    more = fill(Markup('<p><a href="%s">%s</a></p>'), page.link("published/index.md"),
                labels("more", n=len(rows) - len(shown))) if len(shown) < len(rows) \
        else Markup()
    return log_table(page, shown) + more


def goal_html(page: Page, goal: Goal) -> Markup:
    labels = page.labels
    fmt = labels.percent if goal.percent else (lambda v: labels.number(v))
    target = fmt(goal.target)
    if goal.actual is None:
        actual = labels("none")
        ratio = 0.0
    else:
        actual = fmt(goal.actual)
        ratio = goal.actual / goal.target if goal.target else 1.0
    width = max(0.0, min(ratio, 1.0)) * 100
    done = " cm-done" if goal.actual is not None and ratio >= 1 else ""
    status = labels("goal_status_" + goal.status)
    expected = expected_round(goal.name, goal.expected_by_now)
    if expected is not None and goal.status not in ("met", "unknown"):
        status += " · " + labels("expected_by_now", value=fmt(expected))
    return Markup('<div class="cm-goal{}"><div class="cm-goal-name">{}</div>'
                  '<div class="cm-goal-figures"><span class="cm-actual">{}</span> / '
                  '<span class="cm-target">{}</span></div>'
                  '<div class="cm-progress"><span style="width:{}%"></span></div>'
                  '<div class="cm-goal-status cm-g-{}">{}</div></div>'
                  ).format(done, safe_text(labels("goal_" + goal.name)), safe_text(actual),
                           safe_text(target), f"{width:.0f}", goal.status.replace(" ", "-"),
                           safe_text(status))


def campaign_card(page: Page, view: CampaignView) -> Markup:
    labels = page.labels
    has_data = page.site.sources.has_metrics
    goals = Markup("").join(goal_html(page, g) for g in view.goals) or \
        Markup('<p class="cm-muted">{}</p>').format(safe_text(labels("no_goals")))
    window = _window(page, view)
    note = Markup() if has_data else Markup('<p class="cm-muted">{}</p>').format(
        safe_text(labels("no_metrics")))
    return Markup('<div class="cm-card cm-campaign-card"><h3><a href="{}">{}</a></h3>'
                  '<p class="cm-muted">{}</p>{}{}</div>').format(
        page.link(view.page), safe_text(view.campaign.name), safe_text(window), goals, note)


def _window(page: Page, view: CampaignView) -> str:
    labels = page.labels
    if view.start and view.end:
        status = labels("status_" + view.status)
        return f"{labels.day_long(view.start)} → {labels.day_long(view.end)} · {status}"
    return ""


def _kpi(value: str, label: str, cls: str = "") -> Markup:
    return Markup('<div class="cm-card cm-kpi {}"><div class="cm-kpi-value">{}</div>'
                  '<div class="cm-kpi-label">{}</div></div>').format(
        cls, safe_text(value), safe_text(label))


def _followers(site: Site) -> str | None:
    latest: dict[str, int] = {}
    for p in site.sources.points:
        if p.followers is not None:
            latest[p.channel] = p.followers
    return site.labels.number(sum(latest.values())) if latest else None


def _week(page: Page, first: date, title: str) -> Markup:
    site, labels = page.site, page.labels
    last = first + timedelta(days=6)
    entries = site.entries_between(first, last)
    out = [Markup('<section class="cm-week-list"><h2>{} <span class="cm-muted">{} – {}</span>'
                  "</h2>").format(safe_text(title), safe_text(labels.day(first)),
                                  safe_text(labels.day(last)))]
    if not entries:
        out.append(Markup('<p class="cm-muted">{}</p>').format(
            safe_text(labels("nothing_this_week"))))
    day = first
    while day <= last:
        slots = group_slots(e for e in entries if e.when and e.when.date() == day)
        if slots:
            today = " cm-today" if day == site.today else ""
            out.append(Markup('<div class="cm-agenda-day{}"><h3>{}</h3><ul>').format(
                today, safe_text(labels.day(day))))
            for slot in slots:
                out.append(Markup("<li>{} {}</li>").format(chip(page, slot, limit=120),
                                                          states_summary(page, slot)))
            out.append(Markup("</ul></div>"))
        day += timedelta(days=1)
    out.append(Markup("</section>"))
    return Markup("\n").join(out)


def dashboard(site: Site, directory_urls: bool = True) -> MarkdownPage:
    page = Page(site, "index.md", directory_urls)
    labels = site.labels
    blocks = [section_bar(page, "dashboard"),
              Markup('<h1>{}</h1><p class="cm-asof">{}</p>').format(
                  safe_text(labels("dashboard")),
                  safe_text(labels("built_for", now=labels.when(site.now), tz=site.zone)))]
    if site.errors:
        blocks.append(admonition("warning", labels("invalid_calendar", n=site.errors),
                                 Markup()))
    if site.invalid:
        blocks.append(admonition("warning", labels("invalid_times", ids=", ".join(
            site.invalid)), Markup()))
    attention = attention_rows(site)
    # Posts, not post x channel items: "2 posts" is what a stakeholder counts.
    soon = {(e.post_id, e.occurrence) for e in site.entries_between(
        site.today, site.today + timedelta(days=7)) if e.state in ("scheduled", "due")}
    recent = {r.key.rpartition("/")[0] for r in site.log if r.state == "published"
              and r.when and r.when >= site.now - timedelta(days=7)}
    cards = [_kpi(labels.number(len(soon)), labels("scheduled_7d")),
             _kpi(labels.number(len(recent)), labels("published_7d")),
             _kpi(labels.number(len(attention)), labels("need_attention"),
                  "cm-alert" if attention else "")]
    followers = _followers(site)
    if followers is not None:
        cards.append(_kpi(followers, labels("followers")))
    blocks.append(Markup('<div class="cm-cards">{}</div>').format(Markup("").join(cards)))
    overall = site.kpis.get("all")
    if overall is not None:  # cmops kpi's "all" scope: the last 30 days
        blocks.append(counts_line(labels, overall.posts, labels("recent"), "all"))
    blocks.append(fill(Markup('<section class="cm-attention"><h2>%s</h2>%s</section>'),
                       labels("attention"), _attention(page, attention)))
    blocks.append(_week(page, site.week_start(), labels("this_week")))
    blocks.append(_week(page, site.week_start(1), labels("next_week")))
    running = [c for c in site.campaigns if c.status == "active"]
    shown = running or [c for c in site.campaigns if c.status == "upcoming"][:1]
    kpis = [Markup('<section class="cm-kpis"><h2>{}</h2>').format(safe_text(labels("kpis")))]
    if not running:
        kpis.append(Markup('<p class="cm-muted">{}</p>').format(
            safe_text(labels("no_active_campaign"))))
    kpis.append(Markup('<div class="cm-cards">{}</div></section>').format(
        Markup("").join(campaign_card(page, c) for c in shown)))
    blocks.append(Markup("\n").join(kpis))
    if site.drafts:
        blocks.append(Markup('<p class="cm-muted">{}</p>').format(
            safe_text(labels("drafts", n=site.drafts))))
    return document(labels("report"), blocks)
