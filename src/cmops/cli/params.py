"""Click parameter types and options several commands share, declared once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

AT_RANGE = (2000, 2100)
"""Times cmops plans and publishes in (content dates are bounded the same way)."""

F = TypeVar("F", bound=Callable[..., Any])


class DateTime(click.ParamType[datetime, "str | datetime"]):
    """An ISO 8601 date and time with an offset (``--at``, ``--until``, ``--since``), between
    the years of :data:`AT_RANGE`, as UTC."""

    name = "datetime"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        hint = param.opts[0] if param is not None and param.opts else "--at"
        return parse_at(value, hint)


def parse_at(value: str | datetime, param: str = "--at") -> datetime:
    """``value`` as an aware UTC time; a :class:`click.BadParameter` for ``param`` otherwise."""
    if isinstance(value, datetime):
        parsed = value
    else:
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


DATETIME = DateTime()


def at_option(help: str, name: str = "--at") -> Callable[[F], F]:
    """An ``--at``-like option (``ISO``) parsed by :data:`DATETIME`; None when absent."""
    return click.option(name, name.lstrip("-"), type=DATETIME, metavar="ISO", help=help)


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
