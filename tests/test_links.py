"""A post's ``link`` is never dropped (issue 16, observation 4): it goes into the text where
the network builds its own preview from the text, counted in the length rules, and as the
card where the client must build it; the publisher sends exactly that to every network's
strict fake, and a bare link's card is fetched from the page when it goes out."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from tests.fakes.pages import FakeSite, Page, html
from tests.fakes.rigs import RIGS

from cmops.model import Calendar, Campaign, Channel, Governance, Post
from cmops.publish import Options, Publisher, Report, adapter_factory
from cmops.render import Card, render
from cmops.retry import Backoff
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.text.limits import NETWORKS
from cmops.validate import load_calendar, validate

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
URL = "https://lumen.example/nuit?x=1"
TEXT_NETWORKS = tuple(n for n, r in NETWORKS.items() if r.link == "text")
CARD_NETWORKS = tuple(n for n, r in NETWORKS.items() if r.link == "card")
FIELD_NETWORKS = tuple(n for n, r in NETWORKS.items() if r.link == "field")


def png(size: tuple[int, int] = (4, 3), color: tuple[int, int, int] = (30, 90, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


CARD_IMAGE = png()


# -- where the link goes (pure) -----------------------------------------------------------

def calendar(**rules: Any) -> Calendar:
    cal = Calendar(timezone="UTC")
    cal.channels = {n: Channel(n, n) for n in NETWORKS}
    cal.rules = Governance(**rules)
    camp = Campaign.from_raw({"id": "winter", "name": "Winter", "start": "2026-11-01",
                              "end": "2026-12-31", "utm": {"source": "{network}"}},
                             "calendar/campaigns/winter.yaml")
    assert camp is not None
    cal.campaigns = {"winter": camp}
    return cal


def post(**fields: Any) -> Post:
    raw = {"id": "p", "status": "ready", "channels": list(NETWORKS), "text": "Rouler de nuit",
           "link": {"url": URL, "title": "Trois réflexes", "description": "Pour l'hiver",
                    "image": "calendar/media/card.png"}, **fields}
    made = Post.from_raw(raw, "calendar/posts/p.yaml")
    assert made is not None
    return made


def test_every_network_gets_the_link_in_its_text_or_as_its_card() -> None:
    # Every declared network is one of the three, these four build no card of their own, and
    # Pinterest takes the URL in the pin's own link field (neither text nor card).
    assert len(TEXT_NETWORKS) + len(CARD_NETWORKS) + len(FIELD_NETWORKS) == len(NETWORKS)
    assert set(CARD_NETWORKS) == {"bluesky", "linkedin", "facebook", "outbox"}
    assert set(FIELD_NETWORKS) == {"pinterest"}
    cal = calendar()
    for network in TEXT_NETWORKS:
        out = render(post(), network, cal)
        assert (out.text, out.card, out.link) == (f"Rouler de nuit\n{URL}", None, URL), network
    for network in CARD_NETWORKS:
        out = render(post(), network, cal)
        assert out.text == "Rouler de nuit", network
        assert out.card == Card(URL, "Trois réflexes", "Pour l'hiver",
                                "calendar/media/card.png"), network
    for network in FIELD_NETWORKS:
        out = render(post(), network, cal)
        assert (out.text, out.card, out.link) == ("Rouler de nuit", None, URL), network
    bare = render(post(link=URL), "bluesky", cal)
    assert bare.card == Card(URL)  # no title: fetched from the page at publish time


def test_with_media_a_one_embed_network_gets_the_link_in_the_text() -> None:
    cal = calendar()
    photo = post(media=[{"path": "calendar/media/halo.jpg", "alt": "Un feu"}])
    for network in ("bluesky", "linkedin", "facebook", *TEXT_NETWORKS):
        out = render(photo, network, cal)
        assert (out.text, out.card) == (f"Rouler de nuit\n{URL}", None), network
    outbox = render(photo, "outbox", cal)
    assert outbox.text == "Rouler de nuit" and outbox.card is not None


def test_utm_tags_the_link_wherever_it_goes_and_it_is_never_added_twice() -> None:
    cal = calendar()
    tagged = URL + "&utm_source={}&utm_medium=social&utm_campaign=winter"
    mastodon = render(post(campaign="winter"), "mastodon", cal)
    assert mastodon.text == "Rouler de nuit\n" + tagged.format("mastodon")
    assert mastodon.link == tagged.format("mastodon")
    bluesky = render(post(campaign="winter"), "bluesky", cal)
    assert bluesky.card is not None and bluesky.card.url == tagged.format("bluesky")
    written = render(post(text=f"Lire {URL} ce soir"), "x", cal)
    assert written.text == f"Lire {URL} ce soir"
    in_thread = render(post(thread=[{"text": f"Tout est là : {URL}"}]), "mastodon", cal)
    assert [p.text for p in in_thread.parts] == ["Rouler de nuit", f"Tout est là : {URL}"]
    empty = render(post(text="", media=[{"path": "a.png", "alt": "A"}]), "telegram", cal)
    assert empty.text == URL


def test_on_x_a_team_that_keeps_links_out_of_the_main_post_gets_it_in_the_last_part() -> None:
    cal = calendar(no_link_in_x_main_post=True)
    thread = post(thread=[{"text": "1/ avant"}, {"text": "2/ arrière"}])
    assert [p.text for p in render(thread, "x", cal).parts] == [
        "Rouler de nuit", "1/ avant", f"2/ arrière\n{URL}"]
    assert render(thread, "mastodon", cal).text == f"Rouler de nuit\n{URL}"


def post_file(root: Path, name: str, text: str, link: str, channels: str) -> None:
    (root / f"calendar/posts/{name}.yaml").write_text(
        f"id: {name}\nstatus: ready\nchannels: {channels}\npublish_at: 2026-11-24T08:30\n"
        f"text: {json.dumps(text)}\nlink: {link}\n", "utf-8")


def test_validation_counts_the_link_the_way_each_network_does(repo: Path) -> None:
    long_url = "https://lumen-velo.fr/" + "a" * 80  # a real TLD: .example is no URL to X
    post_file(repo, "x-fits", "a" * 256, long_url, "[xch]")  # 256 + newline + 23 = 280
    post_file(repo, "x-over", "a" * 257, long_url, "[xch]")
    post_file(repo, "masto-over", "b" * 477, long_url, "[masto]")  # 477 + 1 + 23 = 501
    post_file(repo, "masto-fits", "b" * 476, long_url, "[masto]")
    report = validate(repo, use_cache=False)
    assert [(p.file, p.rule, p.message) for p in report.errors] == [
        ("calendar/posts/masto-over.yaml", "text.too-long", "501/500 characters on masto"),
        ("calendar/posts/x-over.yaml", "text.too-long", "281/280 weighted characters on xch"),
    ]


def test_the_card_image_is_checked_like_media(repo: Path) -> None:
    (repo / "calendar/media/card.png").write_bytes(CARD_IMAGE)
    (repo / "calendar/media/notes.txt").write_text("not an image")
    for name, image in (("ok", "calendar/media/card.png"), ("gone", "calendar/media/no.png"),
                        ("text", "calendar/media/notes.txt"), ("escape", "../outside.png")):
        post_file(repo, name, "Hi", f"{{url: '{URL}', title: T, image: '{image}'}}", "[bsky]")
    report = validate(repo, use_cache=False)
    assert [(p.file, p.line, p.column, p.rule, p.message) for p in report.errors] == [
        ("calendar/posts/escape.yaml", 6, 64, "link.image", "link image path '../outside.png' "
         "must be relative to the repository and stay inside it"),
        ("calendar/posts/gone.yaml", 6, 64, "link.image",
         "link image 'calendar/media/no.png' does not exist"),
        ("calendar/posts/text.yaml", 6, 64, "link.image",
         "link image 'calendar/media/notes.txt' is not a PNG, JPEG, GIF or WebP image"),
    ]


# -- what each network receives -----------------------------------------------------------

@pytest.fixture
def fakes() -> Iterator[dict[str, Any]]:
    with ExitStack() as stack:
        yield {n: stack.enter_context(RIGS[n].fake()) for n in sorted(RIGS)}


def setup(root: Path, fakes: dict[str, Any]) -> dict[str, str]:
    """Channels ``<network>-ch`` on every fake (and the outbox); the environment of their
    secrets."""
    channels: dict[str, Any] = {"outbox-ch": {"network": "outbox"}}
    env: dict[str, str] = {}
    for network, fake in fakes.items():
        rig = RIGS[network]
        names = {role: f"{network.upper()}_{role.upper()}" for role in rig.secrets(fake)}
        env |= {names[role]: value for role, value in rig.secrets(fake).items()}
        settings = {k: v for k, v in rig.settings(fake).items() if k != "poll_seconds"}
        channels[f"{network}-ch"] = {"network": network, **settings, "secrets": names}
    (root / "calendar/channels.yaml").write_text(
        json.dumps({"timezone": "UTC", "channels": channels}, indent=1), "utf-8")
    (root / "calendar/media/card.png").write_bytes(CARD_IMAGE)
    (root / "calendar/media/halo.jpg").write_bytes(jpeg())
    (root / "calendar/posts/minimal.yaml").unlink()
    (root / "calendar/campaigns/spring.yaml").unlink()
    return env


def publish(root: Path, env: dict[str, str]) -> Report:
    calendar, report = load_calendar(root, use_cache=False)
    assert report.ok, [f"{p.file}: {p.message}" for p in report.errors]
    store = LocalStore(root / ".cmops/state")
    try:
        return Publisher(root, calendar, store, adapter_factory(root, calendar, Redactor(), env),
                         Options(NOW, backoff=Backoff(base=1, cap=1, attempts=1)),
                         sleep=lambda s: None).run()
    finally:
        store.close()


def outbox(root: Path, post_id: str) -> dict[str, Any]:
    (found,) = (root / ".cmops/outbox/outbox-ch").glob(f"{post_id}-*.json")
    body: dict[str, Any] = json.loads(found.read_text("utf-8"))
    return body


CARD = (f"{{url: '{URL}', title: Rouler de nuit, description: Trois réflexes, "
        "image: calendar/media/card.png}")


def test_every_fake_receives_the_link(repo: Path, fakes: dict[str, Any]) -> None:
    env = setup(repo, fakes)
    media_only = {"instagram", "tiktok", "pinterest", "youtube"}  # take no text-only post
    video_only = {"youtube"}  # one video, no photo: the link goes with its own clip post
    texts = [n for n in ["outbox", *fakes] if n not in media_only]
    photos = [n for n in ["outbox", *fakes] if n not in video_only]
    post_file(repo, "card", "Nouvelles lumières", CARD,
              "[" + ", ".join(f"{n}-ch" for n in texts) + "]")
    (repo / "calendar/posts/photo.yaml").write_text(
        f"id: photo\nstatus: ready\nchannels: [{', '.join(f'{n}-ch' for n in photos)}]\n"
        f"publish_at: 2026-11-24T08:40\n"
        f"text: Le Halo\nlink: {CARD}\nmedia:\n  - path: calendar/media/halo.jpg\n"
        "    alt: Un feu rouge\n", "utf-8")
    (repo / "calendar/media/clip.mp4").write_bytes(
        (Path(__file__).parent / "media/vertical-3s.mp4").read_bytes())
    (repo / "calendar/posts/clip.yaml").write_text(
        "id: clip\nstatus: ready\nchannels: [youtube-ch]\npublish_at: 2026-11-24T08:50\n"
        f"text: En vidéo\nlink: {CARD}\nmedia:\n  - path: calendar/media/clip.mp4\n"
        "variants:\n  youtube:\n    title: Le Halo de nuit\n", "utf-8")
    report = publish(repo, env)
    assert {o.key: o.state for o in report.outcomes} == {
        **{f"card/{n}-ch": "published" for n in texts},
        **{f"photo/{n}-ch": "published" for n in photos}, "clip/youtube-ch": "published"}
    in_text = f"Nouvelles lumières\n{URL}"
    with_photo = f"Le Halo\n{URL}"
    # networks that build their preview from the text: the URL is in it
    assert fakes["mastodon"].texts() == [in_text, with_photo]
    assert [t["text"] for t in fakes["x"].tweets] == [in_text, with_photo]
    assert [p["text"] for p in fakes["threads"].posts] == [in_text, with_photo]
    assert [p["caption"] for p in fakes["instagram"].posts] == [with_photo]
    assert fakes["discord"].texts() == [in_text, with_photo]
    assert fakes["telegram"].texts() == [in_text, with_photo]
    assert [p["summary"] for p in fakes["google_business"].posts] == [in_text, with_photo]
    assert [p["info"]["description"] for p in fakes["tiktok"].posts] == [with_photo]
    (video,) = fakes["youtube"].videos
    assert (video["snippet"]["title"], video["snippet"]["description"]) == (
        "Le Halo de nuit", f"En vidéo\n{URL}")
    # Pinterest: the pin's own link field; the description keeps the text alone
    (pin,) = fakes["pinterest"].pins
    assert (pin["description"], pin["link"]) == ("Le Halo", URL)
    # Bluesky: the external card with its thumb; with the photo, a link facet in the text
    card, photo = (r["value"] for r in fakes["bluesky"].records.values())
    thumb = card["embed"]["external"].pop("thumb")
    assert card["text"] == "Nouvelles lumières"
    assert card["embed"] == {"$type": "app.bsky.embed.external", "external": {
        "uri": URL, "title": "Rouler de nuit", "description": "Trois réflexes"}}
    assert fakes["bluesky"].blobs[thumb["ref"]["$link"]] == ("image/png", CARD_IMAGE)
    assert photo["text"] == with_photo and photo["embed"]["$type"] == "app.bsky.embed.images"
    start = len(b"Le Halo\n")
    assert photo["facets"] == [{"index": {"byteStart": start, "byteEnd": start + len(URL)},
                                "features": [{"$type": "app.bsky.richtext.facet#link",
                                              "uri": URL}]}]
    # LinkedIn: an article with a thumbnail uploaded through the Images API
    article, media = fakes["linkedin"].posts
    thumbnail = article["content"]["article"].pop("thumbnail")
    assert article["content"] == {"article": {"source": URL, "title": "Rouler de nuit",
                                              "description": "Trois réflexes"}}
    assert fakes["linkedin"].images[thumbnail] == CARD_IMAGE
    assert article["commentary"] == "Nouvelles lumières"
    assert URL in media["commentary"] and "media" in media["content"]
    # Facebook: the feed's link parameter; with the photo, the URL in its caption
    feed, photo_post = fakes["facebook"].posts
    assert (feed["message"], feed["link"]) == ("Nouvelles lumières", URL)
    assert photo_post["message"] == with_photo and "link" not in photo_post
    # the outbox keeps the card beside the text and the media
    assert outbox(repo, "card")["card"] == {"url": URL, "title": "Rouler de nuit",
                                            "description": "Trois réflexes",
                                            "image": "calendar/media/card.png"}
    assert outbox(repo, "photo")["text"] == "Le Halo"
    assert outbox(repo, "photo")["card"]["title"] == "Rouler de nuit"


def test_a_bare_link_s_card_is_fetched_when_it_goes_out_or_falls_back_loudly(
        repo: Path, fakes: dict[str, Any]) -> None:
    env = setup(repo, fakes)
    with FakeSite().running() as site:
        site.pages["/article"] = html(
            '<meta property="og:title" content="Le Halo, vu de près">'
            '<meta property="og:description" content="80 g, 12 h">'
            '<meta property="og:image" content="/big.png">')
        noise = Image.frombytes("RGB", (700, 700), random.Random(16).randbytes(700 * 700 * 3))
        buffer = io.BytesIO()
        noise.save(buffer, "PNG")
        big = buffer.getvalue()  # noise does not compress: over Bluesky's 1,000,000 bytes
        assert len(big) > 1_000_000
        site.pages["/big.png"] = Page(big, "image/png")
        post_file(repo, "fetched", "Le Halo", f"{site.url}/article",
                  "[bluesky-ch, linkedin-ch, facebook-ch, outbox-ch, mastodon-ch]")
        post_file(repo, "offline", "Hors ligne", "http://127.0.0.1:9/page",
                  "[bluesky-ch, outbox-ch]")
        report = publish(repo, env)
        assert site.paths().count("/article") == 1  # once for every channel of the run
    outcomes = {o.key: (o.state, o.warnings) for o in report.outcomes}
    assert outcomes["fetched/bluesky-ch"] == ("published", [])
    state, warnings = outcomes["offline/bluesky-ch"]
    assert state == "published"
    assert len(warnings) == 1 and warnings[0].startswith(
        "link card not fetched (http://127.0.0.1:9/page: ConnectError:")
    assert warnings[0].endswith("sent with the page's host as its title; run cmops card to "
                                "write the card into the post")
    records = {r["value"]["text"]: r["value"] for r in fakes["bluesky"].records.values()}
    fetched = records["Le Halo"]["embed"]["external"]
    thumb = fetched.pop("thumb")
    assert fetched == {"uri": f"{site.url}/article", "title": "Le Halo, vu de près",
                       "description": "80 g, 12 h"}
    mime, data = fakes["bluesky"].blobs[thumb["ref"]["$link"]]
    assert (mime, thumb["mimeType"]) == ("image/jpeg", "image/jpeg")
    assert len(data) <= 1_000_000 < len(big)  # shrunk to the lexicon's thumb maxSize
    assert records["Hors ligne"]["embed"]["external"] == {
        "uri": "http://127.0.0.1:9/page", "title": "127.0.0.1", "description": ""}
    (article,) = fakes["linkedin"].posts
    assert article["content"]["article"]["title"] == "Le Halo, vu de près"
    assert fakes["linkedin"].images[article["content"]["article"]["thumbnail"]] == big
    assert fakes["facebook"].posts[0]["link"] == f"{site.url}/article"
    assert fakes["mastodon"].texts() == [f"Le Halo\n{site.url}/article"]  # not fetched
    assert outbox(repo, "fetched")["card"] == {
        "url": f"{site.url}/article", "title": "Le Halo, vu de près",
        "description": "80 g, 12 h", "image": f"{site.url}/big.png"}
