"""The shortcuts a cold validate takes (issue 22) give the answers the long way gives.

A cheap bound stands in for X's exact count only when it is a bound; a memoised tag is the
tag of its own text and parameters; a URL tagged without parsing is the parsed result.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cmops import utm
from cmops.model import Calendar, Campaign, Channel, Post
from cmops.render import render, render_parts
from cmops.text import twitter
from cmops.validate import validate

TRICKY = ["a", "é", "e\u0301", "日", "👍🏽", "🇫🇷", "1\ufe0f\u20e3", "©\ufe0f", "©", "™", "‼",
          "👩\u200d👩\u200d👧", "\u2010", "\u2033", "𝒳", " ", "\n", "#tag", "@a@b.c", "x.com",
          "a.co/p", "ex.example", "https://ex.org/" + "p" * 40, "http://a.fr",
          "www.lumen-velo.example", "\u3002", "\uff0e", "t.co/abc", ".", "-", "_"]


@pytest.mark.parametrize("config", [twitter.V1, twitter.V2, twitter.V3])
def test_x_bound_is_never_below_the_exact_count(config: twitter.Config) -> None:
    rng = random.Random(22)
    for _ in range(3000):
        text = "".join(rng.choice(TRICKY) for _ in range(rng.randint(0, 60)))
        assert twitter.length_bound(text, config) >= twitter.weighted_length(text, config), \
            repr(text)


def test_x_bound_takes_lone_surrogates() -> None:
    text = "a\udc00b\ud800"
    assert twitter.length_bound(text) >= twitter.weighted_length(text)


def test_x_bound_spares_the_exact_count_of_a_tagged_post() -> None:
    """The link-heavy calendar's texts: the old bound (2 per code point) sent them all to
    the exact count; this one is within a few characters of it."""
    text = ("vélo lumière 🚲 sécurité nuit atelier ✨ " * 4).strip() + \
        "\nhttps://lumen-velo.example/p/7?utm_source=x&utm_medium=social&utm_campaign=c00"
    exact, bound = twitter.weighted_length(text), twitter.length_bound(text)
    assert exact <= bound <= 280 < 2 * len(text)


def test_url_candidates_find_what_every_position_finds() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        text = "".join(rng.choice(TRICKY) for _ in range(rng.randint(0, 40)))
        can = twitter._domain_starts(text)

        def may(pos: int, text: str = text, can: list[bool] = can) -> bool:
            def domain_from(u: int) -> bool:
                if u >= len(text) or can[u]:
                    return u < len(text)
                protocol = twitter._PROTOCOL.match(text, u)
                return protocol is not None and can[protocol.end()]
            return domain_from(pos + 1) or (pos == 0 and domain_from(0))

        slow = [m.span() for m in twitter._scan(twitter._URL, text, may)]
        assert [m.span() for m in twitter._url_matches(text)] == slow, repr(text)


def _domain_starts_everywhere(text: str) -> list[bool]:
    """The per-position answer :func:`twitter._domain_starts` shortens: `_starts` over every
    index, with labels checked through arrays of the next bad character and underscore."""
    n = len(text)
    next_bad, next_underscore = [n] * (n + 1), [n] * (n + 1)
    for p in range(n - 1, -1, -1):
        ch = text[p]
        bad = ch in twitter._NOT_DOMAIN and ch not in "-_"
        next_bad[p] = p if bad else next_bad[p + 1]
        next_underscore[p] = p if ch == "_" else next_underscore[p + 1]
    return twitter._starts(
        text, lambda a, b: (next_bad[a] == b and text[a] not in twitter._NOT_DOMAIN
                            and text[b - 1] not in twitter._NOT_DOMAIN),
        tld_label_ok=lambda a, b: next_underscore[a] >= b)


DOMAINISH = [*TRICKY, "a_b", "_", "-", "b-", ".com", ".fr", ".example", "xn--bcher-kva",
             "é.é", "Ｘ", "a​", "..", "co", "@", "。co", "ex.co_"]


def test_domain_starts_only_in_runs_a_dot_ends_is_every_position_s_answer() -> None:
    rng = random.Random(23)
    for _ in range(4000):
        text = "".join(rng.choice(DOMAINISH) for _ in range(rng.randint(0, 30)))
        assert twitter._domain_starts(text) == _domain_starts_everywhere(text), repr(text)


def test_domain_starts_is_linear_in_a_long_word_without_a_dot() -> None:
    """The look-behind keeps the run regex from restarting at each position of a run (a
    quadratic scan on a 256 KB word)."""
    text = "a" * 200_000 + " b.fr"
    assert twitter._domain_starts(text) == _domain_starts_everywhere(text)


URLS = ["https://ex.org", "https://ex.org/", "http://ex.org/a/b.html", "https://ex.org:8080/x",
        "https://user@ex.org/p", "https://ex.org/p?a=1", "https://ex.org/p#top",
        "https://ex.org/p?utm_source=n", "HTTPS://EX.ORG/P", "https://[::1]/x",
        "https://ex.org/vélo", "https://", "https:///p", "https://ex.org/a%20b",
        "https://ex.org/a\\b", "https://ex.org/{x}", "https://ex.org/a;b=c,d"]


@pytest.mark.parametrize("url", URLS)
def test_plain_url_tagging_is_the_parsed_tagging(url: str) -> None:
    tags = utm.Utm("mastodon", "social", "spring", "post-1")
    try:
        parsed = utm._tag_parsed(url, tags)
    except ValueError:
        parsed = "ValueError"
    try:
        fast = utm.tag_url(url, tags)
    except ValueError:
        fast = "ValueError"
    assert fast == parsed


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.channels = {"bsky": Channel("bsky", "bluesky"), "masto": Channel("masto",
                                                                              "mastodon")}
    calendar.campaigns = {
        "a": Campaign("a", "a.yaml", "A", None, None,
                      utm={"source": "{network}", "campaign": "a"}),
        "b": Campaign("b", "b.yaml", "B", None, None,
                      utm={"source": "{channel}", "campaign": "b" * 200}),
    }
    return calendar


def test_the_same_text_is_tagged_for_each_post_and_channel() -> None:
    """A memo keyed on the text alone would hand post b the tags of post a (or masto the
    tags of bsky): each render carries its own campaign and channel."""
    calendar = _calendar()
    text = "Read https://ex.org/p now"
    a = Post("a", "a.yaml", "ready", ("bsky", "masto"), text, campaign="a")
    b = Post("b", "b.yaml", "ready", ("bsky", "masto"), text, campaign="b")
    seen = {}
    for post in (a, b, a, b):
        for channel in post.channels:
            parts = render_parts(post, channel, calendar)
            assert parts == render(post, channel, calendar).parts
            seen[post.id, channel] = parts[0].text
    assert seen == {
        ("a", "bsky"): "Read https://ex.org/p?utm_source=bluesky&utm_medium=social"
                       "&utm_campaign=a now",
        ("a", "masto"): "Read https://ex.org/p?utm_source=mastodon&utm_medium=social"
                        "&utm_campaign=a now",
        ("b", "bsky"): f"Read https://ex.org/p?utm_source=bsky&utm_medium=social"
                       f"&utm_campaign={'b' * 200} now",
        ("b", "masto"): f"Read https://ex.org/p?utm_source=masto&utm_medium=social"
                        f"&utm_campaign={'b' * 200} now",
    }


CHANNELS = """timezone: Europe/Paris
channels:
  bsky:
    network: bluesky
    secrets: {identifier: BSKY_ID, password: BSKY_PASSWORD}
  masto:
    network: mastodon
    server: https://mastodon.example
    secrets: {token: MASTO_TOKEN}
