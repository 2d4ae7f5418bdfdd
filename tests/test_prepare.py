"""Images prepared for each network (cmops.prepare): converted, shrunk, turned upright and
stripped of their metadata, deterministically; what validation lets through is what the
publisher sends; the plan and the site say what a network receives."""

from __future__ import annotations

import io
import random
import struct
import zlib
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from tests.conftest import Runner, json_out
from tests.fakes.bluesky import FakeBluesky
from tests.helpers import write_post
from tests.report_content import generate_site

from cmops.prepare import Unpreparable, cannot_fix, dimensions, note, prepare
from cmops.publish import PREPARED_DIR, Options, Publisher, adapter_factory
from cmops.retry import Backoff
from cmops.rules.media import sniff
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.text.limits import NETWORKS, Attachment
from cmops.validate import load_calendar, validate

BLUESKY = NETWORKS["bluesky"].media
INSTAGRAM = NETWORKS["instagram"].media
TELEGRAM = NETWORKS["telegram"].media
ORIENTATION, GPS = 0x0112, 0x8825
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def noise(width: int, height: int, seed: int = 7) -> Image.Image:
    return Image.frombytes("RGB", (width, height),
                           random.Random(seed).randbytes(width * height * 3))


def noisy_png() -> bytes:
    """About 3 MB of incompressible pixels."""
    data = encode(noise(1000, 1000), "PNG")
    assert 3_000_000 < len(data) < 3_100_000
    return data


def gif(frames: int) -> bytes:
    images = [Image.new("RGB", (32, 32), (i * 80, 255 - i * 80, 0)) for i in range(frames)]
    return encode(images[0], "GIF", save_all=frames > 1, append_images=images[1:], loop=0)


def phone_photo() -> bytes:
    """A 40x20 JPEG, red on its left half and blue on its right, whose EXIF says "turn a
    quarter clockwise to view" (orientation 6) and where it was taken (GPS)."""
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[GPS] = {1: "N", 2: (IFDRational(48), IFDRational(51), IFDRational(24)),
                 3: "E", 4: (IFDRational(2), IFDRational(21), IFDRational(7))}
    return encode(image, "JPEG", exif=exif.tobytes(), quality=95)


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# -- the pure preparation ---------------------------------------------------------------------

def test_png_and_webp_become_jpeg_for_instagram() -> None:
    picture = noise(64, 48)
    for source, mime in ((encode(picture, "PNG"), "image/png"),
                         (encode(picture, "WEBP", quality=90), "image/webp")):
        prepared = prepare(source, mime, INSTAGRAM)
        assert (prepared.mime, prepared.width, prepared.height) == ("image/jpeg", 64, 48)
        assert prepared.converted and sniff(prepared.data[:16]) == "image/jpeg"
        assert decoded(prepared.data).format == "JPEG"
        assert prepared.describe().startswith("JPEG ") and \
            prepared.describe().endswith(" (converted)")


def test_transparency_is_laid_on_white_in_a_jpeg() -> None:
    clear = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    prepared = prepare(encode(clear, "PNG"), "image/png", INSTAGRAM)
    assert decoded(prepared.data).convert("RGB").getpixel((4, 4)) == (255, 255, 255)


def test_a_cmyk_jpeg_loses_its_cmyk_profile_when_converted_to_rgb() -> None:
    cmyk = Image.new("CMYK", (300, 300), (0, 255, 255, 0))
    source = encode(cmyk, "JPEG", icc_profile=b"\x00" * 128 + b"CMYK-profile")
    prepared = prepare(source, "image/jpeg", replace(BLUESKY, max_image_bytes=2000))
    out = decoded(prepared.data)
    assert prepared.converted and out.mode == "RGB" and "icc_profile" not in out.info
    stripped = prepare(source, "image/jpeg", BLUESKY)  # fits: nothing to strip, as it is
    assert stripped.data is source


