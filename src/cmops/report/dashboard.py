"""The page stakeholders bookmark: what is going out this week and next, whether anything
needs a human, how the running campaigns do against their goals, and a banner when
publishing is paused."""

from __future__ import annotations

from datetime import date, timedelta

from cmops.report.html import (
    Page,
    admonition,
    badge,
    chip,
    document,
    group_slots,
    section_bar,
    states_summary,
    table,
)
from cmops.report.model import CampaignView, Goal, LogRow, Site
from cmops.report.safe import safe_link, safe_text

ATTENTION_DAYS = 14


def attention_rows(site: Site) -> list[LogRow]:
    """Failures and items waiting for a human (all of them), and recent expiries."""
    since = site.now - timedelta(days=ATTENTION_DAYS)
    return [r for r in site.log
            if r.state in ("failed", "needs_human")
            or (r.state == "expired" and (r.when is None or r.when >= since))]


def log_row(page: Page, row: LogRow) -> str:
    labels = page.labels
    href = page.post_link(row.post_id) if row.in_calendar else None
    post = safe_text(row.post_id)
    post_html = f'<a href="{href}">{post}</a>' if href else (
        f'{post} <span class="cm-muted">{safe_text(labels("removed_post"))}</span>'
        if not row.in_calendar else post)
    when = safe_text(labels.when(row.when)) if row.when else ""
    links = " ".join(safe_link(url, labels("live") if len(row.urls) == 1 else
                               labels("thread_part", n=i + 1))
                     for i, url in enumerate(row.urls))
    channel = page.site.channels.get(row.channel)
    return (f'<tr class="cm-row cm-r-{badge_state(row.state)}"><td>{when}</td>'
            f"<td>{post_html}</td><td>{safe_text(channel.label if channel else row.channel)}"
            f"</td><td>{badge(labels, row.state)}</td><td>{links}</td>"
            f'<td class="cm-num">{row.attempts or ""}</td>'
            f'<td class="cm-error">{safe_text(row.error or "")}</td></tr>')


def badge_state(state: str) -> str:
    return state if state in ("published", "failed", "expired", "needs_human", "pending") \
        else "needs_human"


def log_table(page: Page, rows: list[LogRow]) -> str:
    labels = page.labels
    return table([labels("when"), labels("post"), labels("channel"), labels("state"),
                  labels("link"), labels("attempts"), labels("error")],
                 (log_row(page, r) for r in rows), "cm-log")


def goal_html(page: Page, goal: Goal) -> str:
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
    return (f'<div class="cm-goal{done}"><div class="cm-goal-name">'
            f'{safe_text(labels("goal_" + goal.name))}</div><div class="cm-goal-figures">'
            f'<span class="cm-actual">{safe_text(actual)}</span> / '
            f'<span class="cm-target">{safe_text(target)}</span></div>'
            f'<div class="cm-progress"><span style="width:{width:.0f}%"></span></div></div>')


def campaign_card(page: Page, view: CampaignView) -> str:
    labels = page.labels
    has_data = page.site.sources.has_metrics
    goals = "".join(goal_html(page, g) for g in view.goals) or \
        f'<p class="cm-muted">{safe_text(labels("no_goals"))}</p>'
    window = _window(page, view)
    note = "" if has_data else f'<p class="cm-muted">{safe_text(labels("no_metrics"))}</p>'
    return (f'<div class="cm-card cm-campaign-card"><h3><a href="{page.link(view.page)}">'
            f"{safe_text(view.campaign.name)}</a></h3>"
            f'<p class="cm-muted">{safe_text(window)}</p>{goals}{note}</div>')


def _window(page: Page, view: CampaignView) -> str:
    labels = page.labels
    if view.start and view.end:
        status = labels("status_" + view.status)
        return f"{labels.day_long(view.start)} → {labels.day_long(view.end)} · {status}"
    return ""


def _kpi(value: str, label: str, cls: str = "") -> str:
    return (f'<div class="cm-card cm-kpi {cls}"><div class="cm-kpi-value">{safe_text(value)}'
            f'</div><div class="cm-kpi-label">{safe_text(label)}</div></div>')


def _followers(site: Site) -> str | None:
    latest: dict[str, int] = {}
    for p in site.sources.points:
        if p.followers is not None:
            latest[p.channel] = p.followers
    return site.labels.number(sum(latest.values())) if latest else None


def _week(page: Page, first: date, title: str) -> str:
    site, labels = page.site, page.labels
    last = first + timedelta(days=6)
    entries = site.entries_between(first, last)
    out = [f'<section class="cm-week-list"><h2>{safe_text(title)} '
           f'<span class="cm-muted">{safe_text(labels.day(first))} – '
           f"{safe_text(labels.day(last))}</span></h2>"]
    if not entries:
        out.append(f'<p class="cm-muted">{safe_text(labels("nothing_this_week"))}</p>')
    day = first
    while day <= last:
        slots = group_slots(e for e in entries if e.when and e.when.date() == day)
        if slots:
            today = " cm-today" if day == site.today else ""
            out.append(f'<div class="cm-agenda-day{today}"><h3>{safe_text(labels.day(day))}'
                       "</h3><ul>")
            for slot in slots:
                out.append(f"<li>{chip(page, slot, limit=120)} {states_summary(page, slot)}"
                           "</li>")
            out.append("</ul></div>")
        day += timedelta(days=1)
    out.append("</section>")
    return "\n".join(out)


def dashboard(site: Site, directory_urls: bool = True) -> str:
    page = Page(site, "index.md", directory_urls)
    labels = site.labels
    blocks = [section_bar(page, "dashboard"),
              f'<h1>{safe_text(labels("dashboard"))}</h1><p class="cm-asof">'
              f'{safe_text(labels("built_for", now=labels.when(site.now), tz=site.zone))}</p>']
    if site.errors:
        blocks.append(admonition("warning", labels("invalid_calendar", n=site.errors), ""))
    if site.invalid:
        blocks.append(admonition("warning", labels("invalid_times", ids=", ".join(
            site.invalid)), ""))
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
    blocks.append(f'<div class="cm-cards">{"".join(cards)}</div>')
    blocks.append(f'<section class="cm-attention"><h2>{safe_text(labels("attention"))}</h2>'
                  + (log_table(page, attention) if attention else
                     f'<p class="cm-ok">{safe_text(labels("attention_none"))}</p>')
                  + "</section>")
    blocks.append(_week(page, site.week_start(), labels("this_week")))
    blocks.append(_week(page, site.week_start(1), labels("next_week")))
    running = [c for c in site.campaigns if c.status == "active"]
    shown = running or [c for c in site.campaigns if c.status == "upcoming"][:1]
    kpis = [f'<section class="cm-kpis"><h2>{safe_text(labels("kpis"))}</h2>']
    if not running:
        kpis.append(f'<p class="cm-muted">{safe_text(labels("no_active_campaign"))}</p>')
    kpis.append('<div class="cm-cards">' + "".join(campaign_card(page, c) for c in shown) +
                "</div></section>")
    blocks.append("\n".join(kpis))
    if site.drafts:
        blocks.append(f'<p class="cm-muted">{safe_text(labels("drafts", n=site.drafts))}</p>')
    return document(labels("report"), blocks)
