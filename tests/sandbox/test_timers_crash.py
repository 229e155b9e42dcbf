"""A real `paydesk sandbox --db` killed with SIGKILL (no clean stop, nothing flushed on the way
out) resumes its timers when started again: a webhook retry still pending is delivered, and a
Checkout Session's expiry timer is still there."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import stripe
from webhook_receiver import Receiver, free_port, wait_for

PAYDESK = str(Path(sys.executable).parent / "paydesk")


def _start(port: int, db: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")}
    proc = subprocess.Popen(
        [PAYDESK, "sandbox", "--port", str(port), "--db", db, "--webhook-retry-delays", "1,1,1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )

    def up() -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200
        return False

    wait_for(up, "the sandbox to answer")
    return proc


def test_a_killed_sandbox_resumes_its_timers_on_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    port, hook_port = free_port(), free_port()
    key = "sk_test_" + uuid.uuid4().hex
    first = _start(port, db)
    try:
        client = stripe.StripeClient(key, base_addresses={"api": f"http://127.0.0.1:{port}"})
        client.v1.webhook_endpoints.create(
            params={"url": f"http://127.0.0.1:{hook_port}/hook", "enabled_events": ["*"]}
        )
        customer = client.v1.customers.create()  # nobody listens yet: its delivery is refused
        session = client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "https://example.com/ok",
                "line_items": [
                    {
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 500,
                            "product_data": {"name": "Tea"},
                        },
                        "quantity": 1,
                    }
                ],
            }
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()

    with contextlib.closing(sqlite3.connect(db)) as conn:
        kinds = {kind for (kind,) in conn.execute("SELECT kind FROM timers")}
    # Every answer was committed before it went out: the timers were too.
    assert {"webhook.delivery", "checkout.session.expire"} <= kinds

    receiver = Receiver(hook_port)
    second = _start(port, db)
    try:
        wait_for(
            lambda: any(customer.id in r.body.decode() for r in receiver.requests),
            "the customer's event, delivered after the restart",
        )
        client = stripe.StripeClient(key, base_addresses={"api": f"http://127.0.0.1:{port}"})
        assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=15)
        receiver.close()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        left = {kind for (kind,) in conn.execute("SELECT kind FROM timers")}
    assert "checkout.session.expire" in left  # not due for 24 hours: still waiting
