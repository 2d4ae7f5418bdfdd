"""``cmops new post`` and ``cmops new campaign``: a new content file, checked at once.

The text of a post comes from ``--text`` or from the user's editor, opened the way git opens
it for a commit message: ``$VISUAL``, then ``$EDITOR`` (click.edit), everything from the
scissors line down removed (git's ``--cleanup=scissors``, https://git-scm.com/docs/git-commit;
a plain ``#`` line is kept, it is a hashtag here), an empty text aborting. Help texts keep
their examples intact with click's ``\\b`` marker
(https://click.palletsprojects.com/en/stable/documentation/#preventing-rewrapping).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from cmops.model import Calendar, Link

SCISSORS = "# ------------------------ >8 ------------------------"
MAX_PARTS = 25
"""Thread parts the post schema takes (``thread``: maxItems)."""
GOALS = {"engagement_rate": "percent", "comments": "count", "shares": "count",
         "dm_replies": "count", "growth_rate": "percent"}
"""The campaign schema's ``goals``: a count is a whole number, a percent 10, 2.5 or 10%."""
UTM_KEYS = ("source", "medium", "campaign", "content")
EMPTY = {"--text": "the post needs some text", "--thread": "a thread part needs some text"}


@click.group("new")
def command() -> None:
    """Create content files: a post, a campaign.

    Example:

    \b
        cmops new campaign --name "Winter lights" --start 2026-11-16 --end 2026-12-24
        cmops new post --channel newsroom --campaign winter-lights --text "Be seen!"
    """


@command.command("post")
@click.option("--channel", "channels", multiple=True, required=True, metavar="NAME",
              help="A channel from calendar/channels.yaml (repeatable).")
@click.option("--at", "at", metavar="TIME",
              help="publish_at, written as given: local time in the channel's zone "
                   "(2026-12-03T09:30), a time with an offset (2026-12-03T09:30+01:00) or "
                   "next-slot. Absent: a draft without a time.")
@click.option("--text", help="The post's text (- reads it from standard input). Absent: "
                             "your editor ($VISUAL, then $EDITOR) opens to write it.")
@click.option("--id", "post_id", metavar="ID",
              help="The post id (default: the text's first words, cut at a word, and the "
                   "date; made unique).")
@click.option("--campaign", metavar="ID", help="A campaign id (calendar/campaigns/).")
@click.option("--status", type=click.Choice(["draft", "ready", "standby"]), default="draft",
              show_default=True, help="ready means approved once merged.")
@click.option("--media", "media", multiple=True, metavar="PATH",
              help="An image or video, relative to the repository root and inside it "
                   "(repeatable, in order).")
@click.option("--alt", "alts", multiple=True, metavar="TEXT",
              help="Alt text of the --media given in the same position: the first --alt "
                   "describes the first --media (repeatable).")
@click.option("--link", metavar="URL",
              help="The post's link: its card is fetched from the page (as cmops card does) "
                   "and written into the post; the bare URL if the page cannot be read.")
@click.option("--thread", "thread", multiple=True, metavar="TEXT",
              help=f"A further part of a thread, published as a reply to the part before "
                   f"(repeatable, in order, at most {MAX_PARTS}).")
