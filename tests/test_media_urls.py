"""Instagram and Threads fetch media from the report's site (issue 18): the public path of a
prepared file (:mod:`cmops.mediaurls`), ``cmops report`` writing the prepared file there,
the adapter naming the same URL and waiting until it answers, and ``media_layout:
repository`` keeping the repository path."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from tests.conftest import Runner, json_out
from tests.fakes.graph import FakeGraph
from tests.fakes.loopback import running

from cmops import mediaurls
from cmops.adapters import ChannelContext, MediaFile, Outgoing, Transient
from cmops.adapters.instagram import InstagramAdapter, UrlProbe
from cmops.adapters.threads import ThreadsAdapter
from cmops.prepare import prepare
from cmops.report import generate
from cmops.report.writer import write_site
from cmops.secrets import Redactor
from cmops.text.limits import NETWORKS
from cmops.validate import load_calendar

BASE = "https://example-owner.github.io/content/report/"
"""The channel's media_base_url: the Pages site, where ``cmops report`` writes docs/report."""
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CLIP = Path(__file__).parent / "media" / "vertical-3s.mp4"


class PagesSite:
    """A static site on 127.0.0.1 standing in for GitHub Pages serving the built report
    (docs.github.com/en/pages/getting-started-with-github-pages/about-github-pages: static
    files as they are, 404 for anything else, no directory listing): ``HEAD`` and ``GET``
    with ``Content-Length``, a one-range ``Range: bytes=a-b`` answered 206 with
    ``Content-Range``. ``head_refused`` answers HEAD 405, as some hosts in front of a site
    do. Every request is kept (method, path, Range)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.head_refused = False
        self.requests: list[tuple[str, str, str | None]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:
                site.answer(self, body=False)

            def do_GET(self) -> None:
                site.answer(self, body=True)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def answer(self, h: BaseHTTPRequestHandler, *, body: bool) -> None:
        wanted = h.headers.get("Range")
        self.requests.append((h.command, h.path, wanted))
        file = self.root / h.path.lstrip("/")
        if not body and self.head_refused:
            status, data, headers = 405, b"", {"Allow": "GET"}
        elif ".." in h.path or not file.is_file():
            status, data, headers = 404, b"not found", {}
        else:
            status, data, headers = 200, file.read_bytes(), {}
            if wanted and wanted.startswith("bytes=") and body:
                first, _, last = wanted[6:].partition("-")
                end = min(int(last), len(data) - 1)
                headers = {"Content-Range": f"bytes {first}-{end}/{len(data)}"}
                status, data = 206, data[int(first):end + 1]
        h.send_response(status)
        h.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            h.send_header(name, value)
        h.end_headers()
        if body:
            h.wfile.write(data)

    def running(self) -> Any:
        return running(self.server)


def png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_with_gps() -> bytes:
    """A phone photo: a JPEG carrying EXIF (a GPS block), which must not reach the site."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 200)).save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def content(root: Path, files: dict[str, bytes], posts: dict[str, tuple[str, str]],
            layout: str = "prepared") -> Path:
    """A content repository: Instagram, Threads (both ``media_layout``), Mastodon and an
    outbox channel; ``posts``: id -> (channels, media path)."""
    (root / "calendar/posts").mkdir(parents=True)
    (root / "calendar/channels.yaml").write_text(
        "timezone: Europe/Paris\nchannels:\n  news:\n    network: outbox\n"
        "  masto:\n    network: mastodon\n    server: https://mastodon.example\n"
        "    secrets:\n      token: MASTO_TOKEN\n"
        f"  ig:\n    network: instagram\n    account: \"17841400000000000\"\n"
        f"    media_base_url: {BASE}\n    media_layout: {layout}\n"
        "    secrets:\n      token: IG_TOKEN\n"
        f"  th:\n    network: threads\n    account: \"1234\"\n"
        f"    media_base_url: {BASE}\n    media_layout: {layout}\n"
        "    secrets:\n      token: TH_TOKEN\n", "utf-8")
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    for pid, (channels, media) in posts.items():
        (root / f"calendar/posts/{pid}.yaml").write_text(
            f"id: {pid}\nstatus: ready\nchannels: {channels}\npublish_at: 2026-11-24T09:30\n"
            f"text: Hello from {pid}\nmedia:\n  - path: {media}\n    alt: A test card\n",
            "utf-8")
    return root


def site_files(root: Path) -> dict[str, bytes]:
    calendar, _report = load_calendar(root, use_cache=False)
    return generate(root, calendar, {}, {}, NOW).files


