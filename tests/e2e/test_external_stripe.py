"""The shop as a user runs it against "real" Stripe: a standalone `paydesk sandbox` process and
`paydesk serve` configured only through STRIPE_SECRET_KEY / STRIPE_WEBHOOK_SECRET /
STRIPE_API_BASE. A cart is taken to a fulfilled order, then a barrage of duplicate and hostile
deliveries arrives: stock moves exactly once and nothing hostile is stored."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import stripe

from tests.support import free_port, wait_for

PAYDESK = str(Path(sys.executable).with_name("paydesk"))


def _order_if(shop: str, order_id: str, status: str) -> dict[str, Any] | None:
    order: dict[str, Any] = httpx.get(f"{shop}/api/orders/{order_id}").json()
    return order if order["status"] == status else None


def _wait_up(url: str, proc: subprocess.Popen[str]) -> None:
    def up() -> bool:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            httpx.get(url, timeout=2)
            return True
        except httpx.TransportError:
            return False

    wait_for(up, f"{url} to come up", timeout=60)


@pytest.fixture
def external_shop(tmp_path: Path, database_url: str) -> Iterator[tuple[str, str, str]]:
    """(shop url, sandbox url, webhook secret), with both processes running."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "CLIENT_URL"))}
    sandbox_port, shop_port = free_port(), free_port()
    sandbox_url, shop_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{shop_port}"
    sandbox = subprocess.Popen(
        [PAYDESK, "sandbox", "--port", str(sandbox_port)], cwd=tmp_path, env=env, text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    procs = [sandbox]
    try:
        _wait_up(sandbox_url + "/", sandbox)
        client = stripe.StripeClient("sk_test_external", base_addresses={"api": sandbox_url})
        secret = client.v1.webhook_endpoints.create(
            params={"url": shop_url + "/api/webhook", "enabled_events": ["*"]}
        ).secret
        assert secret
        shop = subprocess.Popen(
            [PAYDESK, "serve", "--port", str(shop_port)], cwd=tmp_path, text=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**env, "STRIPE_SECRET_KEY": "sk_test_external", "STRIPE_WEBHOOK_SECRET": secret,
                 "STRIPE_API_BASE": sandbox_url, "DATABASE_URL": database_url},
        )
        procs.append(shop)
        _wait_up(shop_url + "/healthz", shop)
        yield shop_url, sandbox_url, secret
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)


def _stock(shop: str, product_id: str) -> int:
    products = httpx.get(shop + "/api/products").json()
    return int(next(p for p in products if p["id"] == product_id)["stock"])


def _sign(body: bytes, secret: str, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def test_cart_to_fulfilled_order_then_a_barrage_moves_stock_once(
    external_shop: tuple[str, str, str], database_url: str
) -> None:
    shop, sandbox, secret = external_shop
    product = next(p for p in httpx.get(shop + "/api/products").json() if p["stock"])
    before = _stock(shop, product["id"])

    # The client's price is ignored: amounts come from the catalog.
    res = httpx.post(shop + "/api/checkout", json={
        "items": [{"product_id": product["id"], "quantity": 2, "unit_amount": 1}],
        "email": "buyer@example.com",
    })
    assert res.status_code == 201, res.text
    order_id, url = res.json()["order_id"], res.json()["url"]
    paid = httpx.post(url, data={
        "email": "buyer@example.com", "card_number": "4242 4242 4242 4242",
        "card_expiry": "12/34", "card_cvc": "123", "cardholder_name": "Ada Buyer",
    })
    assert paid.status_code == 303
    assert paid.headers["location"].startswith(shop + "/payment/success?session_id=cs_")

    order = wait_for(lambda: _order_if(shop, order_id, "fulfilled"), f"{order_id} fulfilled")
    assert order["amount_total"] == 2 * product["unit_amount"]
    assert _stock(shop, product["id"]) == before - 2

    client = stripe.StripeClient("sk_test_external", base_addresses={"api": sandbox})
    event = client.v1.events.list(params={"type": "checkout.session.completed"}).data[0]
    body = json.dumps(event.to_dict()).encode()
    big = b"x" * (2 * 1024 * 1024)
    deliveries = {
        "duplicate": (body, {"Stripe-Signature": _sign(body, secret)}),
        "forged": (body, {"Stripe-Signature": _sign(body, "whsec_not_the_secret")}),
        "tampered": (body.replace(b'"paid"', b'"PAID"'), {"Stripe-Signature": _sign(body, secret)}),
        "stale": (body, {"Stripe-Signature": _sign(body, secret, int(time.time()) - 3600)}),
        "unsigned": (body, {}),
        "oversized": (big, {"Stripe-Signature": _sign(big, secret)}),
    }

    def deliver(kind: str) -> tuple[str, int]:
        payload, headers = deliveries[kind]
        res = httpx.post(shop + "/api/webhook", content=payload,
                         headers={**headers, "Content-Type": "application/json"}, timeout=30)
        return kind, res.status_code

    kinds = ["duplicate"] * 100 + [k for k in deliveries if k != "duplicate"] * 10
    with ThreadPoolExecutor(16) as pool:
        outcomes = Counter(pool.map(deliver, kinds))
    assert outcomes == Counter({
        ("duplicate", 200): 100, ("forged", 400): 10, ("tampered", 400): 10,
        ("stale", 400): 10, ("unsigned", 400): 10, ("oversized", 413): 10,
    })
    time.sleep(1.0)  # let the processor run whatever it would run
    assert _stock(shop, product["id"]) == before - 2
    assert httpx.get(f"{shop}/api/orders/{order_id}").json()["status"] == "fulfilled"
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM inbox_events")).scalar_one()
        emails = conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one()
    engine.dispose()
    # Only genuine events are stored (one per event the sandbox sent); one email, once.
    genuine = len(client.v1.events.list(params={"limit": 100}).data)
    assert stored <= genuine
    assert emails == 1
