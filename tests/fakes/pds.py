"""The real Bluesky PDS (``@atproto/pds``, installed by scripts/pds-setup under tests/pds) on
127.0.0.1 with an in-memory PLC directory, for test_bluesky_pds.py and
test_bluesky_pds_read.py; the module-scoped ``pds`` fixture in conftest.py starts it."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

PDS_DIR = Path(__file__).parents[1] / "pds"
NODE = PDS_DIR / "node_modules/.node/bin/node"
STAMP = PDS_DIR / "node_modules/.cmops-setup"


def _installed() -> None:
    if not STAMP.exists() or not NODE.exists():
        message = ("the real Bluesky PDS is not installed: run scripts/pds-setup "
                   "(about 80-100 s the first time, then cached)")
        if os.environ.get("CMOPS_REQUIRE_PDS"):
            pytest.fail(message)
        pytest.skip(message)
    lock = hashlib.sha256((PDS_DIR / "package-lock.json").read_bytes()).hexdigest()
    if f"lock-{lock}" not in STAMP.read_text():
        pytest.fail("tests/pds/package-lock.json changed since scripts/pds-setup ran: run it "
                    "again")


@dataclass(frozen=True)
class Pds:
    url: str
    did: str
    friend: str
    app_password: str


def xrpc(url: str, method: str, nsid: str, token: str | None = None, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.request(method, f"{url}/xrpc/{nsid}", headers=headers, timeout=20,
                             **kwargs)
    assert response.is_success, (nsid, response.status_code, response.text)
    return response.json() if response.headers.get("content-type", "").startswith(
        "application/json") else response.content


@contextmanager
def real_pds(data: Path) -> Iterator[Pds]:
    """Start the PDS with its state under ``data``, create two accounts and an app password,
    and stop it afterwards. Skips (or fails under CMOPS_REQUIRE_PDS) when not installed."""
    _installed()
    log_path = data / "pds.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PDS_", "LOG_"))}
    with log_path.open("w") as log:
        proc = subprocess.Popen([str(NODE), str(PDS_DIR / "start.mjs"), str(data / "data")],
                                cwd=PDS_DIR, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            url = ""
            deadline = time.monotonic() + 60
            while not url:
                lines = log_path.read_text().splitlines()
                url = next((json.loads(x)["pds"] for x in lines if x.startswith('{"pds"')), "")
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the PDS did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.05)
            accounts = {}
            for handle in ("brand.test", "alice.test"):
                accounts[handle] = xrpc(url, "POST", "com.atproto.server.createAccount", json={
                    "handle": handle, "email": f"{handle}@example.com",
                    "password": f"{handle}-account-password"})
            brand = accounts["brand.test"]
            app = xrpc(url, "POST", "com.atproto.server.createAppPassword",
                        brand["accessJwt"], json={"name": "cmops"})
            yield Pds(url, brand["did"], accounts["alice.test"]["did"], app["password"])
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


