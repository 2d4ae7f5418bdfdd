"""``cmops init``: scaffold a content repository that works on GitHub from its first push.

It writes a calendar (an outbox channel, commented examples for every network, a first post,
commented rules, listening and analytics files, a saved reply), the JSON Schemas editors
read, the GitHub workflows (review, review comment, publish, report, crisis) with the
composite action they use, ``mkdocs.yml`` and the report's stylesheet for the report site, a
``CODEOWNERS`` example, ``.gitignore`` and a README that takes a maintainer from ``git init``
to a first scheduled post. Nothing is overwritten without ``--force``, and nothing is written
at all when a file is in the way.

Which cmops the workflows install is decided by
:func:`cmops.cli.init_source.choose_package` from how this cmops was installed: the same git
repository and commit when it came from git or a git checkout, ``cmops==VERSION`` when it
came from the package index.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

import click

from cmops import __version__
from cmops.cli.init_source import SourceError, choose_package, installed_source

CHECKOUT = "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0"
SETUP_PYTHON = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0"
UPLOAD_ARTIFACT = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2"
DOWNLOAD_ARTIFACT = ("actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093"
                     " # v4.3.0")
GITHUB_SCRIPT = "actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea # v7.0.1"
CONFIGURE_PAGES = "actions/configure-pages@983d7736d9b0ae728b81ab479565c72886d7745b # v5.0.0"
UPLOAD_PAGES = ("actions/upload-pages-artifact@56afc609e74202658d3ffba0e8f6dda462b719fa"
                " # v3.0.1")
DEPLOY_PAGES = "actions/deploy-pages@d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e # v4.0.5"
PINS = {"CHECKOUT": CHECKOUT, "SETUP_PYTHON": SETUP_PYTHON,
        "UPLOAD_ARTIFACT": UPLOAD_ARTIFACT, "DOWNLOAD_ARTIFACT": DOWNLOAD_ARTIFACT,
        "GITHUB_SCRIPT": GITHUB_SCRIPT, "CONFIGURE_PAGES": CONFIGURE_PAGES,
        "UPLOAD_PAGES": UPLOAD_PAGES, "DEPLOY_PAGES": DEPLOY_PAGES}

STATE_BRANCH = "cmops-state"
PUBLISH_ENVIRONMENT = "publishing"
LOCAL_ACTION = ".github/actions/cmops"
"""Where a scaffolded repository keeps its copy of the composite action."""

TEMPLATES = resources.files("cmops") / "templates"
"""The texts ``cmops init`` writes, as ``NAME.tmpl`` files (package data) with ``@@KEY@@``
placeholders; :func:`render` fills them."""
STYLESHEET = "docs/assets/report.css"
"""Where a scaffolded repository keeps the report's stylesheet (``extra_css`` of its
``mkdocs.yml``). Its text is package data, ``templates/assets/report.css``, a link to the
project's own ``docs/assets/report.css`` that the wheel stores as a file: one source."""
WORKFLOWS = ("review.yml", "review-comment.yml", "publish.yml", "report.yml", "crisis.yml")
"""The workflows under ``templates/workflows/``, in the order ``cmops init`` lists them."""


class TemplateError(Exception):
    """A template and the values given for it do not match (a bug in cmops, not in the input)."""


# `zizmor: ignore[self-repository]`: zizmor suggests the `$/` self-reference, which runners
# and actionlint do not all understand yet; `./` is the documented local-action syntax.
_ACTION_USE = "uses: {} # zizmor: ignore[self-repository]"


def _secrets_env(names: Iterable[str]) -> str:
    """The ``env:`` of a step that needs the channels' credentials, one line per variable."""
    names = sorted(set(names))
    if not names:
        return ("        # Each secret named in calendar/channels.yaml, as the step's env:\n"
                "        # env:\n"
                "        #   MASTODON_TOKEN: ${{ secrets.MASTODON_TOKEN }}")
    return "        env:\n" + "\n".join(f"          {n}: ${{{{ secrets.{n} }}}}" for n in names)


