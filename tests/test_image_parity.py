"""Validation sees what the publisher will refuse (issue 18): images are read at the edge
with Pillow (decodable, size as displayed, animated) and judged by the one decision
(:func:`cmops.prepare.cannot_fix`) that the publisher's preparation also follows. For a set
of tricky images, on every network, validate refuses exactly when the publisher does. A
reel's cover and a link card's image are checked the same way."""

from __future__ import annotations

import io
import os
import random
import shutil
import struct
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from tests.conftest import EXAMPLES
from tests.helpers import EXTRA_CHANNELS, write_post

from cmops.adapters import MediaFile, Outgoing, Rejected
from cmops.adapters.base import refuse_unsendable
from cmops.prepare import Unpreparable, image_facts, prepare_file
from cmops.text.limits import NETWORKS, ImageFacts
from cmops.validate import validate
from cmops.workspace import media_info

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CHANNELS = {"outbox": "news", "bluesky": "bsky", "mastodon": "masto", "x": "xch",
            "instagram": "insta", "linkedin": "li", "threads": "th", "facebook": "fb",
            "telegram": "tg", "discord": "hook", "pinterest": "pin", "youtube": "yt",
            "tiktok": "tt", "google_business": "shop"}
"""One channel of the example repository (plus test_capabilities' extra ones and
``NEW_CHANNELS``) per network."""
NEW_CHANNELS = """\
  pin:
    network: pinterest
    board: "549755885175"
    secrets:
      token: PIN_TOKEN
  yt:
    network: youtube
    secrets:
      token: YT_TOKEN
  tt:
    network: tiktok
    media_base_url: https://media.example.org/
    secrets:
      token: TT_TOKEN
  shop:
    network: google_business
    account: "112233445566778899"
    location: "998877665544332211"
    media_base_url: https://media.example.org/
    secrets:
      token: GBP_TOKEN
"""
"""channels.yaml entries for the networks added in issue 23 (Pinterest, YouTube, TikTok,
Google Business Profile), as the init template shows them."""
MEDIA_RULES = ("media.image-unreadable", "media.network-type", "media.network-size")


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def noise(width: int, height: int, seed: int = 7) -> Image.Image:
    return Image.frombytes("RGB", (width, height),
                           random.Random(seed).randbytes(width * height * 3))


def animated(fmt: str, width: int, height: int, **options: object) -> bytes:
    frames = [noise(width, height, seed) for seed in range(2)]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100,
                  loop=0, **options)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb() -> bytes:
    """A PNG header claiming 100000x100000 pixels, a few dozen bytes long."""
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8,
                                                             2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"\x00" * 301)) + chunk(b"IEND", b"")


