"""What validate and plan say of a TikTok post: an unaudited app posts privately (a warning
naming the channel), TikTok's fields are refused elsewhere and where they do not apply,
branded content is never private, and the plan shows the fields that will be sent."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import Runner, json_out

MEDIA = Path(__file__).parent / "media"
JPEG = (MEDIA.parent / "examples/parity/calendar/media/halo.jpg")


def tiktok_repo(repo: Path, audited: bool, variant: str, *, channels: str = "[tt]",
                video: bool = False) -> None:
    with (repo / "calendar/channels.yaml").open("a", encoding="utf-8") as file:
        file.write(f"  tt:\n    network: tiktok\n    audited: {str(audited).lower()}\n"
                   "    media_base_url: https://media.example.org/\n"
                   "    secrets:\n      token: TIKTOK_TOKEN\n")
    if video:
        shutil.copy(MEDIA / "vertical-3s.mp4", repo / "calendar/media/clip.mp4")
        media = "calendar/media/clip.mp4"
    else:
        shutil.copy(JPEG, repo / "calendar/media/halo.jpg")
        media = "calendar/media/halo.jpg"
    (repo / "calendar/posts/tt.yaml").write_text(
        f"id: tt\npublish_at: 2027-03-02T09:30\nchannels: {channels}\nstatus: ready\n"
        f"text: Our rear light, blinking\nmedia:\n  - path: {media}\n"
        f"    alt: A rear light under a saddle\nvariants:\n{variant}", "utf-8")


def findings(run: Runner, repo: Path) -> list[tuple[str, str, str]]:
    result = run("validate", "--format", "json", root=repo)
    data = json_out(result)
    return [(p["rule"], kind, p["message"]) for kind in ("error", "warning")
            for p in data[f"{kind}s"] if p["file"] == "calendar/posts/tt.yaml"]


def test_an_unaudited_app_is_said_to_post_privately(run: Runner, repo: Path) -> None:
    tiktok_repo(repo, False, "  tt:\n    privacy_level: PUBLIC_TO_EVERYONE\n")
    assert findings(run, repo) == [(
        "tiktok.private", "warning", "tt (tiktok): will be posted privately (not "
        "PUBLIC_TO_EVERYONE): the app is not audited (set audited: true on the channel once "
        "TikTok has audited it)")]
    assert run("validate", root=repo).exit_code == 0


def test_an_audited_app_with_its_fields_is_clean_and_the_plan_shows_them(
        run: Runner, repo: Path) -> None:
    tiktok_repo(repo, True, "  tiktok:\n    privacy_level: MUTUAL_FOLLOW_FRIENDS\n"
                "    title: Halo\n    brand_organic_toggle: true\n")
    assert findings(run, repo) == []
    plan = run("plan", "--at", "2027-03-01T00:00Z", root=repo)
    assert plan.exit_code == 0, plan.output
    line = next(x for x in plan.output.splitlines() if "tt " in x or x.strip().startswith("tt"))
    for shown in ("privacy_level: MUTUAL_FOLLOW_FRIENDS", "title: Halo",
                  "brand_organic_toggle: true"):
        assert shown in line, line


def test_branded_content_cannot_be_private(run: Runner, repo: Path) -> None:
    tiktok_repo(repo, False, "  tt:\n    brand_content_toggle: true\n")
    assert findings(run, repo) == [(
        "variant.tiktok", "error", "branded content cannot be private on TikTok, and the app "
        "is not audited, so TikTok posts it privately on tt")]


def test_tiktok_fields_elsewhere_and_where_they_do_not_apply_are_refused(
        run: Runner, repo: Path) -> None:
    tiktok_repo(repo, True, "  tt:\n    disable_duet: true\n  news:\n"
                "    disable_comment: true\n", channels="[tt, news]")
    assert sorted(findings(run, repo)) == [
        ("variant.tiktok", "error", "disable_comment is for TikTok channels only, not news "
         "(outbox)"),
        ("variant.tiktok", "error", "disable_duet does not apply to photos on tt (tiktok)")]


def test_a_video_takes_no_title(run: Runner, repo: Path) -> None:
    tiktok_repo(repo, True, "  tt:\n    title: Halo\n", video=True)
    assert findings(run, repo) == [
        ("variant.tiktok", "error", "title does not apply to a video on tt (tiktok)")]