def test_a_3_mb_png_is_shrunk_under_bluesky_s_1_mb() -> None:
    source = noisy_png()
    prepared = prepare(source, "image/png", BLUESKY)
    assert prepared.mime == "image/jpeg" and prepared.converted
    assert len(prepared.data) <= 1_000_000
    assert decoded(prepared.data).size == (prepared.width, prepared.height)
    assert prepared.describe() == f"JPEG {len(prepared.data) / 1000:.0f} KB (converted)"


def test_preparation_is_deterministic() -> None:
    source = noisy_png()
    assert prepare(source, "image/png", BLUESKY).data == \
        prepare(bytes(source), "image/png", BLUESKY).data
    photo = phone_photo()
    assert prepare(photo, "image/jpeg", BLUESKY).data == prepare(photo, "image/jpeg",
                                                                 BLUESKY).data


def test_a_file_that_fits_and_has_no_metadata_is_sent_byte_for_byte() -> None:
    source = encode(noise(30, 20), "PNG")
    prepared = prepare(source, "image/png", BLUESKY)
    assert prepared.data is source
    assert (prepared.changed, prepared.width, prepared.height) == (False, 30, 20)


def test_exif_orientation_is_applied_and_location_stripped() -> None:
    source = phone_photo()
    before = Image.open(io.BytesIO(source)).getexif()
    assert before[ORIENTATION] == 6 and before.get_ifd(GPS)[1] == "N"
    prepared = prepare(source, "image/jpeg", BLUESKY)
    assert prepared.stripped and not prepared.converted and prepared.mime == "image/jpeg"
    out = decoded(prepared.data)
    assert out.size == (20, 40) == (prepared.width, prepared.height)  # turned upright
    assert dict(out.getexif()) == {} and "exif" not in out.info
    assert b"Exif" not in prepared.data
    # Turned a quarter clockwise, the red left half is now the top half.
    red, blue = out.convert("RGB").getpixel((10, 5)), out.convert("RGB").getpixel((10, 35))
    assert isinstance(red, tuple) and isinstance(blue, tuple)
    assert red[0] > 200 > red[2] and blue[2] > 200 > blue[0]
    # Its own quantization tables are kept: about the same size as the original.
    assert abs(len(prepared.data) - len(source)) < len(source) // 2
    assert prepared.describe().endswith("(metadata removed)")


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_exif_is_stripped_from_png_and_webp_too(fmt: str) -> None:
    exif = Image.Exif()
    exif[GPS] = {1: "S", 2: (IFDRational(33), IFDRational(52), IFDRational(4))}
    mime = f"image/{fmt.lower()}"
    prepared = prepare(encode(noise(16, 16), fmt, exif=exif.tobytes()), mime, BLUESKY)
    assert prepared.mime == mime and prepared.stripped
    assert dict(decoded(prepared.data).getexif()) == {}


def test_a_gif_is_never_converted() -> None:
    animated = gif(3)
    assert getattr(Image.open(io.BytesIO(animated)), "n_frames", 1) == 3
    with pytest.raises(Unpreparable, match=r"does not convert a GIF \(an animation would be "
                                           r"lost\)"):
        prepare(animated, "image/gif", TELEGRAM)
    with pytest.raises(Unpreparable, match="GIF"):  # still too large for Bluesky: refused
        prepare(animated, "image/gif", replace(BLUESKY, max_image_bytes=100))
    assert prepare(animated, "image/gif", BLUESKY).data == animated  # taken: as it is


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + \
            struct.pack(">I", zlib.crc32(kind + body))

    # A 100000x100000 PNG header with one tiny compressed row: a few dozen bytes.
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000,
                                                             8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"\x00" * 301)) + chunk(b"IEND", b"")
    assert len(bomb) < 100
    with pytest.raises(Unpreparable, match="decompression bomb"):
        prepare(bomb, "image/png", INSTAGRAM)
    small = encode(noise(20, 20), "PNG")
    with pytest.raises(Unpreparable, match=r"20x20 is more than 100 pixels"):
        prepare(small, "image/png", INSTAGRAM, max_pixels=100)


