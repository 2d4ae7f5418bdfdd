"""Which cmops the workflows of a new repository install (``cmops init --cmops-source``,
``--package``, and the default read from how this cmops was installed), and the commented
examples ``cmops init`` writes besides the channels: each one, uncommented, is valid."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from tests.conftest import Runner

from cmops import __version__
from cmops.cli.init import LOCAL_ACTION
from cmops.cli.init_source import (
    Checkout,
    PackageChoice,
    SourceError,
    choose_package,
    https_url,
    installed_source,
    split_source,
)

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"
GIT_INSTALL = {"url": "https://github.com/acme/cmops.git",
               "vcs_info": {"vcs": "git", "commit_id": SHA, "requested_revision": "main"}}
EDITABLE = {"url": "file:///home/me/cmops", "dir_info": {"editable": True}}


def choose(**kwargs: object) -> PackageChoice:
    args: dict[str, object] = {"version": "0.1.0", "package": None, "source": None,
                               "direct_url": None, "checkout": None, **kwargs}
    return choose_package(**args)  # type: ignore[arg-type]


def test_from_the_package_index_the_same_version() -> None:
    assert choose() == PackageChoice("cmops==0.1.0")


def test_installed_from_git_the_same_repository_and_commit() -> None:
    assert choose(direct_url=GIT_INSTALL) == PackageChoice(
        f"cmops @ git+https://github.com/acme/cmops.git@{SHA}")


def test_from_a_checkout_its_origin_and_head_and_a_reminder_to_push() -> None:
    checkout = Checkout("git@github.com:acme/cmops.git", SHA, dirty=False)
    assert choose(direct_url=EDITABLE, checkout=checkout) == PackageChoice(
        f"cmops @ git+https://github.com/acme/cmops.git@{SHA}",
        (f"push commit {SHA[:12]} to git@github.com:acme/cmops.git: the workflows install "
         "it from there",))


def test_a_dirty_checkout_says_its_changes_are_not_installed() -> None:
    checkout = Checkout("https://github.com/acme/cmops", SHA, dirty=True)
    choice = choose(direct_url=EDITABLE, checkout=checkout)
    assert choice.notes[0] == (f"your cmops checkout has changes that are not committed: the "
                               f"workflows install commit {SHA} without them")


def test_a_checkout_without_origin_falls_back_and_says_how_to_pin() -> None:
    choice = choose(direct_url=EDITABLE, checkout=Checkout(None, SHA, dirty=False))
    assert choice.spec == "cmops==0.1.0"
    assert choice.notes == (
        "the workflows install cmops==0.1.0 from the package index; while it is not "
        "published there, run init again with --cmops-source "
        f"https://github.com/OWNER/cmops@{SHA} (your cmops checkout has no origin remote to "
        "take it from)",)


def test_cmops_source_with_a_commit_wins_over_the_installation() -> None:
    choice = choose(source=f"https://github.com/fork/cmops@{OTHER}", direct_url=GIT_INSTALL)
    assert choice == PackageChoice(f"cmops @ git+https://github.com/fork/cmops@{OTHER}")


def test_cmops_source_without_a_commit_takes_the_installed_commit() -> None:
    assert choose(source="https://github.com/fork/cmops", direct_url=GIT_INSTALL).spec == \
        f"cmops @ git+https://github.com/fork/cmops@{SHA}"
    with pytest.raises(SourceError, match="its commit is unknown: give --cmops-source URL@"):
        choose(source="https://github.com/fork/cmops")


@pytest.mark.parametrize(("source", "message"), [
    ("https://github.com/fork/cmops@main",
     "'main' is not a full commit SHA (40 hexadecimal digits)"),
    ("https://github.com/fork/cmops@0123abc",
     "'0123abc' is not a full commit SHA (40 hexadecimal digits)"),
    ("github.com/fork/cmops", "'github.com/fork/cmops': give the cmops repository as a URL"),
])
def test_cmops_source_refuses_what_would_not_pin(source: str, message: str) -> None:
    with pytest.raises(SourceError) as caught:
        choose(source=source)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("package", ["cmops==0.1.0'; rm -rf ~; '", 'x"\ny: 1', "a\\b", " "])
def test_a_package_that_would_break_the_action_or_the_readme_is_refused(package: str) -> None:
    with pytest.raises(SourceError, match="is not a pip requirement the workflows can"):
        choose(package=package)


def test_package_and_cmops_source_together_are_refused() -> None:
    with pytest.raises(SourceError, match=r"^give --package or --cmops-source, not both$"):
        choose(package="cmops==0.1.0", source=f"https://github.com/a/cmops@{SHA}")


@pytest.mark.parametrize(("remote", "url"), [
    ("git@github.com:acme/cmops.git", "https://github.com/acme/cmops.git"),
    ("ssh://git@github.com/acme/cmops.git", "https://github.com/acme/cmops.git"),
    ("ssh://git@github.com:22/acme/cmops", "https://github.com/acme/cmops"),
    ("https://github.com/acme/cmops", "https://github.com/acme/cmops"),
])
def test_remotes_become_urls_a_runner_can_fetch(remote: str, url: str) -> None:
    assert https_url(remote) == url


def test_split_source_keeps_a_user_in_the_url() -> None:
    assert split_source(f"https://user@host.example/cmops@{SHA}") == (
        "https://user@host.example/cmops", SHA)
    assert split_source("https://user@host.example/cmops") == (
        "https://user@host.example/cmops", None)


def test_this_checkout_is_found_from_the_installation() -> None:
    direct, checkout = installed_source()
    if direct is None or "dir_info" not in direct:
        pytest.skip("cmops is not installed from this checkout")
    assert checkout is not None and checkout.commit is not None
    assert re.fullmatch(r"[0-9a-f]{40}", checkout.commit)


def test_init_writes_the_chosen_package_into_the_action_and_readme(run: Runner,
                                                                   tmp_path: Path) -> None:
    target = tmp_path / "content"
    result = run("init", str(target), "--cmops-source", f"https://github.com/acme/cmops@{SHA}")
    assert result.exit_code == 0, result.output
    spec = f"cmops @ git+https://github.com/acme/cmops@{SHA}"
    assert f"The workflows install {spec} (the package default of {LOCAL_ACTION}/action.yml)." \
        in result.stdout.splitlines()
    action = yaml.safe_load((target / LOCAL_ACTION / "action.yml").read_text())
    assert action["inputs"]["package"]["default"] == spec
    readme = (target / "README.md").read_text()
    assert f".venv/bin/pip install '{spec}'" in readme
    assert f"```text\n{spec}\n```" in readme


def test_init_refuses_a_bad_source_and_writes_nothing(run: Runner, tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "c"), "--cmops-source", "https://x.example/cmops@v1")
    assert result.exit_code == 2
    assert result.stderr.startswith("cmops: 'v1' is not a full commit SHA")
    assert not (tmp_path / "c").exists()


def test_init_with_package_keeps_it_verbatim(run: Runner, tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "c"), "--package", f"cmops=={__version__}")
    assert result.exit_code == 0, result.output
    action = yaml.safe_load((tmp_path / "c" / LOCAL_ACTION / "action.yml").read_text())
    assert action["inputs"]["package"]["default"] == f"cmops=={__version__}"
    assert result.stderr == ""


# -- the commented examples ----------------------------------------------------------------------


def _uncomment(path: Path) -> None:
    """Every commented YAML line after the header becomes a line of the document ("# key:"
    and "#   nested" lines; prose comments, which have no colon-led structure, stay)."""
    lines = path.read_text("utf-8").splitlines()
    out = []
    for line in lines:
        body = line[2:] if line.startswith("# ") else None
        if body is not None and re.match(r"^\s*(-\s|[a-z_0-9]+:)", body):
            out.append(body)
        elif line.startswith("#") or line.strip() != "{}":
            out.append(line)
    path.write_text("\n".join(out) + "\n", "utf-8")


def test_every_example_uncommented_is_valid(run: Runner, tmp_path: Path) -> None:
    target = tmp_path / "content"
    assert run("init", str(target)).exit_code == 0
    assert run("validate", root=target).exit_code == 0
    for name in ("rules.yaml", "listening.yaml", "analytics.yaml"):
        _uncomment(target / "calendar" / name)
    rules = yaml.safe_load((target / "calendar/rules.yaml").read_text())
    assert sorted(rules) == ["banned_words", "blackouts", "max_per_day", "min_spacing",
                             "quiet_hours", "require_alt_text", "require_utm", "warn_only"]
    listening = yaml.safe_load((target / "calendar/listening.yaml").read_text())
    assert sorted(listening) == ["brand_terms", "crisis_keywords", "leaders", "lexicon",
                                 "thresholds", "watch_keywords", "window"]
    analytics = yaml.safe_load((target / "calendar/analytics.yaml").read_text())
    assert analytics == {"ga4": {"property": "123456789", "secret": "GA4_KEY", "days": 30}}
    result = run("validate", root=target)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "6 files valid", result.output


def test_the_saved_reply_is_offered_in_the_language_of_the_calendar(run: Runner,
                                                                     tmp_path: Path) -> None:
    target = tmp_path / "content"
    assert run("init", str(target), "--lang", "fr").exit_code == 0
    reply = yaml.safe_load((target / "calendar/replies/thanks.yaml").read_text())
    assert (reply["id"], reply["lang"], reply["kinds"]) == ("thanks", "fr", ["mention", "reply"])
    assert reply["text"] == "Merci {name} ! Nous sommes ravis que cela vous ait aidé.\n"


@pytest.mark.parametrize("lang", ["x: y", 'fr"', "@@LANG@@", "", "fr\nx"])
def test_init_refuses_a_language_that_is_not_a_tag(run: Runner, tmp_path: Path,
                                                   lang: str) -> None:
    result = run("init", str(tmp_path / "c"), "--lang", lang)
    assert result.exit_code == 2
    assert f"{lang!r} is not a language tag, e.g. fr or en-GB" in result.stderr
    assert not (tmp_path / "c").exists()
