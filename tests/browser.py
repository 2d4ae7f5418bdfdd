"""Headless Chromium for the site tests: Debian's Chromium driven over the Chrome DevTools
Protocol with a small WebSocket client on the standard library (no browser download, no new
dependency), a loopback static server, and ``visit``, which checks what every page must
satisfy (nothing ran from content, no request left 127.0.0.1, no console error, no failed
request) and can save a screenshot under ``build/site-screenshots/``; ``lighthouse`` runs
Lighthouse (installed by scripts/lighthouse-setup) on a page with the same Chromium, and
``axe_violations`` runs Lighthouse's copy of axe-core in an open page. Used by
tests/test_site_browser.py, tests/test_init_end_to_end.py, tests/test_lighthouse.py and
benchmarks/lighthouse.py."""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import json
import os
import socket
import struct
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT = Path(__file__).resolve().parent.parent

CHROMIUM = Path("/usr/bin/chromium")
LIGHTHOUSE_DIR = PROJECT / "tests" / "lighthouse" / "node_modules"
LIGHTHOUSE = LIGHTHOUSE_DIR / "lighthouse" / "cli" / "index.js"
AXE = LIGHTHOUSE_DIR / "axe-core" / "axe.min.js"
LIGHTHOUSE_CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # as in Browser: a request for any other host fails here instead of leaving the machine
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1")
SCREENSHOTS = PROJECT / "build" / "site-screenshots"
HOOK = """
window.__cmops_dialogs = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__cmops_dialogs.push(name + ":" + args.join(",")); };
}
"""


# -- a WebSocket client (RFC 6455), just enough for the DevTools protocol ----------------------


