"""The ``cmops`` command line: a thin shell over library functions.

Exit codes: 0 fine, 1 content invalid or a publish failed, 2 usage error, 3 unexpected error
(re-run with -v for the traceback), 130 interrupted.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any

import click

from cmops import __version__

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


def main() -> None:
    cli(prog_name="cmops")
