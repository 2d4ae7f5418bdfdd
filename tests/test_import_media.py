"""Image URLs of an imported CSV are downloaded into calendar/media/ (a local 127.0.0.1 server
plays the image host): size cap, timeout, images only, http(s) only, names from the URL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from tests.conftest import Runner, json_out

from cmops import mediafetch
from cmops.mediafetch import FetchError, fetch, stem
from cmops.yamlsafe import load_bytes

SAMPLES = Path(__file__).parent / "samples" / "import"
PNG = (Path(__file__).parent / "examples/base/calendar/media/pic.png").read_bytes()


class Host(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, kind: str, body: bytes, length: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if length:  # without it (HTTP/1.0), the body ends when the connection closes
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        Host.seen.append(self.path)
        if self.path.startswith("/spring.png") or self.path == "/ok.png":
            self._send(200, "image/png", PNG)
        elif self.path == "/big.png":
            self._send(200, "image/png", PNG + b"\0" * 5000)
        elif self.path == "/no-length.png":
            self._send(200, "image/png", PNG + b"\0" * 50_000, length=False)
        elif self.path == "/slow.png":
            time.sleep(1.5)
            self._send(200, "image/png", PNG)
        elif self.path == "/page.png":
            self._send(200, "text/html; charset=utf-8", b"<html>login</html>")
        elif self.path == "/fake.png":
            self._send(200, "image/png", b"<html>not a png at all</html>")
        elif self.path in ("/to-file", "/to-ok"):
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd" if self.path == "/to-file"
                             else "/ok.png")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(404, "text/plain", b"no")


@pytest.fixture
def host() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Host)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    Host.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_buffer_images_are_downloaded_once_with_a_placeholder_alt(
        run: Runner, repo: Path, tmp_path: Path, host: str) -> None:
    source = tmp_path / "buffer.csv"
    source.write_bytes((SAMPLES / "buffer.csv").read_bytes()
                       .replace(b"https://images.example.org", host.encode()))
    url = f"{host}/spring.png"
    result = run("import", "csv", str(source), "--from", "buffer", "--channel", "news",
                 root=repo)
    assert result.exit_code == 0, result.output
    assert f"{source}:2: downloading {url}\n" in result.stderr
    rel = f"calendar/media/{stem(url)}.png"
    assert (repo / rel).read_bytes() == PNG
    post = load_bytes((repo / "calendar/posts/2027-03/"
                       "new-season-new-sounds-our-spring-line-up-20270320.yaml").read_bytes())
    assert post["media"] == [{"path": rel,
                              "alt": f"TODO: describe this image (imported from {url})"}]
    report = json_out(run("validate", "--format", "json", root=repo))
    assert report["ok"] is True
    assert [w["rule"] for w in report["warnings"]] == ["media.alt-placeholder"]
    source.write_bytes(source.read_bytes().replace(b"Our spring", b"Our SPRING"))
    again = run("import", "csv", str(source), "--from", "buffer", "--channel", "news",
                root=repo)
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[1].startswith("Updated 1 post file whose row changed")
    assert Host.seen == ["/spring.png"]  # the file of that URL is there: not asked again


def test_a_failed_download_skips_its_row(run: Runner, repo: Path, tmp_path: Path,
                                         host: str) -> None:
    source = tmp_path / "sheet.csv"
    source.write_text("Text,Posting Time,Image URL\n"
                      f"Login page,2027-03-01 10:00,{host}/page.png\n"
                      f"Two images,2027-03-02 10:00,\"{host}/ok.png, {host}/to-ok\"\n",
                      "utf-8")
    result = run("import", "csv", str(source), "--from", "generic", "--channel", "news",
                 root=repo)
    assert result.exit_code == 1
    assert f"{source}:2: skipped: image {host}/page.png: the server sent text/html, not an " \
        "image\n" in result.stderr
    files = sorted(p.name for p in (repo / "calendar/posts/2027-03").glob("*.yaml"))
    assert files == ["two-images-20270302.yaml"]
    media = load_bytes((repo / "calendar/posts/2027-03" / files[0]).read_bytes())["media"]
    assert [m["path"] for m in media] == [f"calendar/media/{stem(f'{host}/ok.png')}.png",
                                          f"calendar/media/{stem(f'{host}/to-ok')}.png"]
    no_media = run("import", "csv", str(source), "--from", "generic", "--channel", "news",
                   "--no-media", root=repo)
    assert "1 image URL not downloaded (--no-media)." in no_media.stdout
    assert (repo / "calendar/posts/2027-03/login-page-20270301.yaml").exists()


@pytest.mark.parametrize(("path", "message"), [
    ("/big.png", f"larger than {(len(PNG) + 1000) / 1e6:g} MB ({len(PNG) + 5000:,} bytes)"),
    ("/no-length.png", f"larger than {(len(PNG) + 1000) / 1e6:g} MB"),
    ("/page.png", "the server sent text/html, not an image"),
    ("/fake.png", "the file is not a PNG, JPEG, GIF or WebP image"),
    ("/to-file", "redirected to file:///etc/passwd, which is not an http(s) URL"),
    ("/missing.png", "the server answered HTTP 404")])
def test_refusals(tmp_path: Path, host: str, path: str, message: str) -> None:
    with mediafetch.client() as http, pytest.raises(FetchError) as caught:
        fetch(http, host + path, tmp_path,
              max_bytes=len(PNG) + 1000 if "big" in path or "length" in path else 10_000_000)
    assert str(caught.value) == message
    assert not (tmp_path / "calendar").exists() or not any((tmp_path / "calendar").rglob("*"))


def test_timeout(tmp_path: Path, host: str) -> None:
    started = time.monotonic()
    with mediafetch.client(timeout=0.3) as http, pytest.raises(FetchError) as caught:
        fetch(http, f"{host}/slow.png", tmp_path)
    assert str(caught.value) == "the server did not answer in time"
    assert time.monotonic() - started < 1.4


@pytest.mark.parametrize("url", ["ftp://example.org/a.png", "file:///etc/passwd",
                                 "javascript:alert(1)", "http:///no-host"])
def test_only_http_urls(tmp_path: Path, url: str) -> None:
    with mediafetch.client() as http, pytest.raises(FetchError) as caught:
        fetch(http, url, tmp_path)
    assert str(caught.value) == "only http:// and https:// URLs are downloaded"


def test_names_are_safe_and_nothing_is_overwritten(tmp_path: Path, host: str) -> None:
    url = f"{host}/ok.png?../../../etc/passwd%00"
    assert stem(url).startswith("import-") and stem(url)[7:].isalnum()
    folder = tmp_path / "calendar/media"
    folder.mkdir(parents=True)
    mine = folder / f"{stem(f'{host}/ok.png')}.png"
    mine.write_bytes(b"my own edit")
    with mediafetch.client() as http:
        got = fetch(http, f"{host}/ok.png", tmp_path)
        assert (got.path, got.reused) == (f"calendar/media/{mine.name}", True)
        assert mine.read_bytes() == b"my own edit"
        (folder / f"{stem(url)}.png").symlink_to("/etc/passwd")
        with pytest.raises(FetchError, match="is a symbolic link; not used"):
            fetch(http, url, tmp_path)
    assert Host.seen == []


def test_an_image_url_in_a_bad_scheme_is_a_row_error(run: Runner, repo: Path,
                                                     tmp_path: Path) -> None:
    source = tmp_path / "sheet.csv"
    source.write_text("Text,Date,Time,Image\nx,2027-03-01,10:00,ftp://example.org/a.png\n",
                      "utf-8")
    result = run("import", "csv", str(source), "--from", "generic", "--channel", "news",
                 root=repo)
    assert result.exit_code == 1
    assert result.stderr == f"{source}:2: skipped: media 'ftp://example.org/a.png': only " \
        "http:// and https:// URLs are downloaded\n"
