"""Videos judged by what the file says of itself (issue 18): duration, size as displayed,
frame rate and codec are read with MediaInfo (cmops.probe) at the edges, validation and the
publisher's last check, and each network's stated limits refuse what it would refuse."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest
from pymediainfo import MediaInfo
from tests.conftest import Runner

from cmops.adapters import MediaFile, Outgoing, Rejected
from cmops.adapters.base import refuse_unsendable
from cmops.probe import video_facts
from cmops.rules.media import sniff
from cmops.text.limits import NETWORKS, Attachment, MediaRules, NetworkRules, VideoFacts
from cmops.workspace import media_info

MEDIA = Path(__file__).parent / "media"


@pytest.mark.parametrize(("name", "facts"), [
    ("vertical-3s.mp4", VideoFacts(3.0, 360, 640, 30.0, "AVC")),
    ("landscape-2s.mp4", VideoFacts(2.0, 320, 180, 24.0, "AVC")),
    ("square-60fps-1s.mp4", VideoFacts(1.0, 64, 64, 60.0, "AVC")),
    ("long-200s.mp4", VideoFacts(200.0, 32, 32, 1.0, "AVC")),
    ("landscape-1s.webm", VideoFacts(1.0, 64, 36, 25.0, "VP9")),
])
def test_probe_reads_each_fixture(name: str, facts: VideoFacts) -> None:
    assert video_facts(MEDIA / name) == facts


def test_a_rotated_video_is_measured_as_displayed() -> None:
    # The same 320x180 stream as landscape-2s.mp4, with a display matrix turning it a
    # quarter: MediaInfo reports the rotation, the probe swaps the sides.
    track = MediaInfo.parse(MEDIA / "rotated-90.mp4").video_tracks[0]
    assert (track.width, track.height) == (320, 180)
    assert float(track.rotation) in (90.0, 270.0, -90.0)
    assert video_facts(MEDIA / "rotated-90.mp4") == VideoFacts(2.0, 180, 320, 24.0, "AVC")


def test_garbage_truncated_and_missing_files_give_none(tmp_path: Path) -> None:
    whole = (MEDIA / "landscape-2s.mp4").read_bytes()
    cases = {
        "garbage.mp4": b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4,
        "header-only.mp4": whole[:200],  # cut inside the moov box: no track at all
        "cut-in-data.mp4": whole[:6000],  # moov whole, media data cut: MediaInfo flags it
        "text.mp4": b"not a video at all\n",
        "empty.mp4": b"",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert video_facts(tmp_path / name) is None, name
    assert video_facts(tmp_path / "absent.mp4") is None
    assert video_facts(tmp_path) is None  # a directory


def test_a_rewritten_file_is_read_again(tmp_path: Path) -> None:
    # rotated-90.mp4 and landscape-2s.mp4 have the same size: only the mtime tells them apart.
    clip = tmp_path / "clip.mp4"
    shutil.copyfile(MEDIA / "landscape-2s.mp4", clip)
    assert video_facts(clip) == VideoFacts(2.0, 320, 180, 24.0, "AVC")
    shutil.copyfile(MEDIA / "rotated-90.mp4", clip)
    stat = clip.stat()
    os.utime(clip, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert clip.stat().st_size == (MEDIA / "landscape-2s.mp4").stat().st_size
    assert video_facts(clip) == VideoFacts(2.0, 180, 320, 24.0, "AVC")


def test_sniff_knows_webm_and_quicktime_and_leaves_images_alone() -> None:
    assert sniff((MEDIA / "landscape-1s.webm").read_bytes()[:16]) == "video/webm"
    assert sniff((MEDIA / "vertical-3s.mp4").read_bytes()[:16]) == "video/mp4"
    assert sniff(b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00") == "video/quicktime"
    assert sniff(b"\x00\x00\x00\x14ftypqtxx\x00\x00\x02\x00") == "video/mp4"
    assert sniff(b"\x89PNG\r\n\x1a\n" + bytes(8)) == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0" + bytes(12)) == "image/jpeg"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff(b"\x1a\x45\xdf") is None


def test_media_info_reads_videos_and_not_images(tmp_path: Path) -> None:
    shutil.copyfile(MEDIA / "vertical-3s.mp4", tmp_path / "clip.mp4")
    (tmp_path / "fake.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(40))
    (tmp_path / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    info = media_info(tmp_path, ["clip.mp4", "fake.mp4", "pic.png"])
    assert info["clip.mp4"].video == VideoFacts(3.0, 360, 640, 30.0, "AVC")
    assert info["fake.mp4"].mime == "video/mp4"
    assert info["fake.mp4"].video is None
    assert info["pic.png"].video is None


def limited(**limits: object) -> NetworkRules:
    """A network taking MP4 and WebM videos, with the given video limits."""
    media = MediaRules(4, None, None, ("video/mp4", "video/webm"), alt_text=True)
    return NetworkRules("demo", 500, "characters", len,
                        dataclasses.replace(media, **limits), threads=False)  # type: ignore[arg-type]


def refusals(rules: NetworkRules, name: str) -> list[tuple[str, str]]:
    path = MEDIA / name
    mime = sniff(path.read_bytes()[:16])
    item = Attachment(f"media/{name}", mime, path.stat().st_size, video=video_facts(path))
    return [(r.rule, r.message) for r in rules.media_refusals([item], "ch (demo)")]


def test_video_limits_refuse_what_the_network_refuses() -> None:
    assert refusals(limited(max_video_seconds=180), "long-200s.mp4") == [(
        "media.video-duration", "'media/long-200s.mp4' lasts 200.0 s; ch (demo) takes at "
        "most 180 s")]
    assert refusals(limited(min_video_seconds=3), "landscape-2s.mp4") == [(
        "media.video-duration", "'media/landscape-2s.mp4' lasts 2.0 s; ch (demo) takes at "
        "least 3 s")]
    assert refusals(limited(video_aspect=(9 / 16, 16 / 9)), "long-200s.mp4") == []
    assert refusals(limited(video_aspect=(1.0, 16 / 9)), "vertical-3s.mp4") == [(
        "media.video-aspect", "'media/vertical-3s.mp4' is 360x640 (aspect 0.56); ch (demo) "
        "takes an aspect ratio between 1.00 and 1.78")]
    assert refusals(limited(video_aspect=(1.0, 16 / 9)), "rotated-90.mp4") == [(
        "media.video-aspect", "'media/rotated-90.mp4' is 180x320 (aspect 0.56); ch (demo) "
        "takes an aspect ratio between 1.00 and 1.78")]
    assert refusals(limited(max_video_width=200), "landscape-2s.mp4") == [(
        "media.video-dimensions", "'media/landscape-2s.mp4' is 320x180; ch (demo) takes at "
        "most 200 pixels a side")]
    assert refusals(limited(max_video_fps=30), "square-60fps-1s.mp4") == [(
        "media.video-fps", "'media/square-60fps-1s.mp4' runs at 60 frames a second; ch (demo) "
        "takes at most 30")]
    assert refusals(limited(max_video_fps=30), "vertical-3s.mp4") == []
    assert refusals(limited(video_codecs=("AVC", "HEVC")), "landscape-1s.webm") == [(
        "media.video-codec", "'media/landscape-1s.webm' is encoded as VP9; ch (demo) takes "
        "AVC, HEVC")]
    assert refusals(limited(video_codecs=("AVC", "HEVC")), "vertical-3s.mp4") == []


def test_a_video_whose_metadata_cannot_be_read_is_refused_where_limits_are_stated() -> None:
    item = Attachment("media/clip.mp4", "video/mp4", 48, video=None)
    assert [(r.rule, r.message) for r in limited(max_video_seconds=180).media_refusals(
        [item], "ch (demo)")] == [(
            "media.video-unreadable", "cannot read 'media/clip.mp4' as a video (duration, "
            "size, codec), which ch (demo) needs checked")]
    assert limited().media_refusals([item], "ch (demo)") == []  # nothing stated to check


def test_the_publisher_refuses_what_validation_refuses(tmp_path: Path) -> None:
    # Parity: refuse_unsendable probes the file it is handed, as validation did.
    clip = tmp_path / "long.mp4"
    shutil.copyfile(MEDIA / "long-200s.mp4", clip)
    out = Outgoing("p/ch", "p", "ch", 0, 1, "A long one", "d1",
                   media=(MediaFile(clip, "media/long.mp4", "A clock"),))
    with pytest.raises(Rejected) as caught:
        refuse_unsendable(limited(max_video_seconds=180), out)
    assert str(caught.value) == ("not sent: 'media/long.mp4' lasts 200.0 s; ch (demo) takes "
                                 "at most 180 s")
    refuse_unsendable(limited(max_video_seconds=240), out)  # within the limit: no error


# Real networks whose own entry states a duration limit a 200 s video breaks (none is
# monkeypatched: the declaration is the one validate and publish read).
LIMITED = [name for name, rules in NETWORKS.items()
           if "video/mp4" in rules.media.mime_types and not rules.fetches_media
           and rules.media.max_video_seconds is not None
           and rules.media.max_video_seconds < 200]


@pytest.mark.parametrize("network", LIMITED)
def test_validate_names_file_line_and_field_of_a_video_too_long(
        run: Runner, repo: Path, network: str) -> None:
    channels = repo / "calendar/channels.yaml"
    channels.write_text(channels.read_text("utf-8").replace(
        "channels:\n", f"channels:\n  clipch:\n    network: {network}\n", 1), "utf-8")
    shutil.copyfile(MEDIA / "long-200s.mp4", repo / "calendar/media/long.mp4")
    (repo / "calendar/posts/long.yaml").write_text(
        "id: long\npublish_at: 2027-03-02T09:30\nchannels: [clipch]\nstatus: ready\n"
        "text: A slow clock\nmedia:\n  - path: calendar/media/long.mp4\n"
        "    alt: A clock ticking\n", "utf-8")
    result = run("validate", "--no-cache", root=repo)
    most = f"{NETWORKS[network].media.max_video_seconds:g}"
    assert result.exit_code == 1, result.output
    assert ("calendar/posts/long.yaml:7:11: error: media[0].path: 'calendar/media/long.mp4' "
            f"lasts 200.0 s; clipch ({network}) takes at most {most} s [media.video-duration]"
            ) in result.output
