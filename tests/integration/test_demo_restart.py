"""The demo survives a restart: `paydesk serve` keeps its sandbox's state in var/sandbox.db and
its key and admin token in the shop's database, so after a restart an old order can still be
refunded (`paydesk refund`, beside the running demo) and a pending one released."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import stripe

from paydesk.demo import command_settings
from paydesk.settings import load_settings
from paydesk.store.engine import make_engine
from paydesk.webhooks.dispatch import EVENT_TYPES
from tests.integration.test_serve_cli import PAYDESK, _env
from tests.support import free_port, wait_for

CARD = {"email": "buyer@example.com", "card_number": "4242 4242 4242 4242",
        "card_expiry": "12 / 34", "card_cvc": "123", "cardholder_name": "Ada Buyer"}


@contextmanager
def _serve(tmp_path: Path, env: dict[str, str], port: int, sandbox_port: int) -> Iterator[str]:
    """`paydesk serve` until the block ends; yields its banner."""
    log = tmp_path / f"serve-{time.monotonic_ns()}.err"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [PAYDESK, "serve", "--port", str(port), "--sandbox-port", str(sandbox_port)],
            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=err, text=True,
        )
    try:
        def up() -> bool:
            assert proc.poll() is None, log.read_text()
            return "Health:" in log.read_text()

        wait_for(up, "paydesk serve to come up", timeout=60, every=0.2)
        yield log.read_text()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def _wait_status(base: str, order_id: str, status: str) -> None:
    wait_for(lambda: httpx.get(f"{base}/api/orders/{order_id}").json()["status"] == status,
             f"{order_id} to become {status}", timeout=20, every=0.2)


def _stock(base: str, product: str) -> int:
    return int(next(p["stock"] for p in httpx.get(base + "/api/products").json()
                    if p["id"] == product))


def test_a_restart_changes_nothing(tmp_path: Path) -> None:
    env = _env(f"sqlite:///{tmp_path}/var/paydesk.db", SANDBOX_DB="var/sandbox.db")
    port, sandbox_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    item = {"items": [{"product_id": "house-blend", "quantity": 1}]}
    with _serve(tmp_path, env, port, sandbox_port) as banner:
        admin = re.search(r"Admin:\s+(\S+\?token=(\S+))", banner)
        assert admin, banner
        paid = httpx.post(base + "/api/checkout", json=item).json()
        assert httpx.post(paid["url"], data=CARD).status_code == 303
        _wait_status(base, paid["order_id"], "fulfilled")
        pending = httpx.post(base + "/api/checkout", json=item).json()
        held = _stock(base, "house-blend")
    assert (tmp_path / "var" / "sandbox.db").exists()

    with _serve(tmp_path, env, port, sandbox_port) as banner:
        assert f"?token={admin.group(2)}" in banner  # the same admin token, kept
        assert "state in var/sandbox.db" in banner
        signed_in = httpx.get(admin.group(1), follow_redirects=True)
        assert signed_in.status_code == 200 and "Overview" in signed_in.text
        assert httpx.get(pending["url"]).status_code == 200  # its payment page still works
        assert _stock(base, "house-blend") == held  # still reserved for it

        refund = subprocess.run(
            [PAYDESK, "refund", paid["order_id"], "--amount", "1.00"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )
        assert refund.returncode == 0, refund.stderr
        assert "Refund re_" in refund.stdout and "$1.00" in refund.stdout
        _wait_status(base, paid["order_id"], "partially_refunded")

        released = httpx.post(f"{base}/admin/orders/{pending['order_id']}/release",
                              headers={"Authorization": f"Bearer {admin.group(2)}"})
        assert released.status_code == 303, released.text
        assert _stock(base, "house-blend") == held + 1
        assert _endpoint_events(tmp_path) == [sorted(EVENT_TYPES)]


def _endpoint_events(tmp_path: Path) -> list[list[str]]:
    """The events each webhook endpoint of the demo's sandbox account asks for."""
    engine = make_engine(f"sqlite:///{tmp_path}/var/paydesk.db")
    try:
        settings = command_settings(load_settings(_env_file=None), engine)
    finally:
        engine.dispose()
    key = settings.stripe_secret_key  # a str, or a SecretStr (shop-structure)
    secret = key.get_secret_value() if hasattr(key, "get_secret_value") else str(key)
    client = stripe.StripeClient(secret, base_addresses={"api": settings.stripe_api_base})
    return [list(e.enabled_events) for e in client.v1.webhook_endpoints.list().data]
