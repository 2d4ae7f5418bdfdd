"""One declaration per network (cmops.text.limits.NETWORKS) says what its adapter can send and
what it needs; validation, the adapters and `publish --dry-run` all read it (issue 16,
observation 5): a video passed validate and plan for Instagram, X, Bluesky and Threads and was
refused at publish time; a secret role no adapter reads passed; a dry run said "due" for
channels whose credentials were not set."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Runner, json_out
from tests.fakes.rigs import RIGS, build
from tests.helpers import EXTRA_CHANNELS

from cmops.adapters import ADAPTERS, MediaFile, Outgoing, Rejected
from cmops.probe import video_facts
from cmops.text.limits import NETWORKS, Attachment

MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(40)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)



def test_every_adapter_checks_the_declaration_validation_reads() -> None:
    assert {name: cls.rules for name, cls in ADAPTERS.items()} == {  # type: ignore[attr-defined]
        name: NETWORKS[name] for name in ADAPTERS}
    assert all(ADAPTERS[name].rules is NETWORKS[name]  # type: ignore[attr-defined]
               for name in ADAPTERS)


def test_first_comments_are_declared_where_cmops_sends_them() -> None:
    # Issue 18: a reply to the main post, or a comment on it; Telegram and Discord have none,
    # nor YouTube as cmops sends there (a comment, commentThreads.insert, is not sent yet),
    # nor TikTok (its API posts, it does not comment), nor Google Business Profile (local
    # posts have no comments).
    assert [name for name, rules in NETWORKS.items() if not rules.first_comment] == [
        "discord", "pinterest", "telegram", "youtube", "tiktok", "google_business"]


MEDIA = Path(__file__).parent / "media"


def video_post(repo: Path, channel: str, video: bytes = MP4) -> None:
    (repo / "calendar/channels.yaml").write_text(
        (repo / "calendar/channels.yaml").read_text("utf-8") + EXTRA_CHANNELS, "utf-8")
    (repo / "calendar/media/clip.mp4").write_bytes(video)
    (repo / "calendar/posts/clip.yaml").write_text(
        f"id: clip\npublish_at: 2027-03-02T09:30\nchannels: [{channel}]\nstatus: ready\n"
        "text: Our rear light, blinking\nmedia:\n  - path: calendar/media/clip.mp4\n"
        "    alt: A rear light blinking under a saddle\n", "utf-8")


VIDEO_LIMITED = [name for name, rules in NETWORKS.items() if rules.media.max_video_seconds]


@pytest.mark.parametrize(("channel", "network"), [
    ("insta", "instagram"), ("xch", "x"), ("th", "threads"), ("bsky", "bluesky"),
    ("li", "linkedin"), ("fb", "facebook")])
def test_validate_and_plan_refuse_a_video_whose_facts_cannot_be_read(
        run: Runner, repo: Path, channel: str, network: str) -> None:
    # A network that limits duration, size or codec gets no video on a guess: an MP4 header
    # with nothing behind it is refused, by validate and by plan alike.
    assert network in VIDEO_LIMITED
    video_post(repo, channel)
    result = run("validate", root=repo)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"calendar/posts/clip.yaml:7:11: error: media[0].path: cannot read "
        f"'calendar/media/clip.mp4' as a video (duration, size, codec), which {channel} "
        f"({network}) needs checked [media.video-unreadable]")
    plan = run("plan", "--at", "2027-03-01T00:00Z", "--format", "json", root=repo)
    [item] = json_out(plan)["items"]
    assert item["state"] == "invalid"
    assert "media.video-unreadable" in item["reason"]


def test_a_video_longer_than_the_network_takes_is_refused(run: Runner, repo: Path) -> None:
    video_post(repo, "bsky", (MEDIA / "long-200s.mp4").read_bytes())
    result = run("validate", root=repo)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "calendar/posts/clip.yaml:7:11: error: media[0].path: 'calendar/media/clip.mp4' "
        "lasts 200.0 s; bsky (bluesky) takes at most 180 s [media.video-duration]")


@pytest.mark.parametrize("channel", ["masto", "tg", "hook", "news", "bsky", "xch", "insta",
                                     "th", "li", "fb"])
def test_a_video_passes_where_the_adapter_sends_it(run: Runner, repo: Path,
                                                   channel: str) -> None:
    # A real 3 s, 360x640, 30 fps H.264 clip: within every network's declared limits.
    video_post(repo, channel, (MEDIA / "vertical-3s.mp4").read_bytes())
    result = run("validate", root=repo)
    assert result.exit_code == 0, result.output


def refused_media(network: str, tmp_path: Path) -> tuple[MediaFile, ...]:
    """Media the network's declaration refuses: one image more than a post takes or, where
    there is no count limit, one video more than a post takes."""
    rules = NETWORKS[network].media
    if rules.max_count is None:
        assert rules.max_videos is not None, f"{network}: nothing to refuse"
        (tmp_path / "clip.mp4").write_bytes((MEDIA / "vertical-3s.mp4").read_bytes())
        return tuple(MediaFile(tmp_path / "clip.mp4", "media/clip.mp4", "A clip")
                     for _ in range(rules.max_videos + 1))
    (tmp_path / "a.png").write_bytes(PNG)
    return tuple(MediaFile(tmp_path / "a.png", "media/a.png", "A light")
                 for _ in range(rules.max_count + 1))


@pytest.mark.parametrize("network", sorted(RIGS))
def test_the_adapter_refuses_what_its_declaration_refuses_before_sending(
        network: str, tmp_path: Path) -> None:
    rig = RIGS[network]
    media = refused_media(network, tmp_path)
    declared = NETWORKS[network].media_refusals(
        [Attachment(m.rel, "video/mp4" if m.rel.endswith(".mp4") else "image/png",
                    m.path.stat().st_size, m.alt, video_facts(m.path)) for m in media],
        f"{network}-main ({network})")
    assert declared
    with rig.fake() as fake:
        adapter = build(network, fake, tmp_path)
        out = Outgoing(f"p/{network}-main", "p", f"{network}-main", 0, 1, "With media",
                       adapter.new_dedupe("p/c", 0, NOW), media, published_at=NOW)
        with pytest.raises(Rejected) as caught:
            adapter.publish(out)
        adapter.close()
        assert str(caught.value) == "not sent: " + "; ".join(r.message for r in declared)
        assert rig.sent(fake) == 0
        assert getattr(fake, "requests", []) == []


def test_an_unknown_secret_role_is_an_error_at_its_line(run: Runner, repo: Path) -> None:
    channels = repo / "calendar/channels.yaml"
    channels.write_text(channels.read_text("utf-8") + (
        "  fb:\n    network: facebook\n    account: '1234'\n    secrets:\n"
        "      token: FB_TOKEN\n"), "utf-8")
    line = channels.read_text("utf-8").splitlines().index("      token: FB_TOKEN") + 1
    result = run("validate", root=repo)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"calendar/channels.yaml:{line}:7: error: channels.fb.secrets.token: facebook does not "
        "read a secret 'token' (did you mean 'page_token'?): it reads page_token "
        "[channel.unknown-secret]")


def due_post(repo: Path) -> None:
    (repo / "calendar/posts/due.yaml").write_text(
        "id: due\nstatus: ready\nchannels: [news, masto, bsky]\npublish_at: 2026-11-24T09:30\n"
        "text: Hello\n", "utf-8")


def test_a_dry_run_marks_channels_whose_secrets_are_not_set(
        run: Runner, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MASTO_TOKEN", "BSKY_ID", "BSKY_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BSKY_ID", "brand.test")
    monkeypatch.setenv("BSKY_PASSWORD", "app-pass-canary-0123")
    due_post(repo)
    result = run("publish", "--at", "2026-11-24T09:00Z", "--dry-run", "--format", "json",
                 root=repo)
    assert result.exit_code == 1
    data: dict[str, Any] = json_out(result)
    assert {o["channel"]: (o["state"], o["error"]) for o in data["outcomes"]} == {
        "news": ("due", None),
        "bsky": ("due", None),
        "masto": ("not_configured",
                  "channel masto: environment variable(s) not set: token (MASTO_TOKEN)")}
    assert not (repo / ".cmops/state").exists()
    text = run("publish", "--at", "2026-11-24T09:00Z", "--dry-run", root=repo).stdout
    assert text.splitlines()[3] == (f"{'not_configured':<14} {'due/masto':<44} channel masto: "
                                    "environment variable(s) not set: token (MASTO_TOKEN)")
    assert text.splitlines()[-1] == "2 due, 1 not configured"


def test_a_dry_run_with_every_secret_set_is_all_due(
        run: Runner, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("MASTO_TOKEN", "masto-canary-0123"), ("BSKY_ID", "brand.test"),
                        ("BSKY_PASSWORD", "app-pass-canary-0123")):
        monkeypatch.setenv(name, value)
    due_post(repo)
    result = run("publish", "--at", "2026-11-24T09:00Z", "--dry-run", "--format", "json",
                 root=repo)
    assert result.exit_code == 0, result.output
    assert [o["state"] for o in json_out(result)["outcomes"]] == ["due"] * 3
