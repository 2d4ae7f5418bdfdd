"""``cmops report``: write the stakeholder pages, then build the site with MkDocs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cmops.cli.params import at_option, state_options

if TYPE_CHECKING:
    from cmops.model import Calendar

BUILD_TIMEOUT = 1800
SITE_MODULES = ("mkdocs", "material")
"""What building the site imports: MkDocs and its Material theme, the ``site`` extra."""
NEEDS_SITE_EXTRA = ("cmops report needs the site extra to build the site: "
                    "pip install 'cmops[site]' (or pass --no-build to only write the pages)")
_ALWAYS_HIDDEN = ("GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_RUNTIME_TOKEN",
                  "ACTIONS_ID_TOKEN_REQUEST_TOKEN")


def build_env(calendar: Calendar) -> dict[str, str]:
    """The environment of the site build: without the publishing credentials the calendar
    names (nor GitHub's tokens). Nothing in a build needs them, and a page that managed to
    read the environment would find nothing to leak."""
    hidden = set(_ALWAYS_HIDDEN)
    for channel in calendar.channels.values():
        hidden.update(channel.secrets.values())
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env["NO_MKDOCS_2_WARNING"] = "1"
    return env


def missing_site_modules() -> list[str]:
    """The modules of the ``site`` extra that this Python cannot import (none once it is
    installed). Only looked up, not imported: the build runs in its own process."""
    from importlib.util import find_spec

    return [name for name in SITE_MODULES if find_spec(name) is None]


def build_site(root: Path, mkdocs_yml: Path, env: dict[str, str]) -> tuple[bool, str, float]:
    """``mkdocs build --strict`` (:mod:`cmops.report.build`: the same site, the report's
    pages passed through as HTML): (ok, its output, seconds)."""
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "cmops.report.build", str(mkdocs_yml)],
                              cwd=root, env=env, capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return False, f"mkdocs build took longer than {BUILD_TIMEOUT} s", BUILD_TIMEOUT
    return done.returncode == 0, done.stdout + done.stderr, time.monotonic() - started


@click.command("report")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Folder for the generated pages and data (default: report/ in the docs "
                   "folder of mkdocs.yml, i.e. docs/report). cmops owns it: files it did not "
                   "write this time are removed.")
@at_option("Report as if it were this time (default: now). The only time written into the "
           "pages.")
@state_options("Ledger directory (default: .cmops/state in the content repository); metric "
               "snapshots and the inbox are read from it too.",
               "Read the ledger, snapshots and inbox from this git branch of origin (CI; e.g. "
               "cmops-state) instead of a local directory.")
@click.option("--build/--no-build", default=True, show_default=True,
              help="Build the site with mkdocs build --strict after writing the pages.")
@click.pass_context
def command(ctx: click.Context, out: Path | None, at: datetime | None, state: Path | None,
            state_branch: str | None, build: bool) -> None:
    """Write the stakeholder site and build it: dashboard, calendar, campaigns, log, analytics.

    Generates Markdown pages and data files (JSON, an iCalendar feed) from the calendar, the
    plan, the ledger and the collected metrics into docs/report, then runs mkdocs build
    --strict and says where the site is. The output is the same for the same files and --at.
    Every text from the calendar or a network is shown literally, never as HTML or Markdown.

    Building needs the site extra (pip install 'cmops[site]'); --no-build does not.

    Exit status: 0 built; 1 the calendar has validation errors (the site is still built,
    with a warning on its dashboard) or the build failed; 2 usage error, or the site extra
    is missing.

    Example:

    \b
        cmops report
        cmops report --at 2026-11-24T09:00+01:00 --no-build
        cmops report --state-branch cmops-state        # in CI, before deploying site/
    """
    from cmops.cli.common import EXIT_CONTENT, EXIT_OK, load, now_or, open_store
    from cmops.report import generate
    from cmops.report.sources import read_dir, read_git
    from cmops.report.writer import OutputError, read_settings, write_site
    from cmops.stores.git import GitStore

    if build and missing_site_modules():
        raise click.ClickException(NEEDS_SITE_EXTRA)  # before any page is written
    now = now_or(at)
    root, calendar, report = load(ctx)
    mkdocs_yml = root / "mkdocs.yml"
    if build and not mkdocs_yml.is_file():
        raise click.UsageError(f"no mkdocs.yml in {root}: nothing to build the site with; "
                               "pass --no-build to only write the pages")
    settings = read_settings(mkdocs_yml)
    target = out if out is not None else root / settings.docs_dir / "report"
    with open_store(root, state, state_branch) as store:
        records = store.load()
        files = read_git(root, store.base) if isinstance(store, GitStore) \
            else read_dir(store.path)
    started = time.monotonic()
    generated = generate(root, calendar, records, files, now, lang=settings.lang,
                         errors=len(report.errors), directory_urls=settings.directory_urls)
    try:
        written = write_site(target, generated.files)
    except OutputError as exc:
        raise click.UsageError(str(exc)) from None
    shown = _shown(target)
    others = len(generated.files) - generated.page_count
    click.echo(f"Wrote {generated.page_count} pages and {others} other files to {shown} in "
               f"{time.monotonic() - started:.1f} s ({len(written.changed)} changed, "
               f"{len(written.removed)} removed).")
    for problem in generated.site.sources.bad:
        click.echo(f"cmops: skipped {problem}", err=True)
    code = EXIT_OK if report.ok else EXIT_CONTENT
    if build:
        docs = (root / settings.docs_dir).resolve()
        if not target.resolve().is_relative_to(docs):
            click.echo(f"cmops: {shown} is outside the docs folder {docs}: the built site will "
                       "not contain the report", err=True)
        ok, output, seconds = build_site(root, mkdocs_yml, build_env(calendar))
        if not ok:
            click.echo(output.rstrip(), err=True)
            click.echo("cmops: mkdocs build --strict failed (above).", err=True)
            ctx.exit(EXIT_CONTENT)
        site_dir = root / settings.site_dir
        inside = target.resolve().relative_to(docs) if target.resolve().is_relative_to(docs) \
            else Path("report")
        page = site_dir / inside / "index.html"
        click.echo(f"Built the site in {seconds:.1f} s: {_shown(site_dir)} "
                   f"(open {_shown(page)}).")
    ctx.exit(code)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