class WebSocket:
    def __init__(self, url: str, timeout: float = 30) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           ).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(f"WebSocket handshake refused: {head[:80]!r}")

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            data += chunk
        return data

    def send(self, text: str) -> None:
        payload = text.encode()
        size = len(payload)
        if size < 126:
            head = struct.pack("!BB", 0x81, 0x80 | size)
        elif size < 1 << 16:
            head = struct.pack("!BBH", 0x81, 0x80 | 126, size)
        else:
            head = struct.pack("!BBQ", 0x81, 0x80 | 127, size)
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def receive(self) -> str:
        message = b""
        while True:
            first, second = self._read(2)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack("!H", self._read(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(size)
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the WebSocket")
            if opcode == 0x9:  # ping: answer, keep reading
                self.sock.sendall(struct.pack("!BB", 0x8A, 0x80 | size) + b"\0\0\0\0" + payload)
                continue
            message += payload
            if first & 0x80:
                return message.decode()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class Page:
    """One browser tab, driven over the DevTools protocol; it records what a test checks."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, timeout: float = 60, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.receive())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            self.events.append(message)
        raise TimeoutError(method)

    def wait_for(self, event: str, timeout: float = 60) -> None:
        seen = len([e for e in self.events if e.get("method") == event])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len([e for e in self.events if e.get("method") == event]) > seen:
                return
            self.events.append(json.loads(self.ws.receive()))
        raise TimeoutError(event)

    def wait_until(self, condition: str, timeout: float = 20) -> Any:
        """Wait, in the page, until the JavaScript expression ``condition`` is truthy (checked
        on every animation frame), and return its value; a TimeoutError names it if it never
        becomes true. Survives a navigation: the check then runs again on the new document."""
        deadline = time.monotonic() + timeout
        script = f"""new Promise(resolve => {{
          const end = performance.now() + {int(timeout * 1000)};
          const check = () => {{
            let value;
            try {{ value = ({condition}); }} catch (e) {{ value = undefined; }}
            if (value || performance.now() > end) resolve(value || null);
            else requestAnimationFrame(check);
          }};
          check();
        }})"""
        while time.monotonic() < deadline:
            try:
                value = self.js(script)
            except (AssertionError, RuntimeError):  # the document went away mid-wait
                continue
            if value:
                return value
        raise TimeoutError(f"never true: {condition}")

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")


class Browser:
    def __init__(self, profile: Path) -> None:
        self.process = subprocess.Popen(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-quic", "--disable-extensions", "--disable-default-apps",
             "--mute-audio", "--hide-scrollbars", f"--user-data-dir={profile}",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             # A request for any other host fails here instead of leaving the machine; the
             # tests still see (and fail on) it in the recorded network events.
             "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
             "--window-size=1280,1600", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.is_file() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not start (no DevToolsActivePort)")
            time.sleep(0.05)
        self.port = int(port_file.read_text().split()[0])

    def new_page(self) -> Page:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank",
                                         method="PUT")
        with urllib.request.urlopen(request, timeout=30) as answer:
            target = json.loads(answer.read())
        page = Page(WebSocket(target["webSocketDebuggerUrl"]))
        for domain in ("Page", "Runtime", "Network", "Log"):
            page.call(f"{domain}.enable")
        page.call("Page.addScriptToEvaluateOnNewDocument", source=HOOK)
        return page

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()



class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """``directory`` served on 127.0.0.1; yields its base URL (with the final slash)."""
    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return None
    return (f"{CHROMIUM} is missing: run scripts/browser-setup (installs Debian's chromium "
            "and chromium-driver)")


def visit(tab: Page, base_url: str, path: str, screenshot: str | None = None) -> None:
    """Open a page and check what every page must satisfy."""
    start = len(tab.events)
    navigation = tab.call("Page.navigate", url=base_url + path)
    if "loaderId" not in navigation:  # same document, another #anchor: load it afresh
        tab.call("Page.reload", ignoreCache=True)
    tab.wait_for("Page.loadEventFired")
    assert tab.js("document.readyState") == "complete"
    events = tab.events[start:]
    host = urlsplit(base_url).netloc
    for event in events:
        if event.get("method") == "Network.requestWillBeSent":
            url = event["params"]["request"]["url"]
            parts = urlsplit(url)
            assert parts.scheme == "data" or parts.netloc == host, \
                f"{path}: a request left 127.0.0.1: {url}"
    errors = [e for e in events if e.get("method") == "Runtime.exceptionThrown"
              or (e.get("method") == "Runtime.consoleAPICalled"
                  and e["params"]["type"] in ("error", "assert"))
              or (e.get("method") == "Log.entryAdded"
                  and e["params"]["entry"]["level"] == "error")]
    assert not errors, f"{path}: console errors: {errors}"
    failed = [e["params"] for e in events if e.get("method") == "Network.loadingFailed"]
    assert not failed, f"{path}: failed requests: {failed}"
    assert tab.js("window.__cmops_dialogs") == [], f"{path}: a dialog was opened"
    assert tab.js("typeof window.__xss") == "undefined", f"{path}: content ran script"
    if screenshot:
        shot = tab.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{screenshot}.png").write_bytes(base64.b64decode(shot["data"]))


def texts(tab: Page, selector: str) -> list[str]:
    return list(tab.js(f"[...document.querySelectorAll({json.dumps(selector)})]"
                       ".map(e => e.innerText.replace(/\\s+/g, ' ').trim())"))



# -- Lighthouse and axe-core (npm, installed by scripts/lighthouse-setup) ----------------------


def lighthouse_missing() -> str | None:
    """Why Lighthouse cannot run here, or None."""
    return chromium_missing() or (None if LIGHTHOUSE.is_file() and AXE.is_file() else
                                  f"{LIGHTHOUSE} is missing: run scripts/lighthouse-setup")


def lighthouse(url: str, out: Path, preset: str = "desktop",
               categories: tuple[str, ...] = ("performance", "accessibility"),
               timeout: float = 180) -> dict[str, Any]:
    """Run Lighthouse once on ``url`` with the system Chromium (one process, a fresh profile)
    and return its JSON report (also written to ``out``). ``preset`` is "desktop" or
    "mobile" (Lighthouse's default: a mid-range phone, slow 4G and a 4x slower CPU)."""
    command = ["node", str(LIGHTHOUSE), url, f"--output-path={out}", "--output=json",
               f"--only-categories={','.join(categories)}", "--quiet",
               "--no-enable-error-reporting",
               f"--chrome-flags={' '.join(LIGHTHOUSE_CHROMIUM_FLAGS)}"]
    if preset == "desktop":
        command.append("--preset=desktop")
    elif preset != "mobile":
        raise ValueError(f"preset: desktop or mobile, not {preset!r}")
    env = {**os.environ, "CHROME_PATH": str(CHROMIUM), "TMPDIR": str(out.parent)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    if done.returncode != 0 or not out.is_file():
        raise RuntimeError(f"lighthouse {url} failed ({done.returncode}): "
                           f"{done.stderr.strip()[-2000:]}")
    report: dict[str, Any] = json.loads(out.read_text("utf-8"))
    if report.get("runtimeError"):
        raise RuntimeError(f"lighthouse {url}: {report['runtimeError']}")
    return report


def scores(report: dict[str, Any]) -> dict[str, int]:
    """Each category's score out of 100, as Lighthouse shows it."""
    return {name: round(category["score"] * 100)
            for name, category in report["categories"].items()}


def lost_points(report: dict[str, Any], category: str) -> list[str]:
    """The audits that lower ``category``'s score, each with up to three of its items, to say
    in a failed test what to fix."""
    lines = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
            value = audit.get("displayValue", "")
            lines.append(f"{ref['id']} (weight {ref['weight']}, score {audit['score']}) "
                         f"{audit['title']} {value}".rstrip())
            items = (audit.get("details") or {}).get("items") or []
            for item in items[:3]:
                node = item.get("node") or {}
                what = node.get("snippet") or item.get("url") or ""
                why = node.get("explanation", "").replace("\n", " ")
                lines.append(f"    {what[:160]} {why[:240]}".rstrip())
    return lines


def axe_violations(tab: Page, rules: list[str]) -> list[str]:
    """Run axe-core (the engine of Lighthouse's accessibility audits) in the open page,
    limited to ``rules``; one line per element that breaks one."""
    if not tab.js("typeof window.axe === 'object'"):
        tab.js(AXE.read_text("utf-8"))
    found = tab.js(f"""axe.run(document, {{runOnly: {{type: 'rule', values: {json.dumps(rules)}}},
                                        resultTypes: ['violations']}})
      .then(r => r.violations.flatMap(v => v.nodes.map(n =>
        v.id + ': ' + n.target.join(' ') + ': ' +
        [...n.any, ...n.all, ...n.none].map(c => c.message).join('; '))))""")
    return list(found)
