"""``cmops reply URL``: a reply post file answering a collected message, for review."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cmops.cli.params import state_options

if TYPE_CHECKING:
    from cmops.model import Calendar, SavedReply
    from cmops.report.sources import Message

FOLDER = "calendar/posts/replies"
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def _message(calendar: Calendar, messages: list[Message], url: str,
             channel: str | None) -> Message | None:
    """The collected message ``url`` names, the one seen on ``channel`` when there are
    several, else the oldest."""
    from cmops.answers import identity

    def network(name: str) -> str | None:
        ch = calendar.channels.get(name)
        return ch.network if ch else None

    found = [m for m in messages if m.url and (
        m.url == url or identity(network(m.channel), m.url) == identity(network(m.channel), url))]
    return next((m for m in found if m.channel == channel), found[0] if found else None)


def _fill(saved: SavedReply, message: Message | None) -> str:
    """The saved reply's text with the placeholders the message gives filled in."""
    from cmops.answers import one_line

    text = saved.text
    if message is not None:
        handle = one_line(message.author_handle, 60)
        values = {"{name}": one_line(message.author_name, 60) or handle,
                  "{handle}": handle}
        for placeholder, value in values.items():
            if value:
                text = text.replace(placeholder, value)
    return text


def _post_id(message: Message | None, url: str, network: str, taken: set[str],
             folder: Path) -> str:
    """``reply-<author>-<short hash of the URL>``, fresh among the calendar's ids and the
    files of ``folder``; one safe file name (:func:`cmops.ids.is_id`) by construction."""
    from cmops.ids import UnsafeName, is_id
    from cmops.postfile import fresh_id, slug

    who = slug(message.author_handle or message.author_name, 30) if message else network
    base = f"reply-{who}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
    used = set(taken)
    while True:
        post_id = fresh_id(base, used)
        if not is_id(post_id):  # slug() keeps [a-z0-9-] only: never expected
            raise UnsafeName(f"reply id {post_id!r} is not a safe file name")
        if not (folder / f"{post_id}.yaml").exists():
            return post_id
        used.add(post_id)


def _file(post_id: str, channel: str, url: str, text: str, message: Message | None,
          replies: list[SavedReply]) -> str:
    from cmops.answers import one_line
    from cmops.postfile import SCHEMA_LINE

    lines = [SCHEMA_LINE]
    if message is not None:
        # One line each: nothing from the message can end the comment and start YAML.
        who = one_line(message.author_handle or message.author_name or "?", 60)
        lines.append(f"# Answers {who} ({message.kind}, {message.received_at:%Y-%m-%d %H:%M}Z):")
        lines.append(f"#   {one_line(message.text, 200)}")
    lines += [f"id: {json.dumps(post_id)}", "status: draft",
              f"channels: [{json.dumps(channel)}]",
              f"reply_to: {json.dumps(url, ensure_ascii=False)}",
              f"text: {json.dumps(text, ensure_ascii=False)}"]
    if not text and replies:
        lines.append("# Write the reply above, or start again from a saved reply "
                     "(cmops reply URL --saved ID):")
        lines += [f"#   {one_line(r.id, 100)}: {one_line(r.title, 100)}" for r in replies]
    return "\n".join(lines) + "\n"


@click.command("reply")
@click.argument("url")
@click.option("--channel", metavar="NAME",
              help="The channel that answers (default: the one the message came in on; "
                   "required for a URL that is not in the collected inbox).")
@click.option("--saved", metavar="ID",
              help="Start from this saved reply of calendar/replies/ ({name} and {handle} "
                   "filled from the message).")
@click.option("--text", help="The reply's text (- reads it from standard input).")
@state_options("State directory (default: .cmops/state in the content repository).",
               "Read the collected inbox from this git branch of origin (CI; e.g. "
               "cmops-state).")
