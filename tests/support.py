"""What every tier of tests shares: a free loopback port, polling with a deadline, Stripe's
webhook signature (computed here, independently of the shop's verifier, from Stripe's recipe)
and the browser the page tests drive (Debian's Chromium through Playwright)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn

T = TypeVar("T")
HOST = "127.0.0.1"
# The admin token every test shop is configured with (production wants 32+ characters).
ADMIN_TOKEN = "admin-token-for-tests-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def loopback_socket() -> socket.socket:
    """A socket bound to a free loopback port, for a server to take over (no race for the port
    between choosing it and listening on it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    return sock


@contextlib.contextmanager
def serving(app: Any, what: str, sock: socket.socket | None = None,
            timeout: float = 15.0, lifespan: str = "auto") -> Iterator[int]:
    """`app` served by uvicorn in a thread on `sock` (a fresh loopback socket by default);
    yields its port once it accepts requests, and stops it afterwards."""
    sock = sock or loopback_socket()
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan=lifespan)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive(), f"{what} to start", timeout, 0.01)
    if not server.started:
        raise RuntimeError(f"{what} did not start")
    try:
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


def wait_for(check: Callable[[], T], what: str, timeout: float = 20.0, every: float = 0.02) -> T:
    """Poll until `check()` is truthy and return it; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


def stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send for `payload` (t=…,v1=HMAC-SHA256 of
    "t.payload" under the endpoint secret)."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, Chromium's attempts to reach the network (there is none here) fail noisily.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium for one fixture's scope; skips the test when it is not installed."""
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright (python) is not installed"
    )
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
