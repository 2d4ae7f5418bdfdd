"""Click parameter types and options several commands share, declared once.

A time without an offset is wall-clock time in the calendar's zone, placed with zoneinfo and
PEP 495's ``fold`` (https://peps.python.org/pep-0495/) by :func:`cmops.schedule.resolve_local`:
a time in the spring-forward gap or the fall-back overlap is refused, as in ``publish_at``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

AT_RANGE = (2000, 2100)
"""Times cmops plans and publishes in (content dates are bounded the same way)."""

F = TypeVar("F", bound=Callable[..., Any])
LOCAL_HELP = ("ISO 8601: with an offset (2026-12-03T09:30+01:00, or Z), or local time in the "
              "calendar's timezone (2026-12-03T09:30).")


class DateTime(click.ParamType[datetime, "str | datetime"]):
    """An ISO 8601 date and time (``--at``, ``--until``, ``--since``), between the years of
    :data:`AT_RANGE`, as UTC. With an offset or ``Z`` it is that instant; without one it is
    wall-clock time in the calendar's ``timezone`` (calendar/channels.yaml; UTC when it sets
    none), so ``--at 2026-12-03T09:30`` means half past nine where the calendar lives."""

    name = "datetime"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        hint = param.opts[0] if param is not None and param.opts else "--at"
        return parse_at(value, hint, zone_of=lambda: calendar_zone(ctx, hint))


def parse_at(value: str | datetime, param: str = "--at",
             zone_of: Callable[[], tzinfo] | None = None) -> datetime:
    """``value`` as an aware UTC time; a :class:`click.BadParameter` for ``param`` otherwise.

    A time without an offset is placed in the zone ``zone_of()`` returns (asked only then);
    without ``zone_of`` it is refused. A wall-clock time the zone skips (clocks go forward)
    or repeats (clocks go back) is refused, naming the offsets to choose from."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not an ISO 8601 date and time",
                                     param_hint=param) from None
    if not AT_RANGE[0] <= parsed.year <= AT_RANGE[1]:
        raise click.BadParameter(f"give a time between the years {AT_RANGE[0]} and "
                                 f"{AT_RANGE[1]}", param_hint=param)
    if parsed.tzinfo is None:
        if zone_of is None:
            raise click.BadParameter("give an offset or Z, e.g. 2026-11-24T09:00+01:00",
                                     param_hint=param)
        zone = zone_of()
        if not isinstance(zone, ZoneInfo):
            return parsed.replace(tzinfo=zone).astimezone(UTC)
        from cmops.schedule import TimeError, resolve_local

        try:
            return resolve_local(parsed, zone)
        except TimeError as exc:
            raise click.BadParameter(str(exc), param_hint=param) from None
    return parsed.astimezone(UTC)


def calendar_zone(ctx: click.Context | None, param: str = "--at") -> tzinfo:
    """The calendar's ``timezone`` from calendar/channels.yaml (or .yml) of the repository
    ``--root`` names (else the one found from the working directory); UTC when there is no
    repository, no channels file or no ``timezone`` in it. A channels file that cannot be read
    or names an unknown zone is a :class:`click.BadParameter`: guessing UTC then would move
    the time by hours."""
    from cmops.schedule import TimeError, zone
    from cmops.workspace import NoCalendarError, find_root
    from cmops.yamlsafe import YamlError, load_bytes, read_bounded

    given = ctx.obj.get("root") if ctx is not None and isinstance(ctx.obj, dict) else None
    try:
        root = find_root(Path(given) if given else Path.cwd())
    except NoCalendarError:
        return UTC
    for name in ("channels.yaml", "channels.yml"):
        path = root / "calendar" / name
        if not path.is_file():
            continue
        try:
            raw = load_bytes(read_bounded(path))
        except (OSError, YamlError) as exc:
            where = f"calendar/{name}:{exc.line}" if isinstance(exc, YamlError) \
                else f"calendar/{name}"
            raise click.BadParameter(f"{where}: the calendar's timezone cannot be read "
                                     f"({exc}); give the time with an offset, e.g. "
                                     "2026-11-24T09:00+01:00", param_hint=param) from None
        name_of_zone = raw.get("timezone") if isinstance(raw, dict) else None
        if not isinstance(name_of_zone, str) or not name_of_zone:
            return UTC
        try:
            return zone(name_of_zone)
        except TimeError as exc:
            raise click.BadParameter(f"calendar/{name}: {exc}", param_hint=param) from None
    return UTC


DATETIME = DateTime()


def at_option(help: str, name: str = "--at") -> Callable[[F], F]:
    """An ``--at``-like option (``ISO``) parsed by :data:`DATETIME`; None when absent. The
    help says a time without an offset is the calendar's local time."""
    return click.option(name, name.lstrip("-"), type=DATETIME, metavar="ISO",
                        help=f"{help} {LOCAL_HELP}")


LEDGER_STATE_HELP = "Ledger directory (default: .cmops/state in the content repository)."
LEDGER_BRANCH_HELP = ("Keep the ledger on this git branch of origin (CI; e.g. cmops-state) "
                      "instead of a local directory.")


def state_options(state_help: str = LEDGER_STATE_HELP,
                  branch_help: str = LEDGER_BRANCH_HELP) -> Callable[[F], F]:
    """``--state PATH`` and ``--state-branch NAME`` (in that order in the help): where the
    ledger and the collected data are kept; :func:`cmops.cli.common.open_store` opens it."""

    def decorate(func: F) -> F:
        func = click.option("--state-branch", "state_branch", metavar="NAME",
                            help=branch_help)(func)
        return click.option("--state", "state", type=click.Path(path_type=Path),
                            metavar="PATH", help=state_help)(func)

    return decorate


def finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """A callback refusing NaN, which passes click's range checks."""
    if value != value:  # NaN compares unequal to itself
        raise click.BadParameter("give a number of seconds", param_hint=param.opts[0])
    return value