def fetched(files: dict[str, bytes]) -> dict[str, bytes]:
    """The site's files named by :func:`mediaurls.path` (32 hex digits), not the report's
    own image copies (20)."""
    return {rel: data for rel, data in files.items()
            if rel.startswith("media/") and len(rel.split("/")[1].split(".")[0]) == 32}


# -- the path -----------------------------------------------------------------------------------


def test_the_path_is_the_hash_of_the_bytes_and_nothing_of_the_repository() -> None:
    data = png((200, 0, 0))
    digest = hashlib.sha256(data).hexdigest()[:32]
    assert mediaurls.path(data, ".JPG") == f"media/{digest}.jpg"
    assert mediaurls.path(data, "jpg") == mediaurls.path(bytes(data), ".jpg")  # stable
    assert mediaurls.path(data + b"\0", "jpg") != mediaurls.path(data, "jpg")
    assert mediaurls.path(b"", "mp4") == "media/e3b0c44298fc1c149afbf4c8996fb924.mp4"
    with pytest.raises(ValueError, match="not a file name ending"):
        mediaurls.path(data, "../x")


def test_served_prepares_images_for_the_network_and_keeps_videos(tmp_path: Path) -> None:
    (tmp_path / "secret-launch-photo.png").write_bytes(png((0, 200, 0)))
    found = mediaurls.served(tmp_path / "secret-launch-photo.png", NETWORKS["instagram"])
    assert found.data[:3] == b"\xff\xd8\xff"  # Instagram takes JPEG only
    assert found.path == mediaurls.path(found.data, "jpg")
    assert "secret" not in found.path and "launch" not in found.path
    video = mediaurls.served(CLIP, NETWORKS["threads"])
    assert video.data == CLIP.read_bytes() and video.path.endswith(".mp4")
    # The file the publisher prepared gives the same bytes, so the same URL, as the original.
    (tmp_path / "again.jpg").write_bytes(found.data)
    assert mediaurls.served(tmp_path / "again.jpg", NETWORKS["instagram"]) == found


# -- the report ---------------------------------------------------------------------------------


def test_report_writes_the_prepared_file_for_fetching_networks_only(tmp_path: Path) -> None:
    red, blue = png((200, 0, 0)), png((0, 0, 200))
    root = content(tmp_path / "repo", {"calendar/media/red.png": red,
                                       "calendar/media/blue.png": blue,
                                       "calendar/media/clip.mp4": CLIP.read_bytes()},
                   {"insta": ("[ig]", "calendar/media/red.png"),
                    "toot": ("[masto, news]", "calendar/media/blue.png"),
                    "reel": ("[th]", "calendar/media/clip.mp4")})
    files = site_files(root)
    jpeg = prepare(red, "image/png", NETWORKS["instagram"].media).data
    assert jpeg[:3] == b"\xff\xd8\xff"
    clip = CLIP.read_bytes()
    # The PNG in the repository is a JPEG on the site; the video is as it is; nothing for the
    # post that goes to Mastodon and the outbox only.
    assert fetched(files) == {mediaurls.path(jpeg, "jpg"): jpeg,
                              mediaurls.path(clip, "mp4"): clip}
    # No page, data file or feed names them.
    for rel, data in files.items():
        if not rel.startswith("media/"):
            text = data.decode("utf-8")
            for name in fetched(files):
                assert name.split("/")[1].split(".")[0] not in text, (rel, name)
    # Written atomically, and left alone when already there.
    site = tmp_path / "site"
    first = write_site(site, files)
    assert set(fetched(files)) <= set(first.changed)
    again = write_site(site, site_files(root))
    assert again.changed == [] and again.removed == []
    assert (site / mediaurls.path(jpeg, "jpg")).read_bytes() == jpeg


def test_report_writes_nothing_for_the_repository_layout(tmp_path: Path) -> None:
    root = content(tmp_path / "repo", {"calendar/media/red.png": png((200, 0, 0))},
                   {"insta": ("[ig]", "calendar/media/red.png")}, layout="repository")
    assert fetched(site_files(root)) == {}


# -- the adapter --------------------------------------------------------------------------------


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(public_base=BASE).running() as server:
        yield server


