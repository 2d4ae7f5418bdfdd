"""A small web site on 127.0.0.1 for link cards: pages, images, redirects and cookies, with
every request kept (method, path, headers) so a test can say what the fetcher asked."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Self

from tests.fakes.loopback import running, serve


@dataclass
class Page:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def html(head: str, body: str = "<p>Bonjour</p>") -> Page:
    return Page(f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"
                .encode())


class FakeSite:
    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.server = serve(self.handle)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def redirects(self, start: str, hops: int, target: str) -> None:
        """``start`` redirects ``hops`` times (each hop sets a cookie) before ``target``."""
        names = [start] + [f"{start}-hop{i}" for i in range(1, hops)]
        for i, name in enumerate(names):
            following = names[i + 1] if i + 1 < hops else target
            self.pages[name] = Page(status=302, headers={
                "Location": following, "Set-Cookie": f"session{i}=s3cr3t; Path=/"})

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.requests.append({"method": h.command, "path": h.path,
                                  "headers": dict(h.headers)})
        page = self.pages.get(h.path)
        if page is None:
            page = Page(b"not found", "text/plain", 404)
        h.send_response(page.status)
        h.send_header("Content-Type", page.content_type)
        h.send_header("Content-Length", str(len(page.body)))
        for name, value in page.headers.items():
            h.send_header(name, value)
        h.end_headers()
        if h.command != "HEAD":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                h.wfile.write(page.body)  # the fetcher may stop reading at its size cap

    @contextmanager
    def running(self) -> Iterator[Self]:
        with running(self.server):
            yield self