"""


def _repo(root: Path) -> Path:
    for rel, body in {
        "calendar/channels.yaml": CHANNELS,
        "calendar/campaigns/a.yaml": "id: a\nname: A\nstart: 2099-01-01\nend: 2099-01-31\n"
                                     "utm: {source: '{network}', medium: social}\n",
        "calendar/campaigns/b.yaml": "id: b\nname: B\nstart: 2099-01-01\nend: 2099-01-31\n"
                                     f"utm: {{source: '{{network}}', campaign: {'b' * 200}}}\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(body, "utf-8")
    text = "Lights on " + "vélo " * 40 + "https://ex.org/p"
    for name in ("a1", "b1", "a2", "b2"):
        (root / f"calendar/posts/{name}.yaml").parent.mkdir(parents=True, exist_ok=True)
        (root / f"calendar/posts/{name}.yaml").write_text(
            f"id: {name}\nstatus: ready\nchannels: [bsky, masto]\npublish_at: "
            f"2099-01-1{name[1]}T09:{'1' if name[0] == 'a' else '3'}0\ncampaign: {name[0]}\n"
            f"text: {text}\n", "utf-8")
    return root


def test_validate_flags_only_the_posts_whose_own_tags_are_too_long(tmp_path: Path) -> None:
    """Same text in four posts: campaign b's long tag takes it over Bluesky's 300 graphemes
    (477; Mastodon counts a URL as 23 whatever its tags), a's does not (278). Run twice in one
    process, so the second run meets every memo warm."""
    root = _repo(tmp_path)
    for _ in range(2):
        report = validate(root, use_cache=False)
        found = sorted((p.file, p.rule, p.message) for p in report.errors)
        assert found == [("calendar/posts/b1.yaml", "text.too-long", "477/300 graphemes on bsky"),
                         ("calendar/posts/b2.yaml", "text.too-long", "477/300 graphemes on bsky")]


def test_read_bounded_reads_whole_files_up_to_the_limit(tmp_path: Path) -> None:
    from cmops.yamlsafe import MAX_BYTES, YamlError, read_bounded

    for size in (0, 1, 4095, 65_537, MAX_BYTES):
        path = tmp_path / f"f{size}.yaml"
        body = bytes(i % 251 for i in range(size))
        path.write_bytes(body)
        assert read_bounded(path) == body
    path.write_bytes(b"x" * (MAX_BYTES + 1))
    with pytest.raises(YamlError) as info:
        read_bounded(path)
    assert info.value.message == f"file is {MAX_BYTES + 1} bytes; the limit is {MAX_BYTES} bytes"


def test_read_bounded_reads_a_pipe_to_its_end_and_stops_past_the_limit(tmp_path: Path) -> None:
    """Not a regular file: a short read is not its end, so reading goes on to the end, and
    stops one byte past the limit however much the writer has."""
    import os
    import threading

    from cmops.yamlsafe import MAX_BYTES, YamlError, read_bounded

    fifo = tmp_path / "post.yaml"
    for body in (b"id: a\n" * 3000, b"y" * (MAX_BYTES + 70_000)):
        os.mkfifo(fifo)

        def write(body: bytes = body) -> None:
            try:
                with open(fifo, "wb") as handle:
                    for i in range(0, len(body), 1000):
                        handle.write(body[i:i + 1000])
                        handle.flush()
            except BrokenPipeError:
                pass  # the reader stopped past the limit, as it should

        writer = threading.Thread(target=write)
        writer.start()
        try:
            if len(body) <= MAX_BYTES:
                assert read_bounded(fifo) == body
            else:
                with pytest.raises(YamlError) as info:
                    read_bounded(fifo)
                assert info.value.message == f"file is larger than {MAX_BYTES} bytes"
        finally:
            writer.join()
            fifo.unlink()