def test_an_undecodable_image_is_refused() -> None:
    with pytest.raises(Unpreparable, match="cannot read the image"):
        prepare(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png", INSTAGRAM)


def test_telegram_width_plus_height_is_scaled_down() -> None:
    assert TELEGRAM.max_image_bytes == 10_000_000 and TELEGRAM.max_image_side_sum == 10_000
    rules = replace(TELEGRAM, max_image_side_sum=300)
    prepared = prepare(encode(noise(400, 200), "PNG"), "image/png", rules)
    assert prepared.width + prepared.height <= 300 and prepared.converted
    assert decoded(prepared.data).size == (prepared.width, prepared.height) == (200, 100)


def test_the_decision_validation_shares() -> None:
    assert cannot_fix("image/png", 3_000_000, BLUESKY) is None
    assert cannot_fix("image/webp", 100, INSTAGRAM) is None
    assert cannot_fix("image/gif", 100, TELEGRAM) is not None
    assert cannot_fix("image/gif", 100, BLUESKY) is None  # taken as it is
    assert cannot_fix("image/png", 10, replace(BLUESKY, mime_types=("image/gif",))) == \
        "cmops converts images only to JPEG or PNG, and it takes neither"


@settings(max_examples=40, deadline=None)
@given(width=st.integers(1, 48), height=st.integers(1, 48), seed=st.integers(0, 1000),
       fmt=st.sampled_from(["PNG", "JPEG", "WEBP"]), limit=st.integers(1500, 6000),
       network=st.sampled_from(["bluesky", "instagram", "telegram", "x", "linkedin"]))
def test_output_is_always_within_the_limit_and_decodable(
        width: int, height: int, seed: int, fmt: str, limit: int, network: str) -> None:
    rules = replace(NETWORKS[network].media, max_image_bytes=limit)
    source = encode(noise(width, height, seed), fmt)
    mime = f"image/{fmt.lower()}"
    prepared = prepare(source, mime, rules)
    assert len(prepared.data) <= limit
    assert prepared.mime in rules.mime_types
    assert sniff(prepared.data[:16]) == prepared.mime
    assert decoded(prepared.data).size == (prepared.width, prepared.height)
    assert not prepared.changed or prepared.data != source


# -- validation lets through what preparation fixes, and only that ---------------------------

def test_validation_refuses_only_what_preparation_cannot_fix(repo: Path) -> None:
    media = repo / "calendar/media"
    (media / "big.png").write_bytes(noisy_png())
    (media / "moving.gif").write_bytes(gif(3))
    (media / "shot.webp").write_bytes(encode(noise(20, 20), "WEBP"))
    write_post(repo, "big", "id: big\nchannels: [bsky]\npublish_at: 2026-11-24T09:00\n"
               "text: Big picture.\nmedia:\n  - path: calendar/media/big.png\n    alt: Noise\n")
    write_post(repo, "moving", "id: moving\nchannels: [insta]\npublish_at: 2026-11-24T09:00\n"
               "text: Moving.\nmedia:\n  - path: calendar/media/moving.gif\n    alt: Bars\n")
    # Instagram fetches the repository's own file from its public URL: nothing converts it.
    write_post(repo, "shot", "id: shot\nchannels: [insta]\npublish_at: 2026-11-24T09:00\n"
               "text: Shot.\nmedia:\n  - path: calendar/media/shot.webp\n    alt: Noise\n")
    report = validate(repo, use_cache=False)
    found = {(p.file, p.rule): p.message for p in report.errors}
    assert not [k for k in found if k[0].endswith("big.yaml")], found
    assert found[("calendar/posts/moving.yaml", "media.network-type")] == (
        "insta (instagram) does not take image/gif (it takes JPEG images, MP4, MOV videos)")
    assert ("calendar/posts/shot.yaml", "media.network-type") in found
    # The adapter, handed the files as they are, refuses what it would send unprepared.
    big = Attachment("calendar/media/big.png", "image/png", 3_005_000)
    assert NETWORKS["bluesky"].media_refusals([big], "bsky", prepares=True) == []
    assert [r.rule for r in NETWORKS["bluesky"].media_refusals([big], "bsky")] == [
        "media.network-size"]
    gif_on_telegram = Attachment("a.gif", "image/gif", 500)
    assert [r.message for r in NETWORKS["telegram"].media_refusals(
        [gif_on_telegram], "tg (telegram)", prepares=True)] == [
        "tg (telegram) does not take image/gif (it takes PNG, JPEG, WebP images, MP4 videos); "
        "cmops does not convert a GIF (an animation would be lost): use a PNG or JPEG"]


# -- the publisher sends the prepared bytes --------------------------------------------------

def test_bluesky_receives_the_prepared_image_with_its_aspect_ratio(repo: Path) -> None:
    source = noisy_png()
    (repo / "calendar/media/big.png").write_bytes(source)
    write_post(repo, "big", "id: big\nchannels: [bsky]\npublish_at: 2026-11-24T09:00\n"
               "text: Big picture.\nmedia:\n  - path: calendar/media/big.png\n    alt: Noise\n")
    with FakeBluesky(password="app-pass").running() as fake:
        text = (repo / "calendar/channels.yaml").read_text("utf-8")
        (repo / "calendar/channels.yaml").write_text(text.replace(
            "    network: bluesky\n", f"    network: bluesky\n    server: {fake.url}\n"),
            "utf-8")
        calendar, report = load_calendar(repo, use_cache=False)
        assert report.ok, [p.message for p in report.problems]
        store = LocalStore(repo / ".cmops/state")
        factory = adapter_factory(repo, calendar, Redactor(),
                                  {"BSKY_ID": "brand.test", "BSKY_PASSWORD": "app-pass"})
        try:
            result = Publisher(repo, calendar, store, factory,
                               Options(NOW, budget=600, backoff=Backoff(base=1, cap=8,
                                                                        attempts=2)),
                               sleep=lambda s: None).run()
        finally:
            store.close()
        assert {o.key: o.state for o in result.outcomes} == {"big/bsky": "published"}, \
            [o.error for o in result.outcomes]
        expected = prepare(source, "image/png", BLUESKY)
        assert list(fake.blobs.values()) == [("image/jpeg", expected.data)]
        image = next(iter(fake.records.values()))["value"]["embed"]["images"][0]
        assert image["aspectRatio"] == {"width": 1000, "height": 1000}
        assert image["alt"] == "Noise"
    # written once, named by its hash, beside the untouched original
    cached = list((repo / PREPARED_DIR).iterdir())
    assert [p.read_bytes() for p in cached] == [expected.data]
    assert cached[0].suffix == ".jpg"
    assert (repo / "calendar/media/big.png").read_bytes() == source


def test_the_bluesky_fake_refuses_a_bad_aspect_ratio() -> None:
    with FakeBluesky().running() as fake:
        def check(ratio: object) -> str:
            try:
                fake._check_aspect(ratio, ValueError)
            except ValueError as exc:
                return str(exc)
            return "ok"

        assert check({"width": 3, "height": 2}) == "ok"
        for bad in ({"width": 0, "height": 2}, {"width": 3}, {"width": 1.5, "height": 1},
                    {"width": True, "height": 1}, {"width": 1, "height": 1, "x": 1}, [3, 2]):
            assert check(bad) != "ok", bad


def test_an_image_that_cannot_be_prepared_is_not_sent(repo: Path) -> None:
    """Bytes that only look like a PNG: validation decodes images as the publisher does and
    refuses it; the publisher, given it anyway, cannot decode it either and reports the item
    invalid, sending nothing."""
    (repo / "calendar/media/broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 2_000_000)
    write_post(repo, "broken", "id: broken\nchannels: [news]\npublish_at: 2026-11-24T09:00\n"
               "text: Broken.\nmedia:\n  - path: calendar/media/broken.png\n    alt: None\n")
    calendar, report = load_calendar(repo, use_cache=False)
    assert [(p.rule, p.message) for p in report.problems] == [(
        "media.image-unreadable", "'calendar/media/broken.png' cannot be sent to news "
        "(outbox): cannot read the image: Pillow does not recognise its content (damaged, "
        "or not what its first bytes say)")]
    store = LocalStore(repo / ".cmops/state")
    try:
        result = Publisher(repo, calendar, store, adapter_factory(repo, calendar, Redactor(),
                                                                  {}),
                           Options(NOW, budget=600), sleep=lambda s: None).run()
    finally:
        store.close()
    [outcome] = result.outcomes
    assert outcome.state == "invalid"
    assert (outcome.error or "").startswith(
        "not sent: the post has errors: calendar/posts/broken.yaml:7:11: media[0].path: "
        "'calendar/media/broken.png' cannot be sent to news (outbox): cannot read the image")
    assert (outcome.error or "").endswith("[media.image-unreadable]")
    assert not (repo / "outbox").exists() or not any((repo / "outbox").rglob("*.json"))


# -- the plan and the site say what each network receives -------------------------------------

def test_the_plan_shows_the_converted_size(run: Runner, repo: Path) -> None:
    (repo / "calendar/media/big.png").write_bytes(noisy_png())
    write_post(repo, "big", "id: big\nchannels: [bsky, news]\npublish_at: 2026-11-24T09:00\n"
               "text: Big picture.\nmedia:\n  - path: calendar/media/big.png\n    alt: Noise\n")
    expected = prepare(noisy_png(), "image/png", BLUESKY).describe()
    assert note(repo, "calendar/media/big.png", "bluesky") == expected
    assert note(repo, "calendar/media/big.png", "outbox") is None  # as it is
    at = ("--at", "2026-11-24T08:00+01:00")
    data = json_out(run("plan", *at, "--format", "json", root=repo))
    media = {i["channel"]: i["parts"][0]["media"] for i in data["items"]}
    assert media == {
        "bsky": [{"path": "calendar/media/big.png", "alt": "Noise", "prepared": expected}],
        "news": [{"path": "calendar/media/big.png", "alt": "Noise", "prepared": None}]}
    text = run("plan", *at, root=repo).output
    assert f"calendar/media/big.png → {expected}" in text
    markdown = run("plan", *at, "--format", "markdown", root=repo).output
    escaped = expected.replace("(", "\\(").replace(")", "\\)")  # Markdown-inline escaped
    assert f"alt: Noise; bsky gets {escaped}\n" in markdown


def test_the_site_shows_what_each_network_receives(repo: Path) -> None:
    (repo / "calendar/media/big.png").write_bytes(noisy_png())
    write_post(repo, "big", "id: big\nchannels: [bsky, news]\npublish_at: 2026-11-24T09:00\n"
               "text: Big picture.\nmedia:\n  - path: calendar/media/big.png\n    alt: Noise\n")
    expected = prepare(noisy_png(), "image/png", BLUESKY).describe()
    generated = generate_site(repo, NOW)
    pages = [rel for rel, data in generated.files.items() if b"cm-prepared" in data]
    assert pages, "no page shows the prepared media"
    page = generated.files[pages[0]].decode("utf-8")
    assert f'<span class="cm-prepared">bsky&#58; {expected}</span>' in page  # safe_text
    assert page.count('class="cm-prepared"') == 1  # the outbox gets the file as it is


def test_dimensions_read_the_header_and_the_orientation() -> None:
    assert dimensions(encode(noise(30, 20), "PNG")) == (30, 20)
    assert dimensions(phone_photo()) == (20, 40)
    assert dimensions(b"not an image") is None


def test_note_on_a_network_that_fetches_the_file_itself(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(encode(noise(8, 8), "PNG"))
    assert note(tmp_path, "a.png", "instagram") is None
    assert note(tmp_path, "a.png", "no-such-network") is None
    assert partial(note, tmp_path)("missing.png", "bluesky") is None
