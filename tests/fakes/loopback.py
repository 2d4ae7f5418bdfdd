"""What every loopback fake shares: a quiet threaded HTTP server on 127.0.0.1, a JSON reply,
starting and stopping it around a test, a multipart/form-data reader, and ``Loopback``, the
recording server skeleton the X, LinkedIn and Graph fakes build on."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

Route = Callable[[BaseHTTPRequestHandler], None]


def serve(handle: Route, get: Route | None = None) -> ThreadingHTTPServer:
    """A server on a free port of 127.0.0.1 that hands every request to ``handle`` (GETs to
    ``get`` when given). It logs nothing and takes it calmly when a client gives up or is
    killed mid-request, which the timeout and crash tests do on purpose."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            handle(self)

        def do_GET(self) -> None:
            (get or handle)(self)

        do_PUT = do_DELETE = do_PATCH = do_POST

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass

    return Server(("127.0.0.1", 0), Handler)


def reply_json(h: BaseHTTPRequestHandler, status: int, body: Any = None,
               headers: dict[str, str] | None = None, *,
               content_type: str = "application/json") -> None:
    """``body`` as JSON (no body at all when it is None), as each platform labels it."""
    data = b"" if body is None else json.dumps(body).encode()
    h.send_response(status)
    if body is not None:
        h.send_header("Content-Type", content_type)
    h.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        h.send_header(name, value)
    h.end_headers()
    h.wfile.write(data)


@contextmanager
def running(server: ThreadingHTTPServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, str, bytes]]:
    """name -> (filename, content type, bytes) of a multipart/form-data body."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    if not message.is_multipart():
        raise ValueError("not multipart")
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        fields[str(name)] = (part.get_filename(), part.get_content_type(),
                             payload if isinstance(payload, bytes) else b"")
    return fields


class Refusal(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class Loopback:
    """A threaded HTTP server on 127.0.0.1 that records requests and hands them to
    ``route``; ``publish_paths`` are the requests that consume a fault."""

    publish_paths: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.faults: list[str] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

        self.server = serve(self.handle)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def reply(self, h: BaseHTTPRequestHandler, status: int, body: Any = None,
              headers: dict[str, str] | None = None) -> None:
        reply_json(h, status, body, headers)

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length", "0")))
        url = urlsplit(h.path)
        request = {"method": h.command, "path": url.path, "query": parse_qs(url.query),
                   "raw_query": url.query, "headers": dict(h.headers), "body": raw}
        with self.lock:
            self.requests.append(request)
            publishing = h.command == "POST" and any(
                re.fullmatch(p, url.path) for p in self.publish_paths)
            fault = self.faults.pop(0) if self.faults and publishing else ""
        if fault == "drop":
            h.close_connection = True
            return
        if fault.startswith("slow:"):
            time.sleep(float(fault.split(":")[1]))
        try:
            if fault:
                self.fault(fault, request)
            status, body, headers = self.route(request)
        except Refusal as exc:
            return self.reply(h, exc.status, exc.body, exc.headers)
        if fault == "accept-then-drop":
            h.close_connection = True
            return
        self.reply(h, status, body, headers)

    def fault(self, fault: str, request: dict[str, Any]) -> None:
        raise NotImplementedError

    def route(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    @contextmanager
    def running(self) -> Iterator[Self]:
        with running(self.server):
            yield self
