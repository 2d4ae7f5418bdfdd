"""Which cmops the workflows of a new repository install (``cmops init --cmops-source``,
``--package``): the decision (:func:`choose_package`, pure) and how this cmops was installed
(:func:`installed_source`: pip's PEP 610 ``direct_url.json`` and, for a git checkout, its
``origin`` and ``HEAD``).

While cmops is not on the package index, ``cmops==VERSION`` cannot be installed: the
workflows then install it from its git repository at a full commit, which never moves.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Checkout:
    """A git working copy cmops was installed from (``pip install -e .`` or ``pip install
    .``): its ``origin`` remote, its ``HEAD`` commit, and whether files differ from it."""

    remote: str | None
    commit: str | None
    dirty: bool


@dataclass(frozen=True)
class PackageChoice:
    """What the workflows install (a pip requirement) and what the user should know."""

    spec: str
    notes: tuple[str, ...] = ()


_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_SCP_LIKE = re.compile(r"^(?P<user>[\w.-]+)@(?P<host>[\w.-]+):(?P<path>[^/].*)$")
# pip reads the requirement from one shell word in the action, and the README quotes it in
# single quotes: no quote, backslash, whitespace other than the " @ " of a direct reference.
_SPEC_CHARS = re.compile(r"^[\w.+\-@:/=<>!~,;%#?&\[\] ]+$")


class SourceError(ValueError):
    """A ``--cmops-source`` or ``--package`` that the workflows could not install."""


def https_url(remote: str) -> str:
    """A git remote as pip can fetch it on a runner without SSH keys: ``git@host:o/r.git`` and
    ``ssh://git@host/o/r`` become ``https://host/o/r.git``; other URLs are kept."""
    match = _SCP_LIKE.match(remote)
    if match and "://" not in remote:
        return f"https://{match['host']}/{match['path']}"
    if remote.startswith("ssh://"):
        rest = remote.removeprefix("ssh://")
        host_path = rest.split("@", 1)[-1]
        host, _, path = host_path.partition("/")
        return f"https://{host.split(':')[0]}/{path}"
    return remote


def split_source(source: str) -> tuple[str, str | None]:
    """``URL[@COMMIT]`` as (URL, COMMIT or None). The commit must be a full SHA: a branch or a
    tag can move, and the workflows must install what was tested."""
    url, commit = source, None
    head, sep, tail = source.rpartition("@")
    if sep and "/" not in tail and ":" not in tail:
        url, commit = head, tail
    if "://" not in url:
        raise SourceError(f"{source!r}: give the cmops repository as a URL, e.g. "
                          "https://github.com/OWNER/cmops@COMMIT")
    if commit is not None and not _COMMIT.match(commit):
        raise SourceError(f"{commit!r} is not a full commit SHA (40 hexadecimal digits): a "
                          "branch or tag can move under the workflows; give the commit")
    return url, commit


def git_requirement(url: str, commit: str) -> str:
    """The PEP 508 direct reference pip installs cmops from: ``cmops @ git+URL@COMMIT``."""
    return f"cmops @ git+{url.removeprefix('git+')}@{commit}"


def choose_package(*, version: str, package: str | None, source: str | None,
                   direct_url: Mapping[str, object] | None,
                   checkout: Checkout | None) -> PackageChoice:
    """What the workflows install. ``package`` (``--package``) wins as it is; ``source``
    (``--cmops-source URL[@COMMIT]``) is installed from git at the commit it names, or else at
    the commit this cmops came from. Without either: the git repository and commit pip
    recorded (``direct_url``), or the ``origin`` and ``HEAD`` of the checkout cmops was
    installed from, or ``cmops==version`` from the package index."""
    if package is not None and source is not None:
        raise SourceError("give --package or --cmops-source, not both")
    if package is not None:
        return PackageChoice(_checked(package))
    vcs = direct_url.get("vcs_info") if direct_url else None
    vcs_commit = vcs.get("commit_id") if isinstance(vcs, dict) else None
    vcs_url = direct_url.get("url") if direct_url and isinstance(vcs, dict) else None
    known = vcs_commit if isinstance(vcs_commit, str) else (checkout.commit if checkout else None)
    notes: list[str] = []
    if checkout is not None and checkout.dirty and not isinstance(vcs_commit, str):
        notes.append(f"your cmops checkout has changes that are not committed: the workflows "
                     f"install commit {known} without them")
    if source is not None:
        url, commit = split_source(source)
        if commit is None and known is None:
            raise SourceError("this cmops was not installed from git, so its commit is "
                              "unknown: give --cmops-source URL@COMMIT")
        return PackageChoice(_checked(git_requirement(url, commit or known or "")),
                             tuple(notes))
    if isinstance(vcs_url, str) and isinstance(vcs_commit, str):
        return PackageChoice(_checked(git_requirement(https_url(vcs_url), vcs_commit)))
    if checkout is not None and checkout.commit:
        if checkout.remote:
            return PackageChoice(
                _checked(git_requirement(https_url(checkout.remote), checkout.commit)),
                (*notes, f"push commit {checkout.commit[:12]} to {checkout.remote}: the "
                         "workflows install it from there"))
        return PackageChoice(f"cmops=={version}", (
            f"the workflows install cmops=={version} from the package index; while it is "
            "not published there, run init again with --cmops-source "
            f"https://github.com/OWNER/cmops@{checkout.commit} (your cmops checkout has no "
            "origin remote to take it from)",))
    if direct_url is not None and checkout is None:
        return PackageChoice(f"cmops=={version}", (
            f"the workflows install cmops=={version} from the package index; while it is "
            "not published there, run init again with --cmops-source "
            "https://github.com/OWNER/cmops@COMMIT",))
    return PackageChoice(f"cmops=={version}")


def _checked(spec: str) -> str:
    if not spec.strip() or not _SPEC_CHARS.match(spec):
        raise SourceError(f"{spec!r} is not a pip requirement the workflows can install "
                          "(no quotes, backslashes or line breaks)")
    return spec


def installed_source() -> tuple[dict[str, object] | None, Checkout | None]:
    """How this cmops was installed: pip's ``direct_url.json`` (None from the package index)
    and, when that names a local folder that is a git checkout, the checkout."""
    from importlib import metadata
    from urllib.parse import unquote, urlsplit

    try:
        raw = metadata.distribution("cmops").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None, None
    try:
        direct = json.loads(raw) if raw else None
    except ValueError:
        direct = None
    if not isinstance(direct, dict):
        return None, None
    url = direct.get("url")
    if "dir_info" not in direct or not isinstance(url, str) or not url.startswith("file:"):
        return direct, None
    folder = Path(unquote(urlsplit(url).path))

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                                  text=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if commit is None:
        return direct, None
    status = git("status", "--porcelain", "--untracked-files=no")
    return direct, Checkout(git("remote", "get-url", "origin") or None, commit,
                            bool(status))