_PLACEHOLDER = re.compile(r"@@([A-Z_]+)@@")


def substitute(text: str, values: Mapping[str, str], *, name: str = "template") -> str:
    """``text`` with every ``@@KEY@@`` replaced by ``values["KEY"]``, in one pass (a value is
    never scanned for placeholders). A placeholder without a value, or a stray ``@@`` left
    over, is a bug in cmops: :class:`TemplateError` names ``name`` and the key."""

    def fill(match: re.Match[str]) -> str:
        try:
            return values[match[1]]
        except KeyError:
            raise TemplateError(f"{name}: no value for @@{match[1]}@@") from None

    if "@@" in _PLACEHOLDER.sub("", text):
        raise TemplateError(f"{name}: a stray @@ that is not a placeholder")
    return _PLACEHOLDER.sub(fill, text)


def render(name: str, values: Mapping[str, str] | None = None) -> str:
    """The template ``name`` (a path under ``cmops/templates/`` without ``.tmpl``), filled
    with ``values`` and the action pins (:data:`PINS`)."""
    resource = TEMPLATES
    for part in f"{name}.tmpl".split("/"):
        resource = resource / part
    return substitute(resource.read_text("utf-8"), {**PINS, **(values or {})}, name=name)


def workflow_files(action: str, secret_names: Iterable[str],
                   collect_names: Iterable[str] = ()) -> dict[str, str]:
    """The workflows, by path, for a repository whose cmops action is at ``action`` (a local
    path such as ``./``) and whose channels read the environment variables ``secret_names``;
    ``collect_names`` are further variables only collect needs (the GA4 key)."""
    names = list(secret_names)
    values = {"USE_ACTION": _ACTION_USE.format(action),
              "SECRETS_ENV": _secrets_env(names),
              "COLLECT_SECRETS_ENV": _secrets_env([*names, *collect_names]),
              "STATE_BRANCH": STATE_BRANCH,
              "ENVIRONMENT": PUBLISH_ENVIRONMENT}
    return {f".github/workflows/{name}": render(f"workflows/{name}", values)
            for name in WORKFLOWS}


def action_file(package: str) -> str:
    """The composite action; ``package`` is what it installs by default ("" for its own
    folder, which is right for the cmops repository itself). The value is written as a JSON
    string, which YAML reads as a double-quoted scalar, so no character of it can end it."""
    return render("action.yml", {"PACKAGE": json.dumps(package, ensure_ascii=False)})


def stylesheet() -> str:
    """The report's stylesheet, as this cmops ships it."""
    return (TEMPLATES / "assets" / "report.css").read_text("utf-8")


def channel_secret_names(data: object) -> list[str]:
    """Every environment variable named under ``secrets:`` in a parsed channels.yaml, and
    ``CMOPS_TOKEN_KEY`` when a channel's network rotates its refresh token (cmops keeps the
    newest one encrypted under that key: :mod:`cmops.tokens`)."""
    from cmops.tokens import TOKEN_KEY_ENV, needs_key

    channels = data.get("channels") if isinstance(data, dict) else None
    out: set[str] = set()
    for channel in channels.values() if isinstance(channels, dict) else ():
        secrets = channel.get("secrets") if isinstance(channel, dict) else None
        if isinstance(secrets, dict):
            out.update(v for v in secrets.values() if isinstance(v, str))
            if needs_key(channel.get("network"), secrets):
                out.add(TOKEN_KEY_ENV)
    return sorted(out)


