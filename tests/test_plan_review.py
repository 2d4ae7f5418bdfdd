"""Review parity (issue 16): the plan a reviewer reads is every version that goes out.

The pull-request comment is read back through a CommonMark renderer (markdown-it-py), as
GitHub renders it, and judged by its visible text: what a reviewer sees must be exactly what
was written, and hostile text must stay inert.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from tests.conftest import Runner, json_out
from tests.helpers import git, write_post

AT = "2026-11-24T00:00Z"
ZWSP = "\u200b"


class Visible(HTMLParser):
    """The text a reader sees, and the elements the HTML holds."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.emphasis: list[str] = []
        """Text shown bold or italic."""
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._open.append(tag)
        self.hrefs += [v or "" for k, v in attrs if k in ("href", "src")]

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag):]

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if {"strong", "em"} & set(self._open):
            self.emphasis.append(data)


def rendered(markdown: str) -> Visible:
    page = Visible()
    page.feed(MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown))
    return page


def visible(markdown: str) -> str:
    return "".join(rendered(markdown).text).replace(ZWSP, "")


def plan_md(run: Runner, root: Path, *args: str) -> str:
    result = run("plan", "--at", AT, "--format", "markdown", *args, root=root)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def channels(repo: Path) -> None:
    (repo / "calendar/channels.yaml").write_text(
        "timezone: Europe/Paris\nchannels:\n  news:\n    network: outbox\n"
        "  bsky:\n    network: bluesky\n  masto:\n    network: mastodon\n"
        "    server: https://mastodon.example\n"
        "  li:\n    network: linkedin\n    account: urn:li:organization:1\n"
        "  fb:\n    network: facebook\n    account: '1234'\n", "utf-8")


LINKEDIN = "Un texte long pour LinkedIn, " + "avec des détails " * 30 + "— fin LinkedIn."
X_PARTS = [f"Partie {n} du fil X, l'essentiel." for n in range(1, 6)]


def varied_post(repo: Path) -> None:
    thread = "".join(f"    - text: \"{p}\"\n" for p in X_PARTS[1:])
    write_post(repo, "varied", "id: varied\nchannels: [fb, li, bsky, masto]\n"
               "publish_at: 2026-11-24T09:00\ntext: Le texte de base.\n"
               "thread:\n  - text: Deuxième partie Bluesky.\n"
               "variants:\n"
               f"  linkedin:\n    text: \"{LINKEDIN}\"\n    thread: []\n"
               "  facebook:\n    thread: []\n"
               f"  mastodon:\n    text: \"{X_PARTS[0]}\"\n    thread:\n{thread}")


def test_every_distinct_version_is_shown_with_its_channels(run: Runner, repo: Path) -> None:
    channels(repo)
    varied_post(repo)
    md = plan_md(run, repo)
    seen = visible(md)
    assert LINKEDIN in seen  # the 580-character LinkedIn text, in full
    for part in X_PARTS:
        assert part in seen  # every part of the 5-part thread
    assert "Deuxième partie Bluesky." in seen
    assert "Part 5 of 5:" in seen and "Part 2 of 2:" in seen
    # each version names the channels that receive it
    assert "li — li" in seen or "li\n" in seen or "li —" in seen
    text = run("plan", "--at", AT, root=repo).stdout
    assert LINKEDIN in text and all(part in text for part in X_PARTS)
    assert "┌ fb\n" in text and "┌ li\n" in text


def test_identical_versions_are_shown_once(run: Runner, repo: Path) -> None:
    channels(repo)
    (repo / "calendar/channels.yaml").write_text(
        "timezone: Europe/Paris\nchannels:\n  news:\n    network: outbox\n"
        "  news2:\n    network: outbox\n", "utf-8")
    write_post(repo, "same", "id: same\nchannels: [news, news2]\n"
               "publish_at: 2026-11-24T09:00\ntext: Exactly the same everywhere.\n")
    md = plan_md(run, repo)
    assert visible(md).count("Exactly the same everywhere.") == 2  # summary + one version
    assert "**`news`, `news2`**" in md