def adapter(graph: FakeGraph, root: Path, site: PagesSite | None, sleeps: list[float],
            cls: type[InstagramAdapter] | type[ThreadsAdapter] = InstagramAdapter,
            **settings: Any) -> InstagramAdapter | ThreadsAdapter:
    """The adapter on the Graph fake; its probe asks the loopback site for each URL under
    ``BASE`` (the real :class:`UrlProbe`, only the host swapped)."""
    ctx = ChannelContext("ig", cls.network, {
        "network": cls.network, "server": graph.url, "account": graph.account,
        "media_base_url": BASE, "media_layout": "prepared", **settings},
        {"token": graph.token}, root, Redactor(), timeout=5.0)
    made = cls(ctx, sleep=sleeps.append)
    if site is not None:
        prober = UrlProbe(ctx)
        made.probe = lambda url, size: prober.answer(url.replace(BASE, site.url), size)
    return made


def outgoing(root: Path, rel: str, **kwargs: Any) -> Outgoing:
    # As the publisher hands it: the original for a network that fetches its media.
    return Outgoing("p/ig", "p", "ig", 0, 1, "Launch day", "p/ig#0",
                    media=(MediaFile(root / rel, rel, "A test card"),),
                    published_at=NOW, **kwargs)


def test_report_then_publish_names_the_file_the_site_serves(graph: FakeGraph,
                                                             tmp_path: Path) -> None:
    photo = jpeg_with_gps()
    root = content(tmp_path / "repo", {"calendar/media/phone.jpg": photo},
                   {"insta": ("[ig]", "calendar/media/phone.jpg")})
    deployed = tmp_path / "site"
    site = PagesSite(deployed)
    sleeps: list[float] = []
    made = adapter(graph, root, site, sleeps)

    def deploy(seconds: float) -> None:  # the Pages workflow finishing while cmops waits
        sleeps.append(seconds)
        write_site(deployed, site_files(root))

    made.sleep = deploy
    with site.running():
        made.publish(outgoing(root, "calendar/media/phone.jpg"))
    [(rel, served)] = fetched(site_files(root)).items()
    assert served != photo and b"PhoneMaker" not in served  # metadata stripped
    [container] = graph.containers.values()
    assert container["image_url"] == BASE + rel
    # Asked before the site was there (404), then after the deploy (200), then created.
    assert [(m, p) for m, p, _ in site.requests] == [("HEAD", "/" + rel)] * 2
    assert sleeps[0] == 10.0
    assert len(graph.posts) == 1


def test_a_url_that_never_answers_is_transient_with_nothing_created(graph: FakeGraph,
                                                                    tmp_path: Path) -> None:
    root = content(tmp_path / "repo", {"calendar/media/red.png": png((200, 0, 0))},
                   {"insta": ("[ig]", "calendar/media/red.png")})
    (root / "calendar/media/red.jpg").write_bytes(jpeg_with_gps())
    site = PagesSite(tmp_path / "never-deployed")
    sleeps: list[float] = []
    made = adapter(graph, root, site, sleeps)
    with site.running():
        with pytest.raises(Transient) as caught:
            made.publish(outgoing(root, "calendar/media/red.jpg"))
        first = list(sleeps)
        # Within the run's time left (less the 15 s kept to record the outcome).
        sleeps.clear()
        with pytest.raises(Transient):
            made.publish(outgoing(root, "calendar/media/red.jpg", time_left=50.0))
    rel = mediaurls.served(root / "calendar/media/red.jpg", NETWORKS["instagram"]).path
    assert str(caught.value).startswith(
        f"media_base_url {BASE}{rel} answered 404: has the report site been deployed since "
        "this post was merged?")
    assert caught.value.maybe_sent is False
    assert first == [10.0] * 18  # every 10 s for 3 minutes
    assert sleeps == [10.0] * 3
    assert graph.containers == {} and not [r for r in graph.requests if r["method"] == "POST"]
    assert {m for m, _, _ in site.requests} == {"HEAD"} and len(site.requests) == 19 + 4


def test_head_refused_falls_back_to_one_byte_and_a_stale_file_is_not_taken(
        graph: FakeGraph, tmp_path: Path) -> None:
    root = content(tmp_path / "repo", {"calendar/media/clip.mp4": CLIP.read_bytes()},
                   {"reel": ("[th]", "calendar/media/clip.mp4")})
    deployed = tmp_path / "site"
    write_site(deployed, site_files(root))
    site = PagesSite(deployed)
    site.head_refused = True
    made = adapter(graph, root, site, [], cls=ThreadsAdapter)
    rel = mediaurls.path(CLIP.read_bytes(), "mp4")
    with site.running():
        assert made.probe(BASE + rel, CLIP.stat().st_size) is None
        assert site.requests == [("HEAD", "/" + rel, None), ("GET", "/" + rel, "bytes=0-0")]
        assert made.probe(BASE + rel, 10) == \
            f"206 with {CLIP.stat().st_size} bytes, not the 10 prepared"
        site.head_refused = False
        assert made.probe(BASE + rel, 10) == \
            f"200 with {CLIP.stat().st_size} bytes, not the 10 prepared"
        assert made.probe(BASE + "media/none.mp4", 10) == "404"
    assert (made.probe(BASE + rel, 10) or "").startswith("nothing (")  # the site is down
    # Threads names the same URL, as a VIDEO container.
    fields = made.fields(outgoing(root, "calendar/media/clip.mp4"))
    assert fields["video_url"] == BASE + rel


