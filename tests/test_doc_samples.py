"""The guides show real output: each block marked ``<!-- output: NAME -->`` is what its
command prints on the example calendar (``calendar/`` at the project's top), run here, so a
sample that goes stale fails this test (issue 21).

How a block is compared, by its mode:

* ``exact``: the whole output;
* ``head``: the output's first lines (a plan's top, the rest is long);
* ``excerpt``: consecutive lines somewhere in the output;
* ``utm``: a link, as one word of the plan's text (as a channel receives it);
* ``validate``: the lines ``cmops validate`` prints for the files the block names. A
  dated warning about another rule (``post.past`` on the example's posts, which the clock
  overtakes) is left out unless the block shows that rule.

Every text block of these guides that shows a command's output must have a marker: a test
fails on one without.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import PROJECT, Runner

from cmops import ledger
from cmops.edits import content_digest

GUIDES = ("campaigns-and-channels.md", "fixing-withdrawing-answering.md",
          "review-and-publish.md", "writing-posts.md", "crisis.md", "troubleshooting.md",
          "security.md")
MARKED = re.compile(r"<!-- output: (\S+) -->\n( *)```text\n(.*?)\n *```", re.DOTALL)
TEXT_BLOCK = re.compile(r"^( *)```text\n", re.MULTILINE)
AT = "2026-11-24T08:00:00Z"
GIT = ("git", "-c", "user.name=Docs", "-c", "user.email=docs@example.org",
       "-c", "commit.gpgsign=false")


def blocks() -> dict[str, tuple[str, str]]:
    """NAME -> (guide, the block's text without its indentation)."""
    found: dict[str, tuple[str, str]] = {}
    for guide in GUIDES:
        text = (PROJECT / "docs/guide" / guide).read_text("utf-8")
        for name, indent, body in MARKED.findall(text):
            assert name not in found, f"two blocks named {name}"
            lines = [line[len(indent):] if line.startswith(indent) else line.lstrip()
                     for line in body.splitlines()]
            found[name] = (guide, "\n".join(line.rstrip() for line in lines))
    return found


def unmarked() -> list[str]:
    """guide:line of each ```text block without an output marker above it."""
    out = []
    for guide in GUIDES:
        text = (PROJECT / "docs/guide" / guide).read_text("utf-8")
        for match in TEXT_BLOCK.finditer(text):
            before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
            if not before.startswith("<!-- output: "):
                out.append(f"{guide}:{text[:match.start()].count(chr(10)) + 1}")
    return out


# -- the example calendar and what each sample changes in it --------------------------------

Setup = Callable[[Path], None]


def post(rel: str, body: str) -> Setup:
    def setup(root: Path) -> None:
        path = root / "calendar/posts" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, "utf-8")
    return setup


def edit(rel: str, old: str, new: str) -> Setup:
    def setup(root: Path) -> None:
        path = root / rel
        text = path.read_text("utf-8")
        assert old in text, f"{old!r} is no longer in the example's {rel}"
        path.write_text(text.replace(old, new, 1), "utf-8")
    return setup


def paused(body: str) -> Setup:
    """A pause file as cmops pause writes it, at a fixed time (the command uses the clock)."""
    def setup(root: Path) -> None:
        (root / "calendar/pause.yaml").write_text(body, "utf-8")
    return setup


def chain(*steps: Setup) -> Setup:
    def setup(root: Path) -> None:
        for step in steps:
            step(root)
    return setup


def git(root: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True)


def base_commit(root: Path) -> None:
    """The example as the main branch; the sample's change is then made on top."""
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "update-ref", "refs/remotes/origin/main", "HEAD")


def sent(root: Path, run: Runner, post_id: str, channel: str, text: str, at: str) -> None:
    """The ledger's record of ``post_id`` sent on ``channel`` at ``at`` with ``text``: what
    a publish run writes, without a network (resolve, then the text it went out with)."""
    result = run("resolve", post_id, "--channel", channel, "--as", "published", "--url",
                 f"https://{channel}.example/{post_id}", "--by", "docs", root=root)
    assert result.exit_code == 0, result.output
    path = root / ".cmops/state/records" / post_id / f"{channel}.json"
    record = ledger.loads(path.read_bytes(), f"{post_id}/{channel}")
    record.parts[0].text = text
    record.parts[0].at = at
    record.digest = content_digest([text])
    record.updated = at
    path.write_bytes(ledger.dumps(record))


BAD = "2026-11/bad.yaml"
HEAD = "id: bad\npublish_at: 2026-11-30T08:30\n"
BLACK_FRIDAY = ("id: black-friday\nstatus: ready\nchannels: [mastodon-main, bluesky-main, "
                "linkedin-page]\npublish_at: 2026-11-27T09:00\ntext: \"Black Friday: 30% off "
                "every helmet until Saturday midnight.\"\n")
INSTAGRAM = ("\n  instagram-main:\n    network: instagram\n    account: \"17841400000000000\"\n"
             "    media_base_url: https://lumen-velo.example/media/\n"
             "    secrets:\n      token: INSTAGRAM_TOKEN\n")