@click.pass_context
def new_post(ctx: click.Context, channels: tuple[str, ...], at: str | None, text: str | None,
             post_id: str | None, campaign: str | None, status: str, media: tuple[str, ...],
             alts: tuple[str, ...], link: str | None, thread: tuple[str, ...]) -> None:
    """Write calendar/posts/<YYYY-MM>/<id>.yaml and check it.

    The file is validated with the rest of the calendar at once; exit 1 if it has a problem
    (it is kept, so you can fix it). Text with several lines is written as a YAML block
    (text: |), as it will be published.

    Example:

    \b
        cmops new post --channel bluesky-main --channel newsroom \\
            --at 2026-12-03T09:30 --text "Nouvelle tournée des repair cafés" \\
            --link https://lumen-velo.example/repair-cafe
        cmops new post --channel mastodon-main --campaign winter-lights-2026 \\
            --media calendar/media/halo.png --alt "The Lumen Halo light at night"
        cmops new post --channel bluesky-main --status ready --at next-slot \\
            --text "3 tips for riding at night 🧵" \\
            --thread "1/ Front light: 100 lumens in town." \\
            --thread "2/ Rear light on, even by day." --id night-tips
        cmops new post --channel newsroom --at 2026-12-05T18:00   # no --text: your editor
    """
    from cmops.cli.common import check_channels, load, stdin_text
    from cmops.ids import UnsafeName
    from cmops.postfile import NewPost, fresh_id, path_for, render, slug

    if text == "-":
        text = stdin_text("--text")
    if text is not None:
        _check_text(text, "--text")
    for part in thread:
        _check_text(part, "--thread")
    if len(thread) > MAX_PARTS:
        raise click.BadParameter(f"a thread has at most {MAX_PARTS} further parts; "
                                 f"{len(thread)} given", param_hint="--thread")
    root, calendar, _ = load(ctx)
    channels = tuple(dict.fromkeys(channels))  # --channel x twice means x once
    check_channels(calendar, channels)
    if campaign and campaign not in calendar.campaigns:
        raise click.BadParameter(f"unknown campaign {campaign}", param_hint="--campaign")
    if at is not None:
        _check_publish_at(at, calendar, channels)
    if link is not None and (not link.startswith(("http://", "https://"))
                             or any(c.isspace() for c in link)):
        raise click.BadParameter("an http(s) URL without spaces", param_hint="--link")
    attached = _media(root, media, alts)
    taken = {p.id for p in calendar.posts}
    if post_id and post_id in taken:
        raise click.BadParameter(f"a post with id {post_id} exists", param_hint="--id")
    try:  # before the editor opens: a refused id must not cost the text written in it
        path_for(NewPost(post_id or "post", channels, ""))
    except UnsafeName as exc:
        raise click.BadParameter(str(exc), param_hint="--id") from None
    # A file named like a generated id but holding another id must not stop the run after
    # the text was written in the editor: such names are taken too.
    taken |= {p.stem for p in (root / "calendar/posts").rglob("*.yaml")}
    if text is None:
        text = _edit(channels, at)
    date = at[:10].replace("-", "") if at and at != "next-slot" else ""
    new = NewPost(post_id or fresh_id(slug(text) + (f"-{date}" if date else ""), taken),
                  list(channels), text, at, status, campaign, media=attached,
                  thread=list(thread))
    try:
        rel = path_for(new)
    except UnsafeName as exc:
        raise click.BadParameter(str(exc), param_hint="--id") from None
    if (root / rel).exists():
        raise click.UsageError(f"{rel} exists already")
    if link is not None:
        new.link = _card(root, link)
    _write(ctx, root, rel, render(new).encode("utf-8"))


@command.command("campaign")
@click.option("--name", required=True, help="The name shown to stakeholders.")
@click.option("--start", required=True, metavar="DATE",
              help="First day, YYYY-MM-DD, in the calendar's time zone.")
@click.option("--end", required=True, metavar="DATE",
              help="Last day, inclusive, YYYY-MM-DD, in the calendar's time zone.")
@click.option("--id", "campaign_id", metavar="ID",
              help="The campaign id posts name with --campaign (default: made from the "
                   "name, cut at a word).")
@click.option("--description", help="What the campaign is for, shown on its page.")
@click.option("--owner", help="Who answers for it (a name or a GitHub handle).")
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="A channel it runs on, from calendar/channels.yaml (repeatable).")
@click.option("--label", "labels", multiple=True, metavar="LABEL",
              help="A free label for filtering (repeatable).")
@click.option("--utm", "utm", multiple=True, metavar="KEY=VALUE",
              help=f"A UTM parameter added to the campaign's links (repeatable): "
                   f"{', '.join(UTM_KEYS)}; {{network}}, {{channel}} and {{post}} are "
                   f"replaced per post.")
@click.option("--goal", "goals", multiple=True, metavar="KEY=VALUE",
              help="A KPI target (repeatable): comments, shares, dm_replies (whole numbers), "
                   "engagement_rate, growth_rate (percent: 10, 2.5 or 10%).")
