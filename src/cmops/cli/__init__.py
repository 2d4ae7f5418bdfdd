"""The ``cmops`` command line: a thin shell over library functions.

Each command is a module of this package exposing ``command`` (a click command or group),
registered on :data:`cli` from :data:`COMMANDS`. Shared helpers are in
:mod:`cmops.cli.common`, shared parameter types and options in :mod:`cmops.cli.params`.

Exit codes: 0 fine, 1 content invalid or a publish failed, 2 usage error, 3 unexpected error
(re-run with -v for the traceback), 130 interrupted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cmops import __version__
from cmops.cli import card as card
from cmops.cli import collect as collect
from cmops.cli import export as export
from cmops.cli import health as health
from cmops.cli import import_csv as import_csv
from cmops.cli import inbox as inbox
from cmops.cli import init as init
from cmops.cli import kpi as kpi
from cmops.cli import new as new
from cmops.cli import pause as pause
from cmops.cli import plan as plan
from cmops.cli import publish as publish
from cmops.cli import reply as reply
from cmops.cli import report as report
from cmops.cli import resolve as resolve
from cmops.cli import resume as resume
from cmops.cli import status as status
from cmops.cli import validate as validate
from cmops.cli.common import EXIT_BUG, EXIT_CONTENT, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE

__all__ = ["COMMANDS", "EXIT_BUG", "EXIT_CONTENT", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE",
           "CmopsGroup", "cli", "main"]


class CmopsGroup(click.Group):
    """One top-level handler maps every failure to an exit code and a sentence, no traceback.

    The traceback of a bug is shown when the group's own ``verbose`` option, as click parsed
    it, is set: never because some later argument (a post id after ``--``) reads ``-v``. A
    failure before the group's options are parsed is reported without it."""

    verbose = False

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        self.verbose = bool(ctx.params.get("verbose"))
        return rest

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        self.verbose = False
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
            import traceback  # only here: every start would pay for it

            from cmops.secrets import redact_known  # a bug's message may quote a token

            if self.verbose:
                click.echo(redact_known(traceback.format_exc()), err=True, nl=False)
            click.echo(redact_known(f"cmops: unexpected error: {type(exc).__name__}: {exc}"),
                       err=True)
            if not self.verbose:
                click.echo("This is a bug in cmops; re-run with -v to see the traceback and "
                           "report it.", err=True)
            code = EXIT_BUG
        sys.exit(code if isinstance(code, int) else EXIT_OK)


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


COMMANDS: list[click.Command] = [
    validate.command, plan.command, publish.command, status.command, resolve.command,
    pause.command, resume.command, new.command, card.command, import_csv.command,
    init.command, collect.command, kpi.command, health.command, report.command,
    inbox.command, reply.command, export.command,
]
"""Every command of ``cmops``, each from its own module (``--help`` lists them by name)."""

for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="cmops")