def own_files(root: Path) -> dict[str, str]:
    """This repository's workflows and action.yml, as the templates render them for its own
    calendar (``./`` action, the secrets its channels.yaml names)."""
    from cmops.yamlsafe import load_bytes

    data = load_bytes((root / "calendar" / "channels.yaml").read_bytes())
    analytics = root / "calendar" / "analytics.yaml"
    extra: list[str] = []
    if analytics.is_file():
        ga4 = load_bytes(analytics.read_bytes()).get("ga4") or {}
        if isinstance(ga4, dict) and isinstance(ga4.get("secret"), str):
            extra.append(ga4["secret"])
    files = workflow_files("./", channel_secret_names(data), extra)
    files["action.yml"] = action_file("")
    return files


def write_own_files(root: Path) -> list[str]:
    """Rewrite this repository's workflows and action.yml from the templates (after editing
    ``src/cmops/templates/``): ``python tools/own_files.py``. Returns the paths that
    changed."""
    changed = []
    for rel, text in own_files(root).items():
        path = root / rel
        if not path.is_file() or path.read_text("utf-8") != text:
            path.write_bytes(text.encode("utf-8"))
            changed.append(rel)
    return changed


_REPLY_TEXT = {"en": "Thank you {name}! We are glad it helped.",
               "fr": "Merci {name} ! Nous sommes ravis que cela vous ait aidé.",
               "de": "Danke {name}! Schön, dass es geholfen hat.",
               "es": "¡Gracias {name}! Nos alegra que te haya servido.",
               "it": "Grazie {name}! Siamo felici che sia stato utile."}
"""The saved reply's text in the calendar's language (English when cmops has none)."""


def scaffold_files(*, package: str, timezone: str, lang: str, today: date) -> dict[str, str]:
    """Every file of a new content repository, by path. The first post is due a week after
    ``today`` at 09:00, so that a fresh repository plans it and publishes nothing yet."""
    first = today + timedelta(days=7)
    values = {"TIMEZONE": timezone, "LANG": lang, "PACKAGE": package,
              "PUBLISH_AT": f"{first.isoformat()}T09:00",
              "FIRST_POST_DIR": f"{first:%Y-%m}", "ENVIRONMENT": PUBLISH_ENVIRONMENT,
              "STATE_BRANCH": STATE_BRANCH,
              "REPLY_TEXT": _REPLY_TEXT.get(lang.split("-")[0].lower(), _REPLY_TEXT["en"])}
    files = {
        "calendar/channels.yaml": render("channels.yaml", values),
        f"calendar/posts/{first:%Y-%m}/hello-world.yaml": render("hello-world.yaml", values),
        "calendar/rules.yaml": render("rules.yaml"),
        "calendar/listening.yaml": render("listening.yaml"),
        "calendar/analytics.yaml": render("analytics.yaml", values),
        "calendar/replies/thanks.yaml": render("reply-thanks.yaml", values),
        ".gitignore": render("gitignore"),
        ".github/CODEOWNERS": render("CODEOWNERS"),
        "mkdocs.yml": render("mkdocs.yml", values),
        STYLESHEET: stylesheet(),
        "docs/index.md": render("docs-index.md"),
        "README.md": render("README.md", values),
        f"{LOCAL_ACTION}/action.yml": action_file(package),
        **workflow_files(f"./{LOCAL_ACTION}", []),
    }
    schemas = resources.files("cmops.schemas")
    for entry in sorted(schemas.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".schema.json"):
            files[f"schemas/{entry.name}"] = entry.read_text("utf-8")
    return files


