"""validate --check-links against a real loopback web server (never the internet)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from tests.conftest import Runner, json_out


class Site(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        Site.seen.append((self.command, self.path))
        if self.path.startswith("/gone"):
            self.send_response(404)
        elif self.path.startswith("/moved"):
            self.send_response(301)
            self.send_header("Location", "/ok")
        elif self.path.startswith("/nohead") and self.command == "HEAD":
            self.send_response(405)
        elif self.path.startswith("/broken"):
            self.send_response(503)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = _answer
    do_GET = _answer


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    Site.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_dead_links_are_errors_slow_ones_warnings(run: Runner, repo: Path, site: str) -> None:
    (repo / "calendar/posts/p.yaml").write_text(
        "id: p\nstatus: ready\nchannels: [news]\npublish_at: 2099-12-01T10:00\n"
        f"text: ok {site}/ok moved {site}/moved dead {site}/gone\n"
        f"link: {site}/nohead\nthread:\n  - text: {site}/broken and again {site}/gone\n",
        "utf-8")
    assert run("validate", root=repo).exit_code == 0  # offline by default: nothing asked
    assert Site.seen == []
    result = run("validate", "--check-links", "--format", "json", root=repo)
    assert result.exit_code == 1
    data = json_out(result)
    assert [(e["line"], e["path"], e["message"]) for e in data["errors"]] == [
        (5, "text", f"{site}/gone answers HTTP 404"),
        (8, "thread[0].text", f"{site}/gone answers HTTP 404")]
    assert [(w["path"], w["message"]) for w in data["warnings"]] == [
        ("thread[0].text", f"{site}/broken answers HTTP 503")]
    # each distinct URL asked once; a refused HEAD falls back to GET; redirects followed
    assert sorted(Site.seen) == sorted([("HEAD", "/ok"), ("HEAD", "/moved"), ("HEAD", "/ok"),
                                        ("HEAD", "/gone"), ("HEAD", "/nohead"),
                                        ("GET", "/nohead"), ("HEAD", "/broken")])