def test_the_repository_layout_keeps_the_repository_path(graph: FakeGraph,
                                                          tmp_path: Path) -> None:
    root = content(tmp_path / "repo", {"calendar/media/a b.jpg": jpeg_with_gps()},
                   {"insta": ("[ig]", "calendar/media/a b.jpg")}, layout="repository")
    made = adapter(graph, root, None, [], media_layout="repository")

    def never(url: str, size: int) -> str | None:
        raise AssertionError(f"the repository layout asked {url}")

    made.probe = never
    made.publish(outgoing(root, "calendar/media/a b.jpg"))
    [container] = graph.containers.values()
    assert container["image_url"] == BASE + "calendar/media/a%20b.jpg"


def test_an_unknown_layout_is_refused(graph: FakeGraph, tmp_path: Path) -> None:
    from cmops.adapters import NotConfigured

    with pytest.raises(NotConfigured, match="media_layout must be one of prepared, "
                                            "repository, not 'site'"):
        adapter(graph, tmp_path, None, [], media_layout="site")



def test_a_png_reaches_instagram_as_the_jpeg_the_site_serves(graph: FakeGraph,
                                                             tmp_path: Path) -> None:
    # Instagram takes JPEG only: with media_layout: prepared, validation accepts a PNG
    # (converted when published), the report serves the JPEG, and the publisher names it.
    from cmops.publish import Options, Publisher
    from cmops.stores.local import LocalStore

    root = content(tmp_path / "repo", {"calendar/media/card.png": png((200, 30, 30))},
                   {"insta": ("[ig]", "calendar/media/card.png")})
    calendar, report = load_calendar(root, use_cache=False)
    assert report.ok, [p.message for p in report.problems]
    deployed = tmp_path / "site"
    write_site(deployed, site_files(root))
    [(rel, served)] = fetched(site_files(root)).items()
    assert rel.endswith(".jpg") and served.startswith(b"\xff\xd8\xff")
    site = PagesSite(deployed)
    made = adapter(graph, root, site, [])
    store = LocalStore(root / ".cmops/state")
    with site.running():
        try:
            outcome = Publisher(root, calendar, store, lambda channel: made,
                                Options(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))).run()
        finally:
            store.close()
            made.close()
    assert [o.state for o in outcome.outcomes] == ["published"]
    [container] = graph.containers.values()
    assert container["image_url"] == BASE + rel
    assert len(graph.posts) == 1


def test_under_the_repository_layout_a_png_is_refused_for_instagram(tmp_path: Path) -> None:
    # The network fetches the repository's own file: nothing can convert it.
    root = content(tmp_path / "repo", {"calendar/media/card.png": png((200, 30, 30))},
                   {"insta": ("[ig]", "calendar/media/card.png")}, layout="repository")
    _calendar, report = load_calendar(root, use_cache=False)
    assert [(p.rule, p.message) for p in report.errors] == [
        ("media.network-type", "ig (instagram) does not take image/png (it takes JPEG "
         "images, MP4, MOV videos)")]


@pytest.mark.parametrize(("layout", "shown"), [("prepared", True), ("repository", False)])
def test_the_plan_shows_the_converted_file_instagram_will_fetch(
        run: Runner, tmp_path: Path, layout: str, shown: bool) -> None:
    root = content(tmp_path / "repo", {"calendar/media/card.png": png((200, 30, 30))},
                   {"insta": ("[ig]", "calendar/media/card.png")}, layout=layout)
    plan = run("plan", "--at", "2026-11-24T00:00Z", "--format", "json", root=root)
    [item] = [i for i in json_out(plan)["items"] if i["channel"] == "ig"]
    prepared = [m["prepared"] for p in item["parts"] for m in p["media"]]
    if shown:
        assert len(prepared) == 1 and prepared[0].startswith("JPEG ") and \
            prepared[0].endswith("(converted)")
    else:  # the repository's PNG, which validation refuses for Instagram
        assert prepared == [None] and item["state"] == "invalid"