@click.pass_context
def new_campaign(ctx: click.Context, name: str, start: str, end: str,
                 campaign_id: str | None, description: str | None, owner: str | None,
                 channels: tuple[str, ...], labels: tuple[str, ...], utm: tuple[str, ...],
                 goals: tuple[str, ...]) -> None:
    """Write calendar/campaigns/<id>.yaml and check it.

    The file is validated with the rest of the calendar at once; exit 1 if it has a problem
    (it is kept, so you can fix it).

    Example:

    \b
        cmops new campaign --name "Spring launch" --start 2027-03-01 --end 2027-03-31 \\
            --id spring-launch-2027 --owner @marketing --channel newsroom \\
            --label launch --utm "source={network}" --utm medium=social \\
            --goal comments=80 --goal engagement_rate=8% \\
            --description "Launch of the Halo 2, with pre-orders from 3 March."
    """
    from cmops.cli.common import check_channels
    from cmops.cli.common import load as load_calendar
    from cmops.ids import UnsafeName
    from cmops.postfile import NewCampaign, campaign_path, render_campaign, slug
    from cmops.schedule import TimeError, parse_date

    for value, hint in ((name, "--name"), (description, "--description"),
                        (owner, "--owner"), *((label, "--label") for label in labels)):
        if value is not None:
            _check_text(value, hint)
    days = []
    for value, hint in ((start, "--start"), (end, "--end")):
        try:
            days.append(parse_date(value))
        except TimeError as exc:
            raise click.BadParameter(str(exc), param_hint=hint) from None
    if days[1] < days[0]:
        raise click.BadParameter(f"{end} is before --start {start}", param_hint="--end")
    tags = _pairs(utm, "--utm", UTM_KEYS)
    targets = {key: _goal(key, value) for key, value in _pairs(goals, "--goal", GOALS).items()}
    root, calendar, _ = load_calendar(ctx)
    channels = tuple(dict.fromkeys(channels))
    check_channels(calendar, channels)
    new = NewCampaign(campaign_id or slug(name, fallback="campaign"), name, start, end,
                      description, owner, list(dict.fromkeys(channels)),
                      list(dict.fromkeys(labels)), tags, targets)
    if new.id in calendar.campaigns:
        raise click.BadParameter(f"a campaign with id {new.id} exists "
                                 f"({calendar.campaigns[new.id].file}); choose another "
                                 "with --id", param_hint="--id")
    try:
        rel = campaign_path(new)
    except UnsafeName as exc:
        raise click.BadParameter(str(exc), param_hint="--id") from None
    if (root / rel).exists():
        raise click.UsageError(f"{rel} exists already")
    _write(ctx, root, rel, render_campaign(new).encode("utf-8"))


