"""The ``cmops`` command line: a thin shell over library functions.

Exit codes: 0 fine, 1 content invalid or a publish failed, 2 usage error, 3 unexpected error
(re-run with -v for the traceback), 130 interrupted.
"""

from __future__ import annotations

import sys
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cmops import __version__

if TYPE_CHECKING:
    from cmops.model import Calendar
    from cmops.render import Rendered
    from cmops.validate import Report

EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class CmopsGroup(click.Group):
    """One top-level handler maps every failure to an exit code and a sentence, no traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        verbose = "-v" in sys.argv[1:] or "--verbose" in sys.argv[1:]
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.ClickException as exc:
            exc.show()
            code = EXIT_USAGE
        except click.exceptions.Abort:
            click.echo("Interrupted.", err=True)
            code = EXIT_INTERRUPTED
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            code = EXIT_INTERRUPTED
        except Exception as exc:  # the one place a bug becomes a message
            from cmops.secrets import redact_known  # a bug's message may quote a token

            if verbose:
                click.echo(redact_known(traceback.format_exc()), err=True, nl=False)
            click.echo(redact_known(f"cmops: unexpected error: {type(exc).__name__}: {exc}"),
                       err=True)
            if not verbose:
                click.echo("This is a bug in cmops; re-run with -v to see the traceback and "
                           "report it.", err=True)
            code = EXIT_BUG
        sys.exit(code if isinstance(code, int) else EXIT_OK)


def _root(ctx: click.Context) -> Path:
    from cmops.workspace import NoCalendarError, find_root

    given = ctx.obj.get("root") if ctx.obj else None
    try:
        return find_root(Path(given) if given else Path.cwd())
    except NoCalendarError as exc:
        raise click.UsageError(str(exc)) from None


@click.group(cls=CmopsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Content repository (default: the nearest folder above holding calendar/).")
@click.option("-v", "--verbose", is_flag=True, help="Show details and tracebacks of bugs.")
@click.version_option(__version__, prog_name="cmops")
@click.pass_context
def cli(ctx: click.Context, root: Path | None, verbose: bool) -> None:
    """cmops: community management the GitOps way.

    Posts and campaigns are YAML files under calendar/. Validate them, preview what will go
    out, publish it exactly once.
    """
    ctx.ensure_object(dict)
    ctx.obj["root"] = root
    import logging

    from cmops.secrets import redact_logs

    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    redact_logs()  # httpx logs request URLs: Telegram's and Discord's hold the token


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "github", "json"]), default="text",
              show_default=True, help="text for people, github for inline PR annotations, "
                                      "json for tools.")
@click.option("--no-cache", is_flag=True, help="Ignore and do not update .cmops/cache/.")
@click.option("--check-links", is_flag=True,
              help="Also ask every outbound link (HTTP HEAD, bounded): 404/410 are errors, "
                   "unreachable links warnings. Needs network access; off by default.")
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...], fmt: str, no_cache: bool,
             check_links: bool) -> None:
    """Check every calendar file and the rules between them.

    Reports every problem in every file in one run, as path:line:column, the field and a
    message. PATHS (files or folders) limit which files' problems are shown; the whole
    calendar is always read, since posts refer to channels and campaigns.

    Exit status: 0 valid (warnings allowed), 1 invalid content, 2 usage error.

    Example:

    \b
        cmops validate
        cmops validate calendar/posts/2026-03 --format github
    """
    from cmops.output import RENDERERS
    from cmops.validate import validate as run

    root = _root(ctx)
    selected = []
    for p in paths:
        full = p.resolve()
        if not full.exists():
            raise click.BadParameter(f"{p} does not exist", param_hint="PATHS")
        if not full.is_relative_to(root):
            raise click.BadParameter(f"{p} is outside the content repository {root}",
                                     param_hint="PATHS")
        selected.append(full.relative_to(root).as_posix() if full != root else "")
    report = run(root, [s for s in selected if s] if "" not in selected else [],
                 use_cache=not no_cache, check_links=check_links,
                 today=datetime.now(UTC).date())
    click.echo(RENDERERS[fmt](report))
    ctx.exit(EXIT_OK if report.ok else EXIT_CONTENT)


def _parse_at(value: str | None, param: str = "--at") -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date and time",
                                 param_hint=param) from None
    if parsed.tzinfo is None:
        raise click.BadParameter("give an offset or Z, e.g. 2026-11-24T09:00+01:00",
                                 param_hint=param)
    if not AT_RANGE[0] <= parsed.year <= AT_RANGE[1]:
        raise click.BadParameter(f"give a time between the years {AT_RANGE[0]} and "
                                 f"{AT_RANGE[1]}", param_hint=param)
    return parsed.astimezone(UTC)


def _finite(value: float, param: str) -> float:
    if value != value:  # NaN compares unequal to itself, and passes click's range check
        raise click.BadParameter("give a number of seconds", param_hint=param)
    return value


AT_RANGE = (2000, 2100)
"""Times cmops plans and publishes in (content dates are bounded the same way)."""


def _load(ctx: click.Context, *, use_cache: bool = True) -> tuple[Path, Calendar, Report]:
    from cmops.validate import load_calendar

    root = _root(ctx)
    calendar, report = load_calendar(root, use_cache=use_cache)
    from cmops.rules.networks import token_warnings

    for warning in token_warnings(calendar, datetime.now(UTC).date()):
        click.echo(f"warning: {warning.message} [{warning.rule}]", err=True)
    if not report.ok:
        click.echo(f"cmops: the calendar has {len(report.errors)} error(s); items from invalid "
                   "posts are left out. Run cmops validate to see them.", err=True)
    return root, calendar, report


@cli.command()
@click.option("--at", "at", metavar="ISO", help="Plan as if it were this time (default: now).")
@click.option("--until", "until", metavar="ISO", help="Show items up to this time.")
@click.option("--days", type=click.IntRange(min=1, max=3660), default=14, show_default=True,
              help="Show items up to this many days ahead (ignored with --until).")
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="Only this channel (repeatable).")
@click.option("--base", metavar="REF",
              help="Also show what changed against this git revision (e.g. origin/main).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]),
              default="text", show_default=True,
              help="text for people, markdown for PR comments and job summaries, json for "
                   "tools.")
@click.pass_context
def plan(ctx: click.Context, at: str | None, until: str | None, days: int,
         channels: tuple[str, ...], base: str | None, fmt: str) -> None:
    """Show what will go out, where and when, like terraform plan.

    Every occurrence in the window, grouped by day: channel, local time, campaign, the text
    as each network will receive it with its length against the limit, media, thread parts,
    and the state (due, scheduled, expired, paused, standby, published). With --base, also
    the posts a pull request adds, changes, reschedules or removes.

    Exit status: 0, or 1 when the calendar has validation errors.

    Example:

    \b
        cmops plan --days 7
        cmops plan --base origin/main --format markdown >> "$GITHUB_STEP_SUMMARY"
    """
    from cmops.plan import build_plan
    from cmops.planview import RENDERERS, PlanView

    now = _parse_at(at)
    end = _parse_at(until, "--until") if until else now + timedelta(days=days)
    if end < now:
        raise click.BadParameter("must be after --at", param_hint="--until")
    root, calendar, report = _load(ctx)
    unknown = [c for c in channels if c not in calendar.channels]
    if unknown:
        raise click.BadParameter(f"unknown channel(s): {', '.join(unknown)}",
                                 param_hint="--channel")
    result = build_plan(calendar, now, horizon=end, ledger=_ledger_view(root),
                        since=now - timedelta(days=1))
    view = PlanView(result, calendar, result.window(now - timedelta(days=1), end, channels),
                    now - timedelta(days=1), end, measurer=_measurer())
    if base:
        from cmops.diff import diff_calendars
        from cmops.gitfiles import GitError, files_at, resolve_ref
        from cmops.validate import calendar_from_bytes

        try:
            commit = resolve_ref(root, base)
            base_calendar = calendar_from_bytes(files_at(root, commit))
        except GitError as exc:
            raise click.UsageError(str(exc)) from None
        view.changes = diff_calendars(base_calendar, calendar)
        view.base = base
    click.echo(RENDERERS[fmt](view))
    ctx.exit(EXIT_OK if report.ok else EXIT_CONTENT)


@cli.command()
@click.option("--reason", required=True, help="Why: shown in the plan, the publisher and the site.")
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="Pause only this channel (repeatable; default: every channel).")
@click.option("--by", "by", help="Who is pausing (a name or GitHub handle).")
@click.option("--at", "at", metavar="ISO", help="Time of the pause (default: now).")
@click.pass_context
def pause(ctx: click.Context, reason: str, channels: tuple[str, ...], by: str | None,
          at: str | None) -> None:
    """Crisis pause: stop all publishing at once by writing calendar/pause.yaml.

    Nothing is due on the paused channels until cmops resume; the plan and the publisher say
    why. Holding statements (status: standby) stay ready to publish with
    cmops publish --post ID. Commit the file so the freeze is in the history.

    Example:

    \b
        cmops pause --reason "Product recall: all comms on hold" --by @camille
        cmops pause --reason "Outage" --channel x-main
    """
    from cmops.pausefile import write_pause

    root, calendar, _ = _load(ctx)
    unknown = [c for c in channels if c not in calendar.channels]
    if unknown:
        raise click.BadParameter(f"unknown channel(s): {', '.join(unknown)}",
                                 param_hint="--channel")
    path = write_pause(root, reason=reason, channels=list(channels) or None, by=by,
                       since=_parse_at(at))
    scope = ", ".join(channels) if channels else "every channel"
    click.echo(f"Paused {scope}: {reason}\nWrote {path.relative_to(root)}; commit it. "
               "Resume with cmops resume.")


@cli.command()
@click.pass_context
def resume(ctx: click.Context) -> None:
    """End a crisis pause (rewrites calendar/pause.yaml with paused: false).

    Posts whose time passed during the pause are published on the next run if they are
    still within their max_delay, and reported as expired otherwise.

    Example:

    \b
        cmops resume
    """
    from cmops.pausefile import write_resume

    root = _root(ctx)
    path = write_resume(root)
    click.echo(f"Publishing resumed. Wrote {path.relative_to(root)}; commit it.")


def _state_options(func: Any) -> Any:
    func = click.option("--state-branch", "state_branch", metavar="NAME",
                        help="Keep the ledger on this git branch of origin (CI; e.g. "
                             "cmops-state) instead of a local directory.")(func)
    return click.option("--state", "state", type=click.Path(path_type=Path), metavar="PATH",
                        help="Ledger directory (default: .cmops/state in the content "
                             "repository).")(func)


def _store(root: Path, state: Path | None, state_branch: str | None) -> Any:
    if state and state_branch:
        raise click.UsageError("give --state or --state-branch, not both")
    if state_branch:
        from cmops.stores.git import GitStore, GitStoreError

        try:
            return GitStore(root, state_branch)
        except GitStoreError as exc:
            raise click.UsageError(str(exc)) from None
    from cmops.stores.local import DEFAULT_STATE, LocalStore

    return LocalStore(state if state else root / DEFAULT_STATE)


def _ledger_view(root: Path) -> dict[str, Any]:
    """What the local ledger recorded (the plan shows published, failed… from it)."""
    from cmops.ledger import ledger_view
    from cmops.stores.local import DEFAULT_STATE, LocalStore

    return dict(ledger_view(LocalStore(root / DEFAULT_STATE).load()))


_SYMBOL = {"published": "✓", "failed": "✗", "needs_human": "!", "expired": "⌛",
           "pending": "…", "deferred": "…", "not_configured": "-", "skipped": "·", "due": "→",
           "invalid": "⊘"}


@cli.command()
@click.option("--at", "at", metavar="ISO", help="Publish as if it were this time (default: now).")
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="Only this channel (repeatable): e.g. one job per channel in a matrix.")
@click.option("--post", "posts", multiple=True, metavar="ID",
              help="Only this post (repeatable). Needed to publish a standby holding "
                   "statement.")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@_state_options
@click.option("--budget", type=click.FloatRange(min=30, max=21600), default=600,
              callback=lambda ctx, param, value: _finite(value, "--budget"),
              show_default=True,
              metavar="SECONDS", help="Time budget of the run: no send starts when less "
                                      "than 30 s of it is left.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people (progress on stderr, a table at the "
                                      "end), json for tools.")
@click.pass_context
def publish(ctx: click.Context, at: str | None, channels: tuple[str, ...],
            posts: tuple[str, ...], dry_run: bool, state: Path | None,
            state_branch: str | None, budget: float, fmt: str) -> None:
    """Publish what is due, exactly once, and record it in the ledger.

    Every due post × channel (and thread part) is claimed, written to the ledger as an
    intent, sent, and recorded with its outcome. An attempt whose outcome was lost (a crash,
    a timeout) is reconciled with the network before anything is sent again; when nothing
    can prove what happened the item needs a human (cmops resolve). Credentials come from
    the environment variables named in channels.yaml and are never printed.

    Exit status: 0 when everything due was published; 1 when anything failed, expired, is
    waiting for a retry or needs a human.

    Example:

    \b
        cmops publish
        cmops publish --channel newsroom --at 2026-12-02T12:00+01:00
        cmops publish --post delivery-delays-holding   # a holding statement, on request
        cmops publish --state-branch cmops-state       # in CI
    """
    from cmops.publish import Options, Outcome, Publisher, adapter_factory
    from cmops.secrets import Redactor

    now = _parse_at(at)
    # Every file is read and checked afresh: the publisher never trusts a cache for what it
    # may send, and holds back whatever fails (cmops.gate).
    root, calendar, report = _load(ctx, use_cache=False)
    unknown = [c for c in channels if c not in calendar.channels]
    if unknown:
        raise click.BadParameter(f"unknown channel(s): {', '.join(unknown)}",
                                 param_hint="--channel")
    known = {p.id: p for p in calendar.posts}
    missing = [p for p in posts if p not in known]
    if missing:
        raise click.BadParameter(f"no such post: {', '.join(missing)}", param_hint="--post")
    assert calendar.gate is not None
    refused = [(p, why) for p in posts
               if (why := calendar.gate.holds(p, "", known[p].campaign))]
    if refused:
        for post_id, why in refused:
            click.echo(f"cmops: refusing to publish {post_id}: {why}", err=True)
        ctx.exit(EXIT_CONTENT)
    store = _store(root, state, state_branch)
    redactor = Redactor()

    def progress(outcome: Outcome) -> None:
        if fmt == "text":
            detail = outcome.url or outcome.error or ""
            click.echo(f"  {_SYMBOL.get(outcome.state, '?')} {outcome.state:<14} "
                       f"{outcome.key:<40} {redactor(detail)}", err=True)
            for warning in outcome.warnings:
                click.echo(f"    warning: {redactor(warning)}", err=True)

    options = Options(now, channels, posts, dry_run, budget)
    try:
        result = Publisher(root, calendar, store, adapter_factory(root, calendar, redactor),
                           options, progress=progress).run()
    finally:
        store.close()
    if fmt == "json":
        import json

        click.echo(redactor(json.dumps({
            "now": result.now.isoformat().replace("+00:00", "Z"), "store": result.store,
            "dry_run": result.dry_run, "ok": result.ok, "held": result.held,
            "outcomes": [{"key": o.key, "post": o.post, "channel": o.channel,
                          "network": o.network, "state": o.state, "url": o.url,
                          "error": o.error, "sends": o.sends, "warnings": o.warnings}
                         for o in result.outcomes]},
            indent=2, ensure_ascii=False)))
    else:
        click.echo(redactor(_publish_table(result)))
    if result.held:
        click.echo(redactor(f"cmops: {result.held}"), err=True)
    ctx.exit(EXIT_OK if result.ok and report.ok else EXIT_CONTENT)


def _publish_table(result: Any) -> str:
    head = ("Dry run: nothing sent. " if result.dry_run else "") + \
        f"{result.now.isoformat(timespec='minutes').replace('+00:00', 'Z')}, ledger in " \
        f"{result.store}"
    if not result.outcomes:
        return head + "\nNothing is due."
    lines = [head, f"{'state':<14} {'post / channel':<44} detail"]
    for o in result.outcomes:
        lines.append(f"{o.state:<14} {o.key:<44} {o.url or o.error or ''}")
        lines.extend(f"{'':<14} warning: {warning}" for warning in o.warnings)
    counts: dict[str, int] = {}
    for o in result.outcomes:
        counts[o.state] = counts.get(o.state, 0) + 1
    lines.append(", ".join(f"{n} {state.replace('_', ' ')}" for state, n in counts.items()))
    return "\n".join(lines)


@cli.command()
@_state_options
@click.option("--at", "at", metavar="ISO", help="As if it were this time (default: now).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for tools.")
@click.pass_context
def status(ctx: click.Context, state: Path | None, state_branch: str | None, at: str | None,
           fmt: str) -> None:
    """Show every post × channel with its state, link, attempts and last error.

    States: scheduled, due, published, failed, expired, needs_human, in_progress (an
    attempt whose outcome the next run reconciles), paused, standby, skipped.

    Exit status: 0, or 1 when an item needs a human.

    Example:

    \b
        cmops status
        cmops status --format json | jq '.items[] | select(.state == "needs_human")'
    """
    from cmops.status import status as run

    root, calendar, _ = _load(ctx)
    store = _store(root, state, state_branch)
    try:
        rows = run(calendar, store, _parse_at(at))
    finally:
        store.close()
    if fmt == "json":
        import json

        click.echo(json.dumps({"store": store.description,
                               "items": [r.as_json() for r in rows]},
                              indent=2, ensure_ascii=False))
    else:
        click.echo(f"Ledger in {store.description}")
        for r in rows:
            extra = r.url or r.error or ""
            parts = f" ({r.parts} parts)" if r.parts > 1 else ""
            tries = f" after {r.attempts} sends" if r.attempts > r.parts else ""
            when = r.when or "on request"
            click.echo(f"{r.state:<12} {when:<21} {r.key:<40} {extra}{parts}{tries}")
    ctx.exit(EXIT_CONTENT if any(r.state == "needs_human" for r in rows) else EXIT_OK)


@cli.command()
@click.argument("post")
@click.option("--channel", required=True, metavar="NAME", help="The channel of the item.")
@click.option("--as", "resolution", required=True,
              type=click.Choice(["published", "failed", "retry"]),
              help="published: it is on the network (give --url); failed: it is not and "
                   "must not be sent; retry: it is not, send it on the next run.")
@click.option("--url", help="Where the post is (with --as published).")
@click.option("--id", "remote_id", help="The network's id of the post, if known.")
@click.option("--reason", help="Why (kept in the ledger).")
@click.option("--occurrence", type=click.IntRange(min=1),
              help="Which occurrence of a repeating post.")
@click.option("--by", "by", help="Who is settling it.")
@_state_options
@click.pass_context
def resolve(ctx: click.Context, post: str, channel: str, resolution: str, url: str | None,
            remote_id: str | None, reason: str | None, occurrence: int | None, by: str | None,
            state: Path | None, state_branch: str | None) -> None:
    """Settle an item by hand, typically one that needs a human.

    Check the network first: if the post is there, record it as published with its URL; if
    it is not, either retry it (the next run sends it) or mark it failed.

    Example:

    \b
        cmops resolve spring-teaser --channel mastodon-main --as published \\
            --url https://mastodon.social/@lumenvelo/113
        cmops resolve spring-teaser --channel x-main --as retry
    """
    from cmops.status import ResolveError
    from cmops.status import resolve as run

    root, calendar, _ = _load(ctx)
    store = _store(root, state, state_branch)
    try:
        record = run(calendar, store, post=post, channel=channel, resolution=resolution,
                     now=_parse_at(None), url=url, remote_id=remote_id, reason=reason,
                     occurrence=occurrence, by=by)
    except ResolveError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        store.close()
    click.echo(f"{record.key}: {record.state}" + (f" at {record.url}" if record.url else ""))


def _measurer() -> Any:
    from cmops.planview import Measure
    from cmops.text.limits import NETWORKS

    def measure(rendered: Rendered, calendar: Calendar) -> list[Measure]:
        rules = NETWORKS.get(rendered.network)
        if rules is None:
            return []
        ch = calendar.channels.get(rendered.channel)
        limit = ch.raw.get("max_chars") if ch and isinstance(ch.raw.get("max_chars"), int) \
            else None
        out = []
        for index, part in enumerate(rendered.parts):
            m = rules.measure(part.text, limit_override=limit, with_media=bool(part.media))
            out.append(Measure(m.unit, m.count, m.limit, index))
            out.extend(Measure(x.unit, x.count, x.limit, index) for x in m.extra if not x.ok)
        return out

    return measure


def _register_commands() -> None:
    """Commands that live in their own module under ``cmops.commands`` (each module exposes
    ``command``, a click command), added in name order so ``--help`` is stable."""
    import importlib
    import pkgutil

    import cmops.commands

    for info in sorted(pkgutil.iter_modules(cmops.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"cmops.commands.{info.name}")
        cli.add_command(module.command)


_register_commands()


def main() -> None:
    cli(prog_name="cmops")
