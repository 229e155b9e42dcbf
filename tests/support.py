"""What every tier of tests shares: a free loopback port, polling with a deadline, Stripe's
webhook signature (computed here, independently of the shop's verifier, from Stripe's recipe)
and the browser the page tests drive (Debian's Chromium through Playwright)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


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
