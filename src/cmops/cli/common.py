"""What every command shares: exit codes, the content repository, the calendar, the state
store, and small output helpers. Imports stay light: the heavy ones happen inside the
functions, so ``cmops --help`` stays fast."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from cmops.model import Calendar
    from cmops.render import Rendered
    from cmops.stores.git import GitStore
    from cmops.stores.local import LocalStore
    from cmops.validate import Report

EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def now_or(at: datetime | None) -> datetime:
    """``at`` (a parsed ``--at``), or the current time."""
    return at if at is not None else datetime.now(UTC)


def repo_root(ctx: click.Context) -> Path:
    """The content repository: ``--root``, or the nearest folder above holding calendar/."""
    from cmops.workspace import NoCalendarError, find_root

    given = ctx.obj.get("root") if ctx.obj else None
    try:
        return find_root(Path(given) if given else Path.cwd())
    except NoCalendarError as exc:
        raise click.UsageError(str(exc)) from None


def load(ctx: click.Context, *, use_cache: bool = True) -> tuple[Path, Calendar, Report]:
    """The repository root, its calendar and validation report; token and API-version
    warnings and a
    summary of the calendar's errors go to stderr."""
    from cmops.validate import load_calendar

    root = repo_root(ctx)
    calendar, report = load_calendar(root, use_cache=use_cache)
    from cmops.rules.networks import dated_findings

    for finding in dated_findings(calendar, datetime.now(UTC).date()):
        click.echo(f"{finding.severity.value}: {finding.message} [{finding.rule}]", err=True)
    if not report.ok:
        click.echo(f"cmops: the calendar has {len(report.errors)} error(s); items from invalid "
                   "posts are left out. Run cmops validate to see them.", err=True)
    return root, calendar, report


def check_channels(calendar: Calendar, channels: Iterable[str]) -> None:
    """A usage error naming the ``--channel`` values the calendar does not have."""
    unknown = [c for c in channels if c not in calendar.channels]
    if unknown:
        raise click.BadParameter(f"unknown channel(s): {', '.join(unknown)}",
                                 param_hint="--channel")


def open_store(root: Path, state: Path | None, state_branch: str | None) -> LocalStore | GitStore:
    """The state store ``--state`` / ``--state-branch`` name (default: .cmops/state); use it
    in a ``with`` block so it is closed however the command ends."""
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


def ledger_view(root: Path, state_branch: str | None = None) -> dict[str, Any]:
    """What the ledger recorded (the plan shows published, failed… from it, and the edits
    and withdrawals that follow): the local one, or the git state branch, only read."""
    from cmops.ledger import ledger_view as view

    if state_branch:
        from cmops.stores.git import GitStoreError, read_ledger

        try:
            return dict(view(read_ledger(root, state_branch)))
        except GitStoreError as exc:
            raise click.UsageError(f"--state-branch {state_branch}: {exc}") from None
    from cmops.stores.local import DEFAULT_STATE, LocalStore

    with LocalStore(root / DEFAULT_STATE) as store:
        return dict(view(store.load()))


def measurer() -> Any:
    """The plan's measure of each rendered text against its network's limits."""
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


def warn(message: str) -> None:
    """``warning: message`` on stderr."""
    click.echo(f"warning: {message}", err=True)


def stdin_text(param: str) -> str:
    """``--text -``: standard input, without its surrounding blank space, read no further than
    a post file may be (so ``< /dev/zero`` or a wrong pipe is refused, not read forever)."""
    import sys

    from cmops.yamlsafe import MAX_BYTES

    limit = 2 * MAX_BYTES  # a little over: the file's own size check says by how much
    data = sys.stdin.read(limit + 1)
    if len(data) > limit:
        raise click.BadParameter(f"standard input is longer than {limit} characters; a post "
                                 f"file holds at most {MAX_BYTES} bytes", param_hint=param)
    return data.strip()
