"""A Checkout Session nobody pays expires on its own at `expires_at`: the sandbox's timer fires,
`checkout.session.expired` reaches the shop over a signed webhook, the order expires and its
stock comes back. The sandbox's timers are fired at a moment to come (no sleeping, no patched
clock), on a sandbox of this module's own so no other test's timers fire with them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import stripe
from sqlalchemy import select

from paydesk.catalog.tables import products
from paydesk.orders.tables import orders
from paydesk.sandbox.server import SandboxHandle, start_in_thread
from paydesk.webhooks.tables import inbox_events
from tests.e2e.live import Shop, run_shop
from tests.support import wait_for


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    handle = start_in_thread(host="127.0.0.1", port=0, retry_delays="1,1,2")
    try:
        yield handle
    finally:
        handle.stop()


def _stock(shop: Shop) -> int | None:
    with shop.ctx.engine.connect() as conn:
        return conn.execute(select(products.c.stock).where(products.c.id == "mug")).scalar()


def _order(shop: Shop, order_id: str) -> tuple[str, str]:
    with shop.ctx.engine.connect() as conn:
        row = conn.execute(
            select(orders.c.status, orders.c.stock_state).where(orders.c.id == order_id)
        ).one()
    return row.status, row.stock_state


def _events(shop: Shop) -> list[tuple[str, str, str]]:
    with shop.ctx.engine.connect() as conn:
        t = inbox_events.c
        return [tuple(r) for r in conn.execute(select(t.type, t.source, t.status)).all()]


def test_a_session_left_unpaid_expires_and_releases_the_stock(
    database_url: str, sandbox: SandboxHandle, stripe_key: str, tmp_path: Path
) -> None:
    client = stripe.StripeClient(stripe_key, base_addresses={"api": sandbox.url})
    with run_shop(database_url, sandbox.url, stripe_key, tmp_path) as shop:
        res = httpx.post(shop.url + "/api/checkout", json={
            "items": [{"product_id": "mug", "quantity": 2}], "email": "buyer@example.com",
        })
        assert res.status_code == 201, res.text
        order_id = res.json()["order_id"]
        assert _stock(shop) == 1 and _order(shop, order_id) == ("pending", "reserved")
        with shop.ctx.engine.connect() as conn:
            session_id = conn.execute(
                select(orders.c.checkout_session_id).where(orders.c.id == order_id)
            ).scalar_one()
        session = client.v1.checkout.sessions.retrieve(session_id)
        assert session.status == "open"

        # A moment before expires_at nothing happens to it (the shared sandbox may hold other
        # tests' timers due by then, such as webhook retries, so the count proves nothing).
        sandbox.fire_timers(session.expires_at - 1)
        assert client.v1.checkout.sessions.retrieve(session_id).status == "open"
        assert _order(shop, order_id) == ("pending", "reserved")

        # Past expires_at: the expiry timer fires; the webhook that follows may itself be a
        # timer due then, so fire again while waiting for the shop to hear of it.
        later = session.expires_at + 1
        assert sandbox.fire_timers(later) >= 1
        wait_for(lambda: sandbox.fire_timers(later) >= 0 and _order(shop, order_id)
                 == ("expired", "released"), "the order expired by the webhook")
        assert _stock(shop) == 3
        assert ("checkout.session.expired", "webhook", "processed") in _events(shop)
        expired = client.v1.checkout.sessions.retrieve(session_id)
        assert expired.status == "expired" and expired.url is None