@dataclass(frozen=True)
class Sample:
    setup: Setup | None
    args: tuple[str, ...]
    mode: str = "validate"
    published: tuple[tuple[str, str, str], ...] = ()
    """(post, channel, text) the ledger holds as sent before the change."""
    change: Setup | None = None
    """Made after the base commit (with ``published``), for ``plan --base``."""


VALIDATE = ("validate",)
PLAN_AT = ("plan", "--at", AT)

SAMPLES: dict[str, Sample] = {
    # campaigns-and-channels.md
    "channel-settings": Sample(edit("calendar/channels.yaml",
                                    "    server: https://mastodon.social\n", ""), VALIDATE),
    "secret-in-file": Sample(edit("calendar/channels.yaml", "token: MASTODON_TOKEN",
                                  "token: ghp_9f3Kx2LmQ7rT0vW8yZ1aB4cD6eF"), VALIDATE),
    "utm-linkedin": Sample(None, (*PLAN_AT, "--until", "2026-11-27"), "utm"),
    "percent-goal": Sample(edit("calendar/campaigns/winter-lights-2026.yaml",
                                "engagement_rate: 10", "engagement_rate: 0.1"), VALIDATE),
    # writing-posts.md
    "unknown-channel": Sample(post(BAD, HEAD + "channels: [newsroom, bluesky-mian]\n"
                                   "status: draft\ntext: Bonjour\n"), VALIDATE),
    "dst": Sample(chain(post("2027-03/spring-tips.yaml",
                             "id: spring-tips\npublish_at: 2027-03-28T02:30\n"
                             "channels: [newsroom]\nstatus: ready\ntext: Printemps\n"),
                        post("2026-10/autumn-tips.yaml",
                             "id: autumn-tips\npublish_at: 2026-10-25T02:30\n"
                             "channels: [newsroom]\nstatus: ready\ntext: Automne\n")),
                  VALIDATE),
    "campaign-window": Sample(post("2027-01/late.yaml",
                                   "id: late\npublish_at: 2027-01-05T09:00\n"
                                   "channels: [newsroom]\nstatus: ready\n"
                                   "campaign: winter-lights-2026\ntext: Trop tard\n"), VALIDATE),
    "utm-bluesky": Sample(None, (*PLAN_AT, "--until", "2026-11-25"), "utm"),
    "alt-missing": Sample(post(BAD, HEAD + "channels: [newsroom]\nstatus: draft\n"
                               "text: Le Halo\nlabels: [product]\nmedia:\n"
                               "  - path: calendar/media/halo.png\n"), VALIDATE),
    "variants": Sample(post(BAD, HEAD + "channels: [newsroom, bluesky-main]\nstatus: draft\n"
                            "text: Bonjour\nlabels: [tips]\nnotes: two variants\n"
                            "lang: fr\nvariants:\n  instagram:\n    text: Salut\n"
                            "  blusky:\n    text: Salut\n"), VALIDATE),
    "status-enum": Sample(post(BAD, HEAD + "channels: [newsroom]\nstatus: pending\n"
                               "text: Bonjour\n"), VALIDATE),
    "unknown-field": Sample(post(BAD, HEAD + "channels: [newsroom]\nstatus: draft\ntext: |\n"
                                 + "".join(f"  Ligne {n}\n" for n in range(1, 9))
                                 + "titel: Bonjour\n"), VALIDATE),
    "bad-date": Sample(post(BAD, "id: bad\npublish_at: 2026-11-31T08:30\n"
                            "channels: [newsroom]\nstatus: ready\ntext: Bonjour\n"), VALIDATE),
    "no-time": Sample(post("2026-11/no-time.yaml", "id: no-time\nstatus: ready\n"
                           "channels: [newsroom]\ntext: Quand ?\n"), VALIDATE),
    "unknown-channel-campaign": Sample(post(BAD, HEAD + "channels: [newsroom, bluesky-mian]\n"
                                            "status: draft\ncampaign: winter-light-2026\n"
                                            "text: Bonjour\n"), VALIDATE),
    "duplicate-id": Sample(post(BAD, "id: night-riding-tips\npublish_at: 2026-11-30T08:30\n"
                                "channels: [newsroom]\nstatus: draft\ntext: Copie\n"),
                           VALIDATE),
    "alt-missing-again": Sample(post(BAD, HEAD + "channels: [newsroom]\nstatus: draft\n"
                                     "text: Le Halo\nlabels: [product]\nmedia:\n"
                                     "  - path: calendar/media/halo.png\n"), VALIDATE),
    "past": Sample(post("2026-11/old.yaml", "id: old\npublish_at: 2026-11-02T09:30\n"
                        "channels: [newsroom]\nstatus: ready\ntext: Trop tard\n"), VALIDATE),
    "duration-words": Sample(post("2026-11/late-night.yaml",
                                  "id: late-night\npublish_at: 2026-11-30T22:30\n"
                                  "channels: [newsroom]\nstatus: draft\ntext: Bonne nuit\n"
                                  "labels: [tips]\nmax_delay: 6 hours\n"), VALIDATE),
    # review-and-publish.md
    "policy": Sample(post("2026-12/late-promo.yaml",
                          "id: late-promo\npublish_at: 2026-12-19T16:00\n"
                          "channels: [mastodon-main, linkedin-page]\nstatus: ready\n"
                          "text: Nos feux pas cher jusqu'au 31\n"
                          "repeat: {every: 1d, count: 10}\n"), VALIDATE),
    "plan-base": Sample(None, ("plan", "--base", "origin/main", "--at", AT), "excerpt",
                        change=chain(
                            edit("calendar/posts/2026-11/halo-product-photo.yaml",
                                 "réparable avec un tournevis",
                                 "réparable avec un simple tournevis"),
                            post("2026-11/helmet-tips.yaml",
                                 "id: helmet-tips\npublish_at: 2026-11-28T10:00\n"
                                 "channels: [newsroom, mastodon-main]\nstatus: ready\n"
                                 "text: Un casque se change après un choc, même sans fissure."
                                 "\n"),
                            edit("calendar/posts/2026-12/repair-cafe-tour.yaml",
                                 "publish_at: 2026-12-02T12:15", "publish_at: 2026-12-03T12:15"))),
    "plan-at": Sample(None, PLAN_AT, "head"),
    "pause": Sample(None, ("pause", "--reason", "Product recall: all comms on hold", "--by",
                           "@camille"), "exact"),
    "plan-paused": Sample(paused("paused: true\nreason: \"Product recall: all comms on hold\"\n"
                                 "since: \"2026-11-24T06:45:00Z\"\nby: \"@camille\"\n"),
                          PLAN_AT, "head"),
    "resume": Sample(paused("paused: true\nreason: Recall\nsince: \"2026-11-24T06:45:00Z\"\n"),
                     ("resume",), "exact"),
    # fixing-withdrawing-answering.md
    "edit-published": Sample(
        post("2026-11/black-friday.yaml", BLACK_FRIDAY),
        ("plan", "--base", "origin/main", "--at", "2026-11-27T10:00:00Z"), "excerpt",
        published=tuple(("black-friday", ch, "Black Friday: 30% off every helmet until "
                         "Saturday midnight.") for ch in ("mastodon-main", "bluesky-main",
                                                          "linkedin-page")),
        change=edit("calendar/posts/2026-11/black-friday.yaml", "until Saturday",
                    "until Sunday")),
    "withdraw-published": Sample(
        chain(edit("calendar/channels.yaml", "\n  linkedin-page:", INSTAGRAM
                   + "\n  linkedin-page:"),
              post("2026-11/black-friday.yaml", BLACK_FRIDAY.replace(
                  "linkedin-page]", "instagram-main]") + "media:\n"
                  "  - path: calendar/media/halo.png\n    alt: Un casque sur une selle\n")),
        ("plan", "--base", "origin/main", "--at", "2026-11-27T10:00:00Z"), "excerpt",
        published=tuple(("black-friday", ch, "Black Friday: 30% off every helmet until "
                         "Saturday midnight.") for ch in ("mastodon-main", "bluesky-main",
                                                          "instagram-main")),
        change=edit("calendar/posts/2026-11/black-friday.yaml", "status: ready\n",
                    "status: withdrawn\nwithdrawn_reason: Offer cancelled by the supplier\n")),
}


