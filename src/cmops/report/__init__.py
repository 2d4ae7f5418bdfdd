"""The stakeholder site: ``cmops report`` writes Markdown pages and data files that MkDocs
Material builds into the page marketing, PR and management bookmark.

No MkDocs plugin is involved: the pages are plain files under ``docs/report/`` (git-ignored),
so any builder that reads ``mkdocs.yml`` (MkDocs, Zensical) builds them.

Modules, from data to files:

* :mod:`~cmops.report.sources`: metric snapshots and the inbox from the ledger store (the
  shapes ``cmops collect`` writes are documented there);
* :mod:`~cmops.report.model`: everything the pages show, gathered from the calendar, the plan,
  the ledger records and the sources (pure);
* :mod:`~cmops.report.dashboard`, :mod:`~cmops.report.calendar_pages`,
  :mod:`~cmops.report.posts`,
  :mod:`~cmops.report.results`, :mod:`~cmops.report.analytics`: the pages, built with
  :mod:`~cmops.report.html` and the SVG of :mod:`~cmops.report.charts`;
* :mod:`~cmops.report.exports`: JSON and iCalendar files;
* :mod:`~cmops.report.safe`: the escaping every untrusted string passes through;
* :mod:`~cmops.report.writer`: media copies and atomic writes (the only module that touches
  the disk);
* :mod:`~cmops.report.build`: ``mkdocs build --strict`` with the generated pages passed
  through as HTML (the same site, about three times faster for a 10,000-post year).

Pages (under the report folder)::

    index.md                    dashboard: this week and next, attention, goals, pause
    calendar/index.md           months, channel legend, subscribe links
    calendar/YYYY-MM/index.md   month grid and its weeks
    calendar/YYYY-Www/index.md  one week by part of the day
    posts/YYYY-MM/index.md      post details: text per channel, media and alt text, states;
    posts/YYYY-MM-DD/index.md   a busy month's next pages (:mod:`~cmops.report.posts`)
    posts/standby/index.md      holding statements
    campaigns/index.md          campaigns and their goals
    campaigns/<id>/index.md     one campaign: goals against actuals, timeline, posts
    published/index.md          published log (last 30 days, and every failure or expiry)
    published/YYYY-MM/index.md  the log of one month
    analytics/index.md          charts from collected metrics
    inbox/index.md              unanswered messages, response time, leaders, crisis signals
    data/*.json, data/calendar.ics, media/*
    outbox/<channel>/*          the outbox channel's messages and feed (:mod:`~cmops.report.outbox`)
    media/<sha256>.<ext>        files Instagram and Threads fetch (:mod:`cmops.mediaurls`)

Every page is an ``index.md`` in its own folder: see :func:`cmops.report.html.relative`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cmops import kpi
from cmops.ledger import CorruptRecord, Record, ledger_view
from cmops.model import Calendar
from cmops.plan import build_plan
from cmops.prepare import channel_note
from cmops.report import outbox
from cmops.report.analytics import analytics_page, inbox_page
from cmops.report.calendar_pages import calendar_pages
from cmops.report.dashboard import dashboard
from cmops.report.exports import data_files
from cmops.report.html import MarkdownPage
from cmops.report.model import Site, gather, media_paths
from cmops.report.results import campaign_pages, log_pages
from cmops.report.sources import parse_sources
from cmops.report.writer import collect_media, fetched_media
from cmops.snapshots import read_history
from cmops.text.limits import NETWORKS, NetworkRules, sends_original

HORIZON = timedelta(days=366)
"""How far ahead repeating posts are expanded."""


def pages(site: Site, directory_urls: bool = True) -> dict[str, MarkdownPage]:
    """Every generated page: path relative to the report folder -> Markdown."""
    # The calendar first: it places each post's details on a page, which the others link.
    out = calendar_pages(site, directory_urls)
    out["index.md"] = dashboard(site, directory_urls)
    out.update(campaign_pages(site, directory_urls))
    out.update(log_pages(site, directory_urls))
    out["analytics/index.md"] = analytics_page(site, directory_urls)
    out["inbox/index.md"] = inbox_page(site, directory_urls)
    return out


@dataclass(slots=True)
class Generated:
    site: Site
    files: dict[str, bytes]
    """Everything to write: pages, data files and media copies."""

    @property
    def page_count(self) -> int:
        return sum(1 for rel in self.files if rel.endswith(".md"))


def generate(root: Path, calendar: Calendar, records: Mapping[str, Record | CorruptRecord],
             store_files: Mapping[str, bytes], now: datetime, *, lang: str | None = None,
             errors: int = 0, directory_urls: bool = True) -> Generated:
    """The whole report for ``now``: the plan from the calendar and the ledger, the site
    model, its pages, data files and media. Reads media files under ``root``; writes
    nothing."""
    plan = build_plan(calendar, now, horizon=now + HORIZON, ledger=ledger_view(dict(records)))
    # The numbers of cmops kpi, computed by the same function from the same inputs.
    history = read_history({rel: data for rel, data in store_files.items()
                            if rel.startswith(("snapshots/", "inbox/"))}, until=now)
    scopes = kpi.report(calendar, [r for r in records.values() if isinstance(r, Record)],
                        history.readings, history.followers, history.messages(), now,
                        plan_items=plan.items,
                        messages_known=any(rel.startswith("inbox/") for rel in store_files))
    site = gather(calendar, plan, records, parse_sources(store_files), lang=lang,
                  errors=errors, kpis=scopes)
    site.media, media = collect_media(root, media_paths(site.posts))
    site.media_note = functools.lru_cache(maxsize=None)(
        functools.partial(channel_note, root, calendar))
    dirs = outbox.channel_dirs(calendar)
    copies, site.outbox = outbox.site_files(dirs, outbox.read_folders(root, dirs), store_files)
    files = {rel: text.encode("utf-8") for rel, text in pages(site, directory_urls).items()}
    files.update(data_files(site))
    files.update(media)
    files.update(fetched_media(root, site_fetched(calendar, site)))
    files.update(copies)
    return Generated(site, files)


def site_fetched(calendar: Calendar, site: Site) -> list[tuple[NetworkRules, str]]:
    """(network, media or reel cover path) for every post the site shows on a channel whose
    network fetches media from ``media_base_url`` under the ``prepared`` layout."""
    wanted = []
    for view in site.posts.values():
        for group in view.renders:
            channels = [calendar.channels.get(name) for name in group.channels]
            for channel in channels:
                rules = NETWORKS.get(channel.network or "") if channel else None
                if channel is None or rules is None or not rules.fetches_media or \
                        sends_original(rules, channel.raw):
                    continue
                for part in group.rendered.parts:
                    wanted += [(rules, path) for m in part.media
                               for path in (m.path, m.cover) if path]
    return wanted
