"""Variant fields only one network reads (``Variant.options``): carried from the post file
to the rendered post (the channel's variant beating the network's, field by field), shown in
the reviewable output, and handed to the adapter as ``Outgoing.options``."""

from __future__ import annotations

from cmops.diff import output_text
from cmops.model import Calendar, Channel, Post
from cmops.render import describe_options, render


def calendar() -> Calendar:
    cal = Calendar(timezone="Europe/Paris")
    cal.channels = {"shop": Channel("shop", "google_business"),
                    "news": Channel("news", "outbox")}
    return cal


def post() -> Post:
    made = Post.from_raw({
        "id": "p1", "status": "ready", "channels": ["shop", "news"], "text": "Open day",
        "variants": {
            "google_business": {"topic": "event",
                                "event": {"title": "Open day", "start": "2027-04-03"},
                                "call_to_action": {"action": "learn_more",
                                                   "url": "https://ex.org/a"}},
            "shop": {"text": "Open day at the shop", "call_to_action": {"action": "call"}},
        }}, "calendar/posts/p1.yaml")
    assert made is not None
    return made


def test_the_channel_variant_beats_the_network_variant_field_by_field() -> None:
    rendered = render(post(), "shop", calendar())
    assert rendered.text == "Open day at the shop"
    assert dict(rendered.options) == {
        "topic": "event", "event": {"title": "Open day", "start": "2027-04-03"},
        "call_to_action": {"action": "call"}}
    assert post().variants["shop"].options == {"call_to_action": {"action": "call"}}


def test_other_networks_get_none() -> None:
    assert dict(render(post(), "news", calendar()).options) == {}


def test_options_are_part_of_what_is_reviewed() -> None:
    rendered = render(post(), "shop", calendar())
    assert describe_options(rendered.options) == [
        ("topic", "event"), ("event", "title=Open day, start=2027-04-03"),
        ("call_to_action", "action=call")]
    assert output_text(rendered).splitlines()[-3:] == [
        "[topic] event", "[event] title=Open day, start=2027-04-03",
        "[call_to_action] action=call"]