FRENCH = ("N'étaie pas d'une tasse : l'œuf à 3 € — 🚲✨ voir "
          "https://lumen-velo.example/a_b?x=1&y=2#frag et calendar/media/moulin-zero/hero.jpg")


def test_markdown_reads_exactly_as_written(run: Runner, repo: Path) -> None:
    (repo / "calendar/media/moulin-zero").mkdir(parents=True)
    (repo / "calendar/media/moulin-zero/hero.jpg").write_bytes(
        (repo / "calendar/media/pic.png").read_bytes())
    write_post(repo, "fr", "id: fr\nchannels: [news]\npublish_at: 2026-11-24T09:00\n"
               f"text: \"{FRENCH}\"\nmedia:\n  - path: calendar/media/moulin-zero/hero.jpg\n"
               "    alt: \"L'image d'un moulin_zéro *gras* [lien](x)\"\n")
    md = plan_md(run, repo)
    seen = visible(md)
    assert FRENCH in seen  # in the fenced block
    assert "fr — N'étaie pas d'une tasse : l'œuf à 3 € — 🚲✨ voir" in seen  # the summary
    assert "calendar/media/moulin-zero/hero.jpg — alt: L'image d'un moulin_zéro *gras* " \
           "[lien](x)" in seen
    assert "&#x27;" not in seen and "\\" not in seen
    page = rendered(md)
    assert "em" not in page.tags  # *gras* and moulin_zéro stay literal
    assert not any("gras" in e for e in page.emphasis)
    assert not any("lien" in h or h == "x" for h in page.hrefs)


HOSTILE = ("Hello @everyone <script>alert(1)</script> <img src=x onerror=alert(2)> "
           "[click](https://evil.example) ![i](https://evil.example/i.png) ``` fence "
           "&amp; &lt;b&gt; | pipe | **bold** <!-- comment -->")


def test_hostile_text_stays_inert_when_rendered(run: Runner, repo: Path) -> None:
    write_post(repo, "evil", "id: evil\nchannels: [news]\npublish_at: 2026-11-24T09:00\n"
               f"text: \"{HOSTILE}\"\nmedia:\n  - path: calendar/media/pic.png\n"
               f"    alt: \"{HOSTILE}\"\n")
    md = plan_md(run, repo)
    page = rendered(md)
    assert "script" not in page.tags and "img" not in page.tags and "a" not in page.tags
    assert not any("bold" in e or "pipe" in e for e in page.emphasis)
    assert not any("evil.example" in h for h in page.hrefs)
    seen = visible(md)
    assert seen.count(HOSTILE) >= 2  # the text in its fence and the alt text, as written
    assert "@everyone" not in md  # nobody is pinged


# -- plan --base -----------------------------------------------------------------------------

