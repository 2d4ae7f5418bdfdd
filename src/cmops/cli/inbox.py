"""``cmops inbox``: the collected messages still waiting for an answer, newest first."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cmops.cli.params import state_options

if TYPE_CHECKING:
    from cmops.answers import Answer
    from cmops.model import Calendar
    from cmops.report.sources import Message

KINDS = ("mention", "reply", "dm", "comment")
TEXT_WIDTH = 100
"""Characters of a message's text shown on its line."""


@dataclass(slots=True)
class Collected:
    """The inbox ``cmops collect`` stored, and where each message stands."""

    messages: list[Message]
    answers: dict[str, Answer]
    bad: list[str]
    """``file: why`` for every inbox file that could not be read."""


def collected(root: Path, calendar: Calendar, state: Path | None,
              state_branch: str | None) -> Collected:
    """The collected inbox of the state store, with each message's answer."""
    from cmops.answers import answers, replies
    from cmops.cli.common import open_store
    from cmops.report.sources import parse_sources

    with open_store(root, state, state_branch) as store:
        records = store.load()
        sources = parse_sources(store.read_files("inbox"))
    found = answers(sources.inbox, replies(calendar.posts, records), calendar)
    return Collected(sources.inbox, found, sources.bad)


def _network(calendar: Calendar, channel: str) -> str | None:
    ch = calendar.channels.get(channel)
    return ch.network if ch else None


def _iso(when: datetime | None) -> str | None:
    from cmops.times import iso

    return iso(when) if when else None


def as_json(calendar: Calendar, rows: Sequence[Message], inbox: Collected) -> dict[str, Any]:
    """The documented shape (docs/reference/json.md, ``cmops inbox --format json``)."""
    out = []
    for m in rows:
        a = inbox.answers[m.id]
        out.append({
            "id": m.id, "channel": m.channel, "network": _network(calendar, m.channel),
            "kind": m.kind, "url": m.url, "received_at": _iso(m.received_at),
            "author": {"name": m.author_name, "handle": m.author_handle,
                       "url": m.author_url},
            "text": m.text, "state": a.state, "answered_at": _iso(a.answered_at),
            "response_seconds": int(a.response.total_seconds()) if a.response else None,
            "answered_by": {"post": a.by.post, "channel": a.by.channel, "url": a.by.url}
            if a.by else None,
            "replies": [{"post": r.post, "file": r.file, "status": r.status,
                         "channel": r.channel, "url": r.url,
                         "published_at": _iso(r.published_at)} for r in a.replies]})
    return {"format": 1, "messages": out,
            "unanswered": sum(1 for a in inbox.answers.values() if a.state != "answered"),
            "answered": sum(1 for a in inbox.answers.values() if a.state == "answered"),
            "bad_files": list(inbox.bad)}


def as_text(rows: Sequence[Message], inbox: Collected, listed_all: bool) -> str:
    """A few lines per message; every string from the network goes through ``one_line``."""
    from cmops.answers import human, one_line

    lines = []
    for m in rows:
        a = inbox.answers[m.id]
        who = m.author_handle or m.author_name or "?"
        lines.append(f"{m.received_at:%Y-%m-%d %H:%M}Z  {one_line(m.channel, 40)}  {m.kind}  "
                     f"{one_line(who, 60)}  {one_line(m.url or '(no URL)', 300)}")
        lines.append(f"    {one_line(m.text, TEXT_WIDTH)}")
        if a.state == "answered":
            response = human(a.response) if a.response is not None else "?"
            if a.by:
                lines.append(f"    answered in {response} by {one_line(a.by.file, 200)}"
                             f"{': ' + one_line(a.by.url, 300) if a.by.url else ''}")
            else:
                lines.append(f"    answered in {response} on the network")
        else:
            for r in a.replies:
                lines.append(f"    reply drafted: {one_line(r.file, 200)} "
                             f"(status {one_line(r.status or 'draft', 20)})")
    waiting = sum(1 for a in inbox.answers.values() if a.state != "answered")
    answered = len(inbox.answers) - waiting
    if not inbox.messages:
        lines.append("The inbox is empty: cmops collect reads mentions, replies and messages "
                     "into it.")
    else:
        shown = "" if listed_all or not answered else " (--all lists them too)"
        lines.append(f"{waiting} unanswered, {answered} answered{shown}. To answer one: "
                     "cmops reply URL")
    return "\n".join(lines)


@click.command("inbox")
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="Only messages that came in on this channel (repeatable).")
@click.option("--network", "networks", multiple=True, metavar="NAME",
              help="Only messages of this network: bluesky, mastodon, x… (repeatable).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Only this kind (repeatable); quotes and keyword matches are mentions.")
@click.option("--all", "show_all", is_flag=True,
              help="Answered messages too, with their response time.")
@state_options("State directory (default: .cmops/state in the content repository).",
               "Read the inbox and the ledger from this git branch of origin (CI; e.g. "
               "cmops-state).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for tools.")
@click.pass_context
def command(ctx: click.Context, channels: tuple[str, ...], networks: tuple[str, ...],
            kinds: tuple[str, ...], show_all: bool, state: Path | None,
            state_branch: str | None, fmt: str) -> None:
    """List the collected messages that wait for an answer, newest first.

    Each message shows its time, channel, kind, author and URL, its text on one line, and
    whether a reply post already answers it: "reply drafted: <file> (status draft)" while
    the reply is in review or waiting, "answered in 2 h 05 min" once it is published (or
    once cmops collect saw an answer on the network). Message text comes from strangers:
    control characters never reach the terminal. The inbox is what cmops collect stored.

    Example:

    \b
        cmops inbox
        cmops inbox --channel mastodon-main --kind mention
        cmops inbox --all --format json | jq '.messages[] | select(.state == "open") | .url'
        cmops reply https://mastodon.social/@lea/113456789
    """
    from cmops.cli.common import EXIT_OK, check_channels, load, warn

    root, calendar, _ = load(ctx)
    check_channels(calendar, channels)
    known = {c.network for c in calendar.channels.values() if c.network}
    unknown = [n for n in networks if n not in known]
    if unknown:
        raise click.BadParameter(f"no channel of the calendar is on {', '.join(unknown)} "
                                 f"(its networks: {', '.join(sorted(known))})",
                                 param_hint="--network")
    inbox = collected(root, calendar, state, state_branch)
    if fmt == "text":
        from cmops.answers import one_line

        for bad in inbox.bad:
            warn(f"inbox file skipped: {one_line(bad, 300)}")
    rows = [m for m in inbox.messages
            if (show_all or inbox.answers[m.id].state != "answered")
            and (not channels or m.channel in channels)
            and (not networks or _network(calendar, m.channel) in networks)
            and (not kinds or m.kind in kinds)]
    rows.sort(key=lambda m: (m.received_at, m.id), reverse=True)
    if fmt == "json":
        # ASCII only: non-ASCII text as \u escapes, so no control character of a message
        # (C1 controls, bidirectional overrides) reaches a terminal as itself.
        click.echo(json.dumps(as_json(calendar, rows, inbox), indent=2, ensure_ascii=True))
    else:
        click.echo(as_text(rows, inbox, show_all))
    ctx.exit(EXIT_OK)
