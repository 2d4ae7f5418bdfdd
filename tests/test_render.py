"""Rendering: the text each network receives (variants, UTM tags, thread parts)."""

from __future__ import annotations

from typing import Any

from cmops.model import Calendar, Campaign, Channel, Post
from cmops.render import Utm, find_urls, render, tag_text, tag_url

UTM = Utm("bluesky", "social", "spring")


def test_tag_keeps_query_and_fragment() -> None:
    assert tag_url("https://ex.org/p?color=red#specs", UTM) == (
        "https://ex.org/p?color=red&utm_source=bluesky&utm_medium=social&utm_campaign=spring"
        "#specs")
    assert tag_url("https://ex.org", UTM) == (
        "https://ex.org/?utm_source=bluesky&utm_medium=social&utm_campaign=spring")


def test_never_double_tags() -> None:
    tagged = "https://ex.org/p?utm_source=newsletter"
    assert tag_url(tagged, UTM) == tagged
    once = tag_url("https://ex.org/p", UTM)
    assert tag_url(once, UTM) == once


def test_accented_paths_and_punctuation_around_links() -> None:
    text = "Voir (https://ex.org/vélo/éclairage). Ou https://ex.org/a, puis fin!"
    assert [text[s:e] for s, e in find_urls(text)] == ["https://ex.org/vélo/éclairage",
                                                       "https://ex.org/a"]
    out = tag_text(text, Utm("x", "social", "c", "post-1"))
    assert "(https://ex.org/v%C3%A9lo/%C3%A9clairage?" not in out  # path kept as written
    assert "(https://ex.org/vélo/éclairage?utm_source=x&utm_medium=social&utm_campaign=c" \
           "&utm_content=post-1)." in out
    assert "https://ex.org/a?utm_source=x&utm_medium=social&utm_campaign=c&utm_content=post-1," \
        in out


def calendar(utm: dict[str, Any] | None) -> Calendar:
    cal = Calendar(timezone="Europe/Paris")
    cal.channels = {"bsky": Channel("bsky", "bluesky"), "x-main": Channel("x-main", "x"),
                    "news": Channel("news", "outbox")}
    camp = Campaign.from_raw({"id": "spring", "name": "Spring", "start": "2027-03-01",
                              "end": "2027-03-31", **({"utm": utm} if utm else {})},
                             "calendar/campaigns/spring.yaml")
    assert camp is not None
    cal.campaigns = {"spring": camp}
    return cal


def post(**fields: Any) -> Post:
    raw = {"id": "p1", "status": "ready", "channels": ["bsky", "x-main", "news"],
           "text": "Base https://ex.org/a", "campaign": "spring", **fields}
    made = Post.from_raw(raw, "calendar/posts/p1.yaml")
    assert made is not None
    return made


def test_campaign_utm_templates_fill_per_channel() -> None:
    cal = calendar({"source": "{network}", "medium": "social", "content": "{post}-{channel}"})
    assert render(post(), "bsky", cal).text == (
        "Base https://ex.org/a?utm_source=bluesky&utm_medium=social&utm_campaign=spring"
        "&utm_content=p1-bsky")
    assert render(post(link="https://ex.org/card"), "news", cal).link == (
        "https://ex.org/card?utm_source=outbox&utm_medium=social&utm_campaign=spring"
        "&utm_content=p1-news")


def test_post_can_opt_out_and_campaign_without_utm_tags_nothing() -> None:
    cal = calendar({"source": "{network}"})
    assert render(post(utm=False), "bsky", cal).text == "Base https://ex.org/a"
    assert render(post(), "bsky", calendar(None)).text == "Base https://ex.org/a"


def test_variants_channel_beats_network_beats_base_field_by_field() -> None:
    p = post(variants={"x": {"text": "For X"}, "x-main": {"thread": [{"text": "reply"}]}},
             thread=[{"text": "base reply"}], media=[{"path": "calendar/media/a.png",
                                                     "alt": "An A"}])
    cal = calendar(None)
    x = render(p, "x-main", cal)
    assert [part.text for part in x.parts] == ["For X", "reply"]
    assert [m.alt for m in x.parts[0].media] == ["An A"]  # media not overridden: inherited
    bsky = render(p, "bsky", cal)
    assert [part.text for part in bsky.parts] == ["Base https://ex.org/a", "base reply"]


def test_validation_shortcut_gives_the_parts_render_gives() -> None:
    """rules.networks skips render() for texts without links: same parts either way."""
    from cmops.rules.networks import _parts

    cal = calendar({"source": "{network}", "content": "{post}"})
    cases = [post(), post(text="No link here"),
             post(text="Plain", thread=[{"text": "then https://ex.org/x"}]),
             post(text="Plain", variants={"x": {"text": "X https://ex.org/y"}}),
             post(text="Plain", utm=False, link="https://ex.org/card"),
             post(text="Image", media=[{"path": "calendar/media/a.png", "alt": "A"}])]
    for p in cases:
        for channel in ("bsky", "x-main", "news"):
            network = cal.channels[channel].network or "outbox"
            assert _parts(p, channel, network, cal) == render(p, channel, cal).parts