@pytest.fixture
def history(repo: Path) -> Path:
    channels(repo)
    varied_post(repo)
    (repo / "calendar/campaigns/spring.yaml").write_text(
        "id: spring\nname: Spring\nstart: 2026-11-01\nend: 2027-03-31\n"
        "utm:\n  source: \"{network}\"\n  medium: social\n", "utf-8")
    write_post(repo, "far", "id: far\nchannels: [news, bsky]\n"
               "publish_at: 2027-01-02T09:00\ncampaign: spring\n"
               "text: \"Five weeks out: https://lumen-velo.example/far\"\n"
               "variants:\n  bluesky:\n    text: \"Bluesky, five weeks out\"\n")
    write_post(repo, "other", "id: other\nchannels: [news]\npublish_at: 2027-02-01T09:00\n"
               "text: Untouched.\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def changes(run: Runner, root: Path) -> dict[str, dict[str, object]]:
    result = run("plan", "--at", AT, "--base", "main", "--format", "json", root=root)
    assert result.exit_code == 0, result.output
    return {c["post"]: c for c in json_out(result)["changes"]}


def test_a_change_five_weeks_out_is_shown_in_full(run: Runner, history: Path) -> None:
    write_post(history, "far", "id: far\nchannels: [news, bsky]\n"
               "publish_at: 2027-01-02T09:00\ncampaign: spring\n"
               "text: \"Five weeks out: https://lumen-velo.example/far\"\n"
               "variants:\n  bluesky:\n    text: \"Bluesky, five weeks out, edited\"\n")
    found = changes(run, history)
    assert set(found) == {"far"}
    far = found["far"]
    assert far["details"] == ["variants.bluesky.text changed"]
    [output] = [o for o in far["outputs"] if o["before"] != o["after"]]  # type: ignore[attr-defined]
    assert output["channels"] == ["bsky"]
    assert "-Bluesky, five weeks out" in output["diff"]
    assert "+Bluesky, five weeks out, edited" in output["diff"]
    md = plan_md(run, history, "--base", "main")
    seen = visible(md)
    assert "variants.bluesky.text changed" in seen
    assert "+Bluesky, five weeks out, edited" in seen


def test_adding_a_channel_thread_part_and_alt_text_are_named(run: Runner,
                                                            history: Path) -> None:
    thread = "".join(f"    - text: \"{p}\"\n" for p in X_PARTS[1:])
    write_post(history, "varied", "id: varied\nchannels: [fb, li, bsky, masto, news]\n"
               "publish_at: 2026-11-24T09:00\ntext: Le texte de base.\n"
               "thread:\n  - text: Deuxième partie Bluesky, revue.\n"
               "media:\n  - path: calendar/media/pic.png\n    alt: Une photo.\n"
               "variants:\n"
               f"  linkedin:\n    text: \"{LINKEDIN}\"\n    thread: []\n"
               "  facebook:\n    thread: []\n"
               f"  mastodon:\n    text: \"{X_PARTS[0]}\"\n    thread:\n{thread}")
    varied = changes(run, history)["varied"]
    details = varied["details"]
    assert "channels: + news" in details  # type: ignore[operator]
    assert "thread[0].text changed" in details  # type: ignore[operator]
    assert "media added" in details  # type: ignore[operator]
    outputs = {tuple(o["channels"]): o for o in varied["outputs"]}  # type: ignore[attr-defined]
    assert outputs[("news",)]["before"] is None
    assert "+[media] calendar/media/pic.png | alt: Une photo." in outputs[("news",)]["diff"]
    text = run("plan", "--at", AT, "--base", "main", root=history).stdout
    assert "~ varied text and time changed" in text or "~ varied" in text
    assert "channels: + news" in text


def test_a_campaign_utm_change_lists_every_post_it_changes(run: Runner,
                                                          history: Path) -> None:
    (history / "calendar/campaigns/spring.yaml").write_text(
        "id: spring\nname: Spring\nstart: 2026-11-01\nend: 2027-03-31\n"
        "utm:\n  source: \"{network}\"\n  medium: newsletter\n", "utf-8")
    found = changes(run, history)
    assert set(found) == {"far"}  # "other" and "varied" have no campaign
    far = found["far"]
    assert far["because"] == ["campaign spring changed (utm)"]
    [output] = [o for o in far["outputs"]  # type: ignore[attr-defined]
                if o["before"] != o["after"]]
    assert output["channels"] == ["news"]  # the bluesky variant has no link
    assert any("utm_medium=newsletter" in line and line.startswith("+")
               for line in output["diff"])


def test_a_channels_yaml_change_lists_the_posts_it_changes(run: Runner, history: Path) -> None:
    text = (history / "calendar/channels.yaml").read_text()
    (history / "calendar/channels.yaml").write_text(
        text.replace("  fb:\n    network: facebook", "  fb:\n    network: facebook\n"
                     "    timezone: America/New_York"), "utf-8")
    found = changes(run, history)
    assert set(found) == {"varied"}
    assert found["varied"]["because"] == ["channel fb changed in calendar/channels.yaml"]