def example(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(PROJECT / "calendar", root / "calendar")
    return root


def output(sample: Sample, run: Runner, tmp_path: Path) -> str:
    root = example(tmp_path)
    if sample.setup:
        sample.setup(root)
    if sample.change is not None:
        base_commit(root)
        for post_id, channel, text in sample.published:
            sent(root, run, post_id, channel, text, "2026-11-27T08:00:05Z")
        sample.change(root)
    result = run(*sample.args, root=root)
    assert result.exit_code in (0, 1), result.output
    return "\n".join(line.rstrip() for line in (result.stderr + result.stdout).splitlines())


def test_every_output_block_is_marked_and_run() -> None:
    assert unmarked() == []
    assert sorted(blocks()) == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_guide_shows_what_the_command_prints(name: str, run: Runner,
                                                 tmp_path: Path) -> None:
    sample = SAMPLES[name]
    guide, block = blocks()[name]
    got = output(sample, run, tmp_path)
    lines, wanted = got.splitlines(), block.splitlines()
    assert wanted, f"{guide}: block {name} is empty"
    where = f"{guide}, block {name}; the command prints:\n{got}"
    if sample.mode == "exact":
        assert got.strip() == block, where
    elif sample.mode == "head":
        assert lines[:len(wanted)] == wanted, where
    elif sample.mode == "excerpt":
        starts = [i for i in range(len(lines)) if lines[i:i + len(wanted)] == wanted]
        assert starts, where
    elif sample.mode == "utm":
        assert len(wanted) == 1 and any(wanted[0] in line.split() for line in lines), where
    else:
        files = {line.split(":", 1)[0] for line in wanted}
        dated = "" if any(line.endswith("[post.past]") for line in wanted) else "[post.past]"
        shown = [line for line in lines if line.split(":", 1)[0] in files
                 and not (dated and line.endswith(dated))]
        assert shown == wanted, where
