"""What every loopback fake shares: a quiet threaded HTTP server on 127.0.0.1, a JSON reply,
and starting and stopping it around a test."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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
