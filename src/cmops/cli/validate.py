"""``cmops validate``: check every calendar file and the rules between them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from cmops.cli.params import at_option


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "github", "json"]), default="text",
              show_default=True, help="text for people, github for inline PR annotations, "
                                      "json for tools.")
@click.option("--no-cache", is_flag=True, help="Ignore and do not update .cmops/cache/.")
@click.option("--check-links", is_flag=True,
              help="Also ask every outbound link (HTTP HEAD, bounded): 404/410 are errors, "
                   "unreachable links warnings. Needs network access; off by default.")
@click.option("--state-branch", metavar="NAME",
              help="Read what was published from this git branch (only read) instead of "
                   ".cmops/state, to warn where a published post's changed text will not "
                   "reach the network (post.edit-not-applied).")
@at_option("Check as if it were this time (default: now): the dated warnings, such as a "
           "ready post whose every time is past (post.past).")
@click.pass_context
def command(ctx: click.Context, paths: tuple[Path, ...], fmt: str, no_cache: bool,
            check_links: bool, state_branch: str | None, at: datetime | None) -> None:
    """Check every calendar file and the rules between them.

    Reports every problem in every file in one run, as path:line:column, the field and a
    message. PATHS (files or folders) limit which files' problems are shown; the whole
    calendar is always read, since posts refer to channels and campaigns. Where it knows
    what was published (.cmops/state, or --state-branch), it also warns on a published
    post whose change will not be applied there (a network without edits, past
    edit_window).

    Exit status: 0 valid (warnings allowed), 1 invalid content, 2 usage error.

    Example:

    \b
        cmops validate
        cmops validate calendar/posts/2026-03 --format github
        cmops validate --format github --state-branch cmops-state
        cmops validate --at 2026-11-24T08:00
    """
    from cmops.cli.common import EXIT_CONTENT, EXIT_OK, ledger_view, repo_root
    from cmops.output import RENDERERS
    from cmops.stores.local import DEFAULT_STATE
    from cmops.validate import validate as run

    root = repo_root(ctx)
    selected = []
    for p in paths:
        full = p.resolve()
        if not full.exists():
            raise click.BadParameter(f"{p} does not exist", param_hint="PATHS")
        if not full.is_relative_to(root):
            raise click.BadParameter(f"{p} is outside the content repository {root}",
                                     param_hint="PATHS")
        selected.append(full.relative_to(root).as_posix() if full != root else "")
    now = at or datetime.now(UTC)
    ledger = ledger_view(root, state_branch) if state_branch or \
        (root / DEFAULT_STATE).is_dir() else None
    report = run(root, [s for s in selected if s] if "" not in selected else [],
                 use_cache=not no_cache, check_links=check_links, today=now.date(),
                 ledger=ledger, now=now)
    click.echo(RENDERERS[fmt](report))
    ctx.exit(EXIT_OK if report.ok else EXIT_CONTENT)