@click.pass_context
def command(ctx: click.Context, url: str, channel: str | None, saved: str | None,
            text: str | None, state: Path | None, state_branch: str | None) -> None:
    """Write a reply post answering the message at URL, as a draft to review.

    The file goes under calendar/posts/replies/ with reply_to: URL, one channel (the one the
    message came in on, or --channel) and status: draft. Its text is --text, or the saved
    reply --saved with the placeholders the message gives filled in ({name}, {handle});
    without either, the file lists the saved replies as starting points. Set status: ready
    and open a pull request: once merged, the next publish run sends the reply (or at its
    publish_at). An existing file is never overwritten.

    The new file is validated with the rest of the calendar, as cmops new post does.

    Exit status: 0 written; 1 written, but it has a problem to fix (listed); 2 usage error
    (a URL the channel's network cannot answer, an unknown saved reply, a URL not in the
    collected inbox without --channel).

    Example:

    \b
        cmops inbox
        cmops reply https://mastodon.social/@lea/113456789 --saved halo-charge
        cmops reply https://x.com/lea/status/1861 --channel x-main --text "Merci Léa !"
    """
    from cmops.answers import one_line
    from cmops.atomic import write_atomic
    from cmops.cli.common import EXIT_CONTENT, EXIT_OK, load, stdin_text, warn
    from cmops.cli.inbox import collected
    from cmops.output import text as as_text
    from cmops.replyto import BadReplyUrl, parse
    from cmops.text.limits import NETWORKS
    from cmops.validate import validate

    if saved is not None and text is not None:
        raise click.UsageError("give --saved or --text, not both")
    if text == "-":
        text = stdin_text("--text")
    root, calendar, _ = load(ctx)
    if channel is not None and channel not in calendar.channels:
        raise click.BadParameter(f"unknown channel {channel}", param_hint="--channel")
    inbox = collected(root, calendar, state, state_branch)
    message = _message(calendar, inbox.messages, url, channel)
    if channel is None:
        if message is None:
            raise click.UsageError(
                f"{one_line(url, 300)} is not in the collected inbox (cmops collect reads it; "
                "cmops inbox lists it): name the channel that answers it with --channel")
        channel = message.channel
    if channel not in calendar.channels:
        raise click.UsageError(f"the message came in on {one_line(channel, 64)}, which "
                               "channels.yaml no longer has: name one with --channel")
    network = calendar.channels[channel].network or "outbox"
    if message is not None and message.kind == "dm":
        raise click.UsageError("that is a direct message: a reply post is public, so answer "
                               "it in the network's app")
    try:
        parse(network, url)
    except BadReplyUrl as exc:
        raise click.UsageError(f"{channel} is on {network}: {exc}") from None
    rules = NETWORKS.get(network)
    if rules is None or not rules.replies:
        raise click.UsageError(f"{channel} is on {network}, where cmops cannot send replies "
                               "yet: answer in the network's app")
    replies = sorted(calendar.replies, key=lambda r: r.id)
    body = text or ""
    if saved is not None:
        template = next((r for r in replies if r.id == saved), None)
        if template is None:
            known = ", ".join(r.id for r in replies) or "none: calendar/replies/ is empty"
            raise click.BadParameter(f"no saved reply {saved} (saved replies: {known})",
                                     param_hint="--saved")
        body = _fill(template, message)
    if message is not None:
        for r in inbox.answers[message.id].replies:
            warn(f"{r.file} already answers this message (status {r.status or 'draft'})")
    folder = root / FOLDER
    post_id = _post_id(message, url, network, {p.id for p in calendar.posts}, folder)
    rel = f"{FOLDER}/{post_id}.yaml"
    write_atomic(root / rel, _file(post_id, channel, url, body, message, replies)
                 .encode("utf-8"))
    click.echo(f"Wrote {rel} (status: draft, on {channel})")
    left = sorted(set(_PLACEHOLDER.findall(body)))
    if not body:
        click.echo("Next: write the reply's text in it.")
    elif left:
        click.echo(f"Next: fill in {', '.join(left)} in its text.")
    click.echo("Then set status: ready and open a pull request; once it is merged, the next "
               "publish run sends the reply.")
    report = validate(root, [rel])
    if not report.ok or report.warnings:
        click.echo(as_text(report))
    ctx.exit(EXIT_OK if report.ok else EXIT_CONTENT)
