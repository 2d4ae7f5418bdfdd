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
            if verbose:
                traceback.print_exc()
            click.echo(f"cmops: unexpected error: {type(exc).__name__}: {exc}", err=True)
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

    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "github", "json"]), default="text",
              show_default=True, help="text for people, github for inline PR annotations, "
                                      "json for tools.")
@click.option("--no-cache", is_flag=True, help="Ignore and do not update .cmops/cache/.")
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...], fmt: str, no_cache: bool) -> None:
    """Check every calendar file and the rules between them.

    Reports every problem in every file in one run, as path:line:column, the field and a
    message. PATHS (files or folders) limit which files' problems are shown; the whole
    calendar is always read, since posts refer to channels and campaigns.

    Exit status: 0 valid (warnings allowed), 1 invalid content, 2 usage error.

    Example:

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
                 use_cache=not no_cache)
    click.echo(RENDERERS[fmt](report))
    ctx.exit(EXIT_OK if report.ok else EXIT_CONTENT)


def _parse_at(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date and time",
                                 param_hint="--at") from None
    if parsed.tzinfo is None:
        raise click.BadParameter("give an offset or Z, e.g. 2026-11-24T09:00+01:00",
                                 param_hint="--at")
    return parsed.astimezone(UTC)


def _load(ctx: click.Context) -> tuple[Path, Calendar, Report]:
    from cmops.validate import load_calendar

    root = _root(ctx)
    calendar, report = load_calendar(root)
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

        cmops plan --days 7
        cmops plan --base origin/main --format markdown >> "$GITHUB_STEP_SUMMARY"
    """
    from cmops.plan import build_plan
    from cmops.planview import RENDERERS, PlanView

    now = _parse_at(at)
    end = _parse_at(until) if until else now + timedelta(days=days)
    if end < now:
        raise click.BadParameter("must be after --at", param_hint="--until")
    root, calendar, report = _load(ctx)
    unknown = [c for c in channels if c not in calendar.channels]
    if unknown:
        raise click.BadParameter(f"unknown channel(s): {', '.join(unknown)}",
                                 param_hint="--channel")
    result = build_plan(calendar, now, horizon=end, ledger=_ledger_view(root))
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

        cmops resume
    """
    from cmops.pausefile import write_resume

    root = _root(ctx)
    path = write_resume(root)
    click.echo(f"Publishing resumed. Wrote {path.relative_to(root)}; commit it.")


def _ledger_view(root: Path) -> dict[str, Any]:
    """What the publisher recorded (empty until something was published)."""
    return {}


def _measurer() -> Any:
    from cmops.planview import no_measures

    return no_measures


def main() -> None:
    cli(prog_name="cmops")
