"""YouTube's post fields as validate and the plan see them (cmops.rules.youtube,
cmops.planview's quota line): a title required, fields refused on other networks, a Short's
shape read from the file, the unaudited project's warning, and the day's quota in the plan."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Runner, json_out

MEDIA = Path(__file__).parent / "media"
CHANNEL = """
  yt:
    network: youtube
    daily_quota: 3000
    secrets:
      token: YT_TOKEN
"""


def post(repo: Path, name: str, variants: str, *, video: str = "vertical-3s.mp4",
         at: str = "2027-03-02T09:30", channels: str = "yt") -> None:
    channels_file = repo / "calendar/channels.yaml"
    if "  yt:" not in channels_file.read_text("utf-8"):
        channels_file.write_text(channels_file.read_text("utf-8") + CHANNEL, "utf-8")
    (repo / "calendar/media" / video).write_bytes((MEDIA / video).read_bytes())
    (repo / f"calendar/posts/{name}.yaml").write_text(
        f"id: {name}\npublish_at: {at}\nchannels: [{channels}]\nstatus: ready\n"
        f"text: Our rear light, blinking\nmedia:\n  - path: calendar/media/{video}\n"
        "    alt: A rear light blinking under a saddle\n"
        f"variants:\n{variants}", "utf-8")


def findings(run: Runner, repo: Path) -> list[str]:
    result = run("validate", "--format", "json", root=repo)
    found = json_out(result)
    return [f"{p['rule']}: {p['message']}" for p in found["errors"] + found["warnings"]]


def test_a_video_needs_a_title_and_an_unaudited_project_makes_it_private(
        run: Runner, repo: Path) -> None:
    post(repo, "clip", "  yt:\n    privacy: unlisted\n")
    assert findings(run, repo) == [
        "variant.youtube: a YouTube video needs a title: give the variant for youtube or yt "
        "a title:",
        "youtube.private: yt (youtube): the API project is not audited (audited: true not "
        "set), so YouTube makes this unlisted video private"]


def test_youtube_fields_are_refused_on_another_network(run: Runner, repo: Path) -> None:
    post(repo, "clip", "  yt:\n    title: Blink\n    privacy: private\n"
                       "  bsky:\n    tags: [light]\n", channels="yt, bsky")
    assert findings(run, repo) == [
        "variant.youtube: tags is for YouTube channels only, not bsky (bluesky)"]


def test_a_short_must_be_square_or_taller_and_at_most_three_minutes(
        run: Runner, repo: Path) -> None:
    post(repo, "wide", "  youtube:\n    title: Wide\n    short: true\n    privacy: private\n",
         video="landscape-2s.mp4")
    post(repo, "long", "  youtube:\n    title: Long\n    short: true\n    privacy: private\n",
         video="long-200s.mp4")
    post(repo, "fine", "  youtube:\n    title: Fine\n    short: true\n    privacy: private\n")
    got = findings(run, repo)
    assert [f for f in got if "Short" in f] == [
        "variant.youtube: a Short lasts at most 3 minutes: 'calendar/media/long-200s.mp4' "
        "lasts 200 s",
        "variant.youtube: a Short is square or taller: 'calendar/media/landscape-2s.mp4' is "
        "320x180"]


def test_titles_tags_and_descriptions_within_youtube_limits(run: Runner, repo: Path) -> None:
    tags = ", ".join(f"tag{n:03d}" for n in range(70))  # 70 x 6 + 69 commas = 489
    post(repo, "clip", f"  yt:\n    title: \"{'T' * 101}\"\n    tags: [{tags}]\n"
                       "    privacy: private\n    thumbnail: calendar/media/cover.gif\n")
    assert findings(run, repo) == [
        "variant.youtube: a YouTube title is at most 100 characters, without < or >; this "
        "one has 101 on yt (youtube)",
        "variant.youtube: 512/500 characters of tags on yt (youtube) (cmops's marker tag "
        "takes 23 of them)",
        "variant.youtube: a YouTube thumbnail is a JPEG or PNG in the repository, at most "
        "2 MB: 'calendar/media/cover.gif' is not"]


def test_the_plan_shows_the_day_s_quota(run: Runner, repo: Path) -> None:
    post(repo, "one", "  yt:\n    title: One\n    privacy: private\n")
    post(repo, "two", "  yt:\n    title: Two\n    privacy: private\n"
                      "    thumbnail: calendar/media/cover.jpg\n", at="2027-03-02T11:30")
    (repo / "calendar/media/cover.jpg").write_bytes(b"\xff\xd8\xff" + bytes(64))
    result = run("plan", "--at", "2027-03-01T00:00Z", root=repo)
    lines = [line.strip() for line in result.output.splitlines() if "quota" in line]
    assert [line[line.index("quota"):] for line in lines] == [
        "quota: 1,600 of 3,000 units/day; 1 media; 24/5000 UTF-8 bytes",
        "quota: 3,250 of 3,000 units/day (over by 250: the rest waits for the next day); "
        "1 media; 24/5000 UTF-8 bytes"]
    items = json_out(run("plan", "--at", "2027-03-01T00:00Z", "--format", "json", root=repo))
    assert [i["quota"] for i in items["items"] if i["channel"] == "yt"] == [1600, 3250]