class InTheWay(Exception):
    """Files that exist already (and ``--force`` was not given)."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__(", ".join(paths))
        self.paths = paths


def scaffold(target: Path, files: Mapping[str, str], *, force: bool = False) -> list[str]:
    """Write ``files`` under ``target``; all of them or, when some exist and ``force`` is
    false, none. Returns the paths written."""
    existing = sorted(rel for rel in files if (target / rel).exists())
    if existing and not force:
        raise InTheWay(existing)
    for rel, text in sorted(files.items()):
        path = target / rel
        if path.is_dir():
            raise InTheWay([rel])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return sorted(files)


def _check_timezone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError):
        raise click.BadParameter(f"{value!r} is not an IANA time zone, e.g. Europe/Paris") \
            from None
    return value


def _check_lang(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """The pattern channels.yaml's ``lang`` must match (from its schema), so that init never
    writes a calendar that fails validation."""
    schema = json.loads((resources.files("cmops.schemas") / "channels.schema.json")
                        .read_text("utf-8"))
    if not re.fullmatch(schema["properties"]["lang"]["pattern"], value):
        raise click.BadParameter(f"{value!r} is not a language tag, e.g. fr or en-GB")
    return value


@click.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that exist already.")
@click.option("--cmops-source", metavar="URL[@COMMIT]",
              help="Install cmops in the workflows from this git repository, at COMMIT (a "
                   "full SHA; default: the commit this cmops was installed from), e.g. "
                   "https://github.com/OWNER/cmops@COMMIT. Default: where this cmops came "
                   "from (its git repository and commit, or the package index).")
@click.option("--package", metavar="SPEC",
              help="What the workflows install, as a pip requirement, instead: e.g. "
                   f"cmops=={__version__} once cmops is on the package index.")
@click.option("--timezone", default="UTC", show_default=True, callback=_check_timezone,
              help="IANA time zone in which the calendar's local times are read.")
@click.option("--lang", default="en", show_default=True, callback=_check_lang,
              help="Default language of posts (a BCP 47 tag, e.g. fr or en-GB).")
@click.pass_context
def command(ctx: click.Context, directory: Path, force: bool, cmops_source: str | None,
            package: str | None, timezone: str, lang: str) -> None:
    """Create a content repository: calendar, schemas, GitHub workflows, site, README.

    Writes calendar/channels.yaml (an outbox channel that needs no account, and a commented
    example for every network with the secrets it needs), a first post, commented rules,
    listening and analytics files and a saved reply, schemas/ for editors, the workflows
    (review of pull requests, publishing every 15 minutes, the report site, the crisis
    pause) with the composite action they use, mkdocs.yml and the report's stylesheet, a
    CODEOWNERS example, .gitignore and a README that goes from git init to a first scheduled
    post. Existing files are never overwritten without --force; then nothing is written.

    The workflows install the cmops you run: from its git repository at its commit when it
    was installed from git or a git checkout (its origin remote), else cmops==VERSION from
    the package index. --cmops-source and --package choose otherwise; the README says how to
    switch later.

    Example:

    \b
        cmops init my-calendar
        cmops init . --timezone Europe/Paris --lang fr
        cmops init my-calendar --cmops-source https://github.com/OWNER/cmops@COMMIT
    """
    from cmops.cli.common import EXIT_USAGE

    direct, checkout = (None, None) if package is not None else installed_source()
    try:
        choice = choose_package(version=__version__, package=package, source=cmops_source,
                                direct_url=direct, checkout=checkout)
    except SourceError as exc:
        click.echo(f"cmops: {exc}", err=True)
        ctx.exit(EXIT_USAGE)
    files = scaffold_files(package=choice.spec, timezone=timezone, lang=lang,
                           today=datetime.now().date())
    try:
        written = scaffold(directory, files, force=force)
    except InTheWay as exc:
        click.echo(f"cmops: not overwriting {len(exc.paths)} existing file(s) in {directory}: "
                   f"{', '.join(exc.paths)}. Nothing was written; use --force to overwrite.",
                   err=True)
        ctx.exit(EXIT_USAGE)
    click.echo(f"Created {len(written)} files in {directory}:")
    for rel in written:
        click.echo(f"  {rel}")
    click.echo(f"The workflows install {choice.spec} "
               f"(the package default of {LOCAL_ACTION}/action.yml).")
    for note in choice.notes:
        click.echo(f"cmops: note: {note}.", err=True)
    click.echo("Next: cmops validate, cmops plan, then git init, commit and push; the README "
               "says how to set up GitHub.")