def phone_photo() -> bytes:
    """40x20, EXIF orientation 6 (shown 20x40) and a GPS position."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (IFDRational(48), IFDRational(51), IFDRational(24))}
    return encode(Image.new("RGB", (40, 20), (0, 0, 255)), "JPEG", exif=exif.tobytes())


def truncated_jpeg() -> bytes:
    whole = encode(noise(64, 64), "JPEG", quality=90)
    return whole[: len(whole) // 2]


IMAGES: dict[str, Callable[[], bytes]] = {
    "fake.png": lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    "cut.jpg": truncated_jpeg,
    "bomb.png": bomb,
    "moving.gif": lambda: animated("GIF", 32, 32),
    "moving-small.png": lambda: animated("PNG", 32, 32),
    "moving-big.png": lambda: animated("PNG", 600, 600),  # ~2.2 MB: over Bluesky's 1 MB
    "moving.webp": lambda: animated("WEBP", 32, 32, lossless=True),
    "cmyk.jpg": lambda: encode(Image.new("CMYK", (64, 64), (0, 255, 255, 0)), "JPEG"),
    "huge.png": lambda: encode(noise(1000, 1000), "PNG"),  # ~3 MB of noise
    "rotated.jpg": phone_photo,
    "wide.png": lambda: encode(Image.new("RGB", (9500, 600), (9, 9, 9)), "PNG"),
    "moving-wide.png": lambda: encode(Image.new("RGB", (9500, 600)), "PNG", save_all=True,
                                      append_images=[Image.new("RGB", (9500, 600), "red")]),
}
"""Over Telegram's width plus height of 10000: "wide" is scaled down, "moving-wide" cannot
be (animated)."""


@pytest.fixture(scope="module")
def tricky(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("parity") / "repo"
    shutil.copytree(EXAMPLES / "base", root)
    channels = root / "calendar/channels.yaml"
    channels.write_text(channels.read_text("utf-8") + EXTRA_CHANNELS + NEW_CHANNELS,
                        "utf-8")
    for n, (name, make) in enumerate(IMAGES.items()):
        (root / "calendar/media" / name).write_bytes(make())
        write_post(root, f"p{n}", f"id: p{n}\nchannels: [{', '.join(CHANNELS.values())}]\n"
                   f"publish_at: 2026-11-24T09:00\ntext: Tricky.\nmedia:\n"
                   f"  - path: calendar/media/{name}\n    alt: A tricky image\n")
    return root


@pytest.fixture(scope="module")
def validation(tricky: Path) -> dict[str, set[str]]:
    """Image name -> the networks validate refuses it on (by the channel named in each
    media finding)."""
    report = validate(tricky, use_cache=False)
    out: dict[str, set[str]] = {name: set() for name in IMAGES}
    for problem in report.errors:
        if problem.rule not in MEDIA_RULES:
            continue
        name = list(IMAGES)[int(Path(problem.file).stem[1:])]
        out[name] |= {network for network, channel in CHANNELS.items()
                      if f"{channel} ({network})" in problem.message}
    return out


def publisher_refuses(root: Path, name: str, network: str, tmp: Path) -> bool:
    """The publisher's path for one image: prepared for the network (Publisher's
    _prepared_path: prepare_file, Unpreparable makes the item invalid), then the adapter's
    own check before sending (refuse_unsendable) on the file it is handed."""
    rules = NETWORKS[network]
    path = root / "calendar/media" / name
    try:
        prepared = prepare_file(path, rules)
    except Unpreparable:
        return True
    if prepared is not None and prepared.changed:
        path = tmp / f"{network}-{name}"
        path.write_bytes(prepared.data)
    out = Outgoing(f"p/{CHANNELS[network]}", "p", CHANNELS[network], 0, 1, "Tricky.", "d",
                   (MediaFile(path, f"calendar/media/{name}", "A tricky image"),),
                   published_at=NOW)
    try:
        refuse_unsendable(rules, out)
    except Rejected:
        return True
    return False


def test_every_network_has_a_channel() -> None:
    assert set(CHANNELS) == set(NETWORKS)


@pytest.mark.parametrize("name", list(IMAGES))
def test_validate_refuses_exactly_what_the_publisher_refuses(
        name: str, tricky: Path, validation: dict[str, set[str]], tmp_path: Path) -> None:
    published = {n for n in NETWORKS if publisher_refuses(tricky, name, n, tmp_path)}
    assert validation[name] == published


def test_the_tricky_images_are_refused_where_expected(validation: dict[str, set[str]]
                                                      ) -> None:
    """The parity above would hold if both sides refused nothing: what each refuses."""
    everywhere = set(NETWORKS)
    # Instagram and TikTok fetch the original as it is, and take no PNG (Instagram JPEG
    # only, TikTok JPEG or WebP).
    no_png_fetch = {"instagram", "tiktok"}
    no_images = {"youtube"}  # a YouTube post is one video: every image is refused
    no_gif_webp = {"pinterest", "google_business"}  # JPEG or PNG only
    assert validation == {
        "fake.png": everywhere, "cut.jpg": everywhere, "bomb.png": everywhere,
        "moving.gif": {"instagram", "telegram", "tiktok"} | no_gif_webp | no_images,
        "moving-small.png": no_png_fetch | no_images,
        "moving-big.png": {"bluesky"} | no_png_fetch | no_images,
        "moving.webp": {"instagram", "linkedin"} | no_gif_webp | no_images,
        "cmyk.jpg": no_images, "huge.png": no_png_fetch | no_images, "rotated.jpg": no_images,
        "wide.png": no_png_fetch | no_images,
        "moving-wide.png": {"instagram", "telegram", "tiktok"} | no_images,
    }


def test_messages_say_why(tricky: Path) -> None:
    report = validate(tricky, use_cache=False)
    found = {(p.file, p.rule, p.message) for p in report.errors}
    assert ("calendar/posts/p2.yaml", "media.image-unreadable",
            "'calendar/media/bomb.png' cannot be sent to bsky (bluesky): refused as a "
            "decompression bomb: Image size (10000000000 pixels) exceeds limit of 178956970 "
            "pixels, could be decompression bomb DOS attack.") in found
    big = os.path.getsize(tricky / "calendar/media/moving-big.png") / 1_000_000
    assert ("calendar/posts/p5.yaml", "media.network-size",
            f"'calendar/media/moving-big.png' is {big:.1f} MB; bsky (bluesky) takes at most "
            "1.0 MB; it is animated, and converting it would keep one frame") in found
    assert ("calendar/posts/p11.yaml", "media.network-size",
            "'calendar/media/moving-wide.png' is 9500x600; tg (telegram) takes at most 10000 "
            "pixels in width plus height; it is animated, and converting it would keep one "
            "frame") in found
    assert ("calendar/posts/p6.yaml", "media.network-type",
            "li (linkedin) does not take image/webp (it takes PNG, JPEG, GIF images, MP4 "
            "videos); it is animated, and converting it would keep one frame") in found
    assert ("calendar/posts/p9.yaml", "media.network-type",
            "yt (youtube) does not take image/jpeg (it takes MP4, MOV videos); cmops converts "
            "images only to JPEG or PNG, and it takes neither") in found
    assert ("calendar/posts/p8.yaml", "media.network-type",
            "tt (tiktok) does not take image/png (it takes JPEG, WebP images, MP4, MOV, WebM "
            "videos)") in found


def test_media_info_reads_the_image_facts(tricky: Path) -> None:
    rels = [f"calendar/media/{name}" for name in IMAGES]
    facts = {rel.rsplit("/", 1)[1]: info.image for rel, info in media_info(tricky, rels).items()}
    assert facts["rotated.jpg"] == ImageFacts(20, 40, False)  # as displayed
    assert facts["moving.gif"] == ImageFacts(32, 32, True)
    assert facts["moving.webp"] == ImageFacts(32, 32, True)
    assert facts["cmyk.jpg"] == ImageFacts(64, 64, False)
    cut = facts["cut.jpg"]
    assert cut is not None and (cut.unreadable or "").startswith(
        "cannot decode the image: image file is truncated")
    assert image_facts(b"GIF89a" + b"\x00" * 10).unreadable == (
        "cannot read the image: Pillow does not recognise its content (damaged, or not what "
        "its first bytes say)")


def test_the_validate_cache_sees_an_image_replaced_by_a_broken_one(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "base", root)
    image = root / "calendar/media/pic.png"
    good = encode(noise(16, 16), "PNG")
    image.write_bytes(good)
    write_post(root, "pic", "id: pic\nchannels: [news]\npublish_at: 2026-11-24T09:00\n"
               "text: Pic.\nmedia:\n  - path: calendar/media/pic.png\n    alt: Noise\n")
    assert validate(root).ok
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(len(good) - 8))  # same size, same type
    os.utime(image, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    assert [p.rule for p in validate(root).errors] == ["media.image-unreadable"]


# -- a reel's cover and a link card's image ----------------------------------------------------

def reel(root: Path, cover: str) -> None:
    (root / "calendar/media/clip.mp4").write_bytes(
        (Path(__file__).parent / "media/vertical-3s.mp4").read_bytes())
    write_post(root, "reel", "id: reel\nchannels: [insta]\npublish_at: 2026-11-24T09:00\n"
               "text: A reel.\nvariants:\n  instagram:\n    format: reel\n"
               "media:\n  - path: calendar/media/clip.mp4\n    alt: A clip\n"
               f"    cover: {cover}\n")


@pytest.mark.parametrize(("cover", "content", "message"), [
    ("calendar/media/cover.jpg", None, "cover image 'calendar/media/cover.jpg' does not exist"),
    ("../cover.jpg", None, "cover image path '../cover.jpg' must be relative to the "
                           "repository and stay inside it"),
    ("calendar/media/cover.png", encode(noise(9, 16), "PNG"),
     "cover image 'calendar/media/cover.png' is image/png; Instagram takes a JPEG cover and "
     "fetches the file as it is (cmops cannot convert it): use a JPEG"),
    ("calendar/media/cover.jpg", truncated_jpeg(),
     "cover image 'calendar/media/cover.jpg' cannot be sent: cannot decode the image: image "
     "file is truncated (136 bytes not processed)"),
    ("calendar/media/cover.jpg", encode(noise(2400, 2400), "JPEG", quality=100),
     "cover image 'calendar/media/cover.jpg' is {mb}; Instagram takes at most 8.0 MB and "
     "fetches the file as it is (cmops cannot shrink it)"),
    ("calendar/media/cover.jpg", encode(noise(9, 16), "JPEG"), None),
])
def test_a_reel_cover_is_an_image_instagram_takes(cover: str, content: bytes | None,
                                                  message: str | None, repo: Path) -> None:
    if content is not None:
        (repo / cover).write_bytes(content)
    reel(repo, cover)
    report = validate(repo, use_cache=False)
    found = [(p.file, p.line, p.path, p.rule, p.message) for p in report.problems
             if p.rule == "media.cover"]
    if message is None:
        assert report.ok, [p.message for p in report.problems]
        return
    if "{mb}" in message:
        message = message.format(mb=f"{len(content or b'') / 1024 / 1024:.1f} MB")
    assert found == [("calendar/posts/reel.yaml", 12, "media[0].cover", "media.cover",
                      message)]


def test_a_card_image_that_does_not_decode_is_refused(repo: Path) -> None:
    (repo / "calendar/media/card.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    write_post(repo, "card", "id: card\nchannels: [news]\npublish_at: 2026-11-24T09:00\n"
               "text: Read this.\nlink:\n  url: https://example.com/a\n  title: A\n"
               "  image: calendar/media/card.png\n")
    report = validate(repo, use_cache=False)
    assert [(p.path, p.rule, p.message) for p in report.errors] == [(
        "link.image", "link.image", "link image 'calendar/media/card.png' cannot be sent: "
        "cannot read the image: Pillow does not recognise its content (damaged, or not what "
        "its first bytes say)")]