def _pairs(given: Sequence[str], hint: str, keys: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict; a usage error for an unknown, repeated or empty one."""
    known = list(keys)
    pairs: dict[str, str] = {}
    for item in given:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in known:
            raise click.BadParameter(f"{item!r}: write KEY=VALUE with KEY one of "
                                     f"{', '.join(known)}", param_hint=hint)
        if key in pairs:
            raise click.BadParameter(f"{key} is given twice", param_hint=hint)
        _check_text(value, hint)
        pairs[key] = value.strip()
    return pairs


def _goal(key: str, value: str) -> int | float | str:
    """A goal as the schema takes it: a count as an integer, a percent as a number or N%."""
    if GOALS[key] == "count":
        if not value.isascii() or not value.isdigit() or len(value) > 12:
            raise click.BadParameter(f"{key}={value}: give a whole number, e.g. {key}=50",
                                     param_hint="--goal")
        return int(value)
    number = value.removesuffix("%").rstrip()
    if not re.fullmatch(r"[0-9]{1,9}(\.[0-9]{1,6})?", number):
        raise click.BadParameter(f"{key}={value}: give a percentage, e.g. {key}=10, "
                                 f"{key}=2.5 or {key}=10%", param_hint="--goal")
    if value.endswith("%"):
        return f"{number}%"
    return float(number) if "." in number else int(number)


def _write(ctx: click.Context, root: Path, rel: str, data: bytes) -> None:
    """Write ``rel`` whole or not at all, validate it with the calendar, exit 1 on its
    errors; a file cmops would refuse to read is not written."""
    from cmops.atomic import write_atomic
    from cmops.cli.common import EXIT_CONTENT, EXIT_OK
    from cmops.output import text as as_text
    from cmops.validate import validate
    from cmops.yamlsafe import MAX_BYTES

    if len(data) > MAX_BYTES:
        raise click.UsageError(f"{rel} would be {len(data)} bytes; cmops reads files of at "
                               f"most {MAX_BYTES} bytes: shorten the text")
    write_atomic(root / rel, data)
    click.echo(f"Wrote {rel}")
    report = validate(root, [rel])
    if not report.ok or report.warnings:
        click.echo(as_text(report))
    ctx.exit(EXIT_OK if report.ok else EXIT_CONTENT)


def _check_text(text: str, hint: str) -> None:
    if not text.strip():
        raise click.BadParameter(EMPTY.get(hint, "give some text"), param_hint=hint)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise click.BadParameter("the text holds bytes that are not UTF-8 (the terminal's "
                                 "encoding?); write it in UTF-8", param_hint=hint) from None


def _check_publish_at(at: str, calendar: Calendar, channels: Sequence[str]) -> None:
    """``--at`` as the schema takes it, and a time that exists in each channel's zone."""
    from cmops.postfile import PUBLISH_AT
    from cmops.schedule import TimeError, resolve_publish_at

    if at == "next-slot":
        return
    if not PUBLISH_AT.fullmatch(at):
        raise click.BadParameter(f"{at!r}: write a local time in the channel's zone "
                                 "(2026-12-03T09:30), a time with an offset "
                                 "(2026-12-03T09:30+01:00) or next-slot", param_hint="--at")
    for channel in channels:
        try:
            resolve_publish_at(at, calendar.channel_timezone(channel))
        except TimeError as exc:
            raise click.BadParameter(f"{exc} (channel {channel})", param_hint="--at") from None


def _media(root: Path, paths: Sequence[str], alts: Sequence[str]
           ) -> list[tuple[str, str | None]]:
    """``--media`` paths paired in order with ``--alt``; each a file inside the repository."""
    if len(alts) > len(paths):
        raise click.BadParameter(f"{len(alts)} --alt for {len(paths)} --media: each --alt "
                                 "describes the --media in the same position",
                                 param_hint="--alt")
    attached: list[tuple[str, str | None]] = []
    for index, given in enumerate(paths):
        rel = _inside(root, given)
        alt = alts[index] if index < len(alts) and alts[index].strip() else None
        if alt is not None:
            _check_text(alt, "--alt")
        else:
            click.echo(f"warning: --media {rel} has no alt text: describe it with --alt "
                       "(validate requires one for every image)", err=True)
        attached.append((rel, alt))
    return attached


def _inside(root: Path, given: str) -> str:
    """``given`` as a repository-relative POSIX path to an existing file inside the
    repository, or a usage error saying why not."""
    def refuse(why: str) -> click.BadParameter:
        return click.BadParameter(f"{given!r} {why}", param_hint="--media")

    if not given or any(ord(c) < 32 or c == "\x7f" for c in given):
        raise refuse("is not a file name")
    path = Path(given)
    if path.is_absolute() or given.startswith(("/", "\\")):
        raise refuse("must be relative to the repository root (e.g. calendar/media/x.png)")
    if ".." in path.parts or ".." in given.split("\\"):
        raise refuse("must stay inside the repository: no '..'")
    full = root / path
    try:
        inside = full.resolve().is_relative_to(root.resolve())
        is_file = full.is_file()
    except (OSError, ValueError):
        raise refuse("cannot be read") from None
    if not inside:
        raise refuse("leads outside the repository (a symbolic link?)")
    if not is_file:
        raise refuse("does not exist in the repository (paths are relative to its root)")
    return path.as_posix()


def _edit(channels: Sequence[str], at: str | None) -> str:
    """The post's text from the user's editor; an empty text aborts (exit 1)."""
    from cmops.cli.common import EXIT_CONTENT

    when = f"Publish at: {at}." if at else "No --at: a draft without a time."
    template = (f"\n{SCISSORS}\n"
                "# Write the post's text above the scissors line; it and everything below "
                "it are removed.\n"
                f"# Channels: {', '.join(channels)}. {when}\n"
                "# Line breaks are kept as you write them; blank lines at the end are "
                "dropped.\n"
                "# Leave the text empty (or quit without saving) to abort: nothing is "
                "written.\n")
    edited = click.edit(template, extension=".txt", require_save=True)
    text = (edited or "").replace("\r\n", "\n")
    lines = text.split("\n")
    if SCISSORS in lines:
        lines = lines[:lines.index(SCISSORS)]
    text = "\n".join(lines).rstrip().lstrip("\n")
    if not text.strip():
        click.echo("Aborted: the editor returned no text; nothing was written.", err=True)
        click.get_current_context().exit(EXIT_CONTENT)
    _check_text(text, "--text")
    return text


def _card(root: Path, url: str) -> Link | str:
    from cmops.cards import CardError, link_for

    try:
        card, notes = link_for(root, url)
    except CardError as exc:
        click.echo(f"warning: link card not fetched ({exc}): the post keeps the bare URL; "
                   "run cmops card before it is published", err=True)
        return url
    for note in notes:
        click.echo(f"warning: {note}", err=True)
    return card
