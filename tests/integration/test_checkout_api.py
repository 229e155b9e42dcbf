"""The checkout API over real HTTP, against the sandbox: prices from the catalog, stock reserved,
the Checkout Session shaped as Stripe documents it, and clear refusals."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from paydesk.catalog.tables import products
from paydesk.orders.tables import order_items, orders
from tests.e2e.live import Shop, run_shop


@pytest.fixture
def shop(database_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    with run_shop(database_url, sandbox_url, stripe_key, tmp_path) as running:
        yield running


def _stock(shop: Shop, product_id: str) -> int | None:
    with shop.ctx.engine.connect() as conn:
        return conn.execute(select(products.c.stock).where(products.c.id == product_id)).scalar()


def _count_orders(shop: Shop) -> int:
    with shop.ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(orders)).scalar_one()


def test_products_lists_the_catalog(shop: Shop) -> None:
    body = httpx.get(shop.url + "/api/products").json()
    mug = next(p for p in body if p["id"] == "mug")
    assert mug == {"id": "mug", "name": "Stoneware Mug", "description": "350 ml",
                   "unit_amount": 2200, "currency": "usd", "stock": 3, "type": "physical"}
    assert {p["id"] for p in body} == {"mug", "beans", "guide", "matcha"}


def test_checkout_prices_from_the_catalog_and_builds_the_session(
    shop: Shop, stripe_client  # type: ignore[no-untyped-def]
) -> None:
    before = time.time()
    res = httpx.post(shop.url + "/api/checkout", json={
        "items": [{"product_id": "mug", "quantity": 2, "unit_amount": 1, "price": 1},
                  {"product_id": "guide", "quantity": 1}],
        "email": "buyer@example.com", "amount_total": 3,
    })
    assert res.status_code == 201, res.text
    order_id, url = res.json()["order_id"], res.json()["url"]
    assert order_id.startswith("ord_") and len(order_id) >= 20
    assert url.startswith("http")

    with shop.ctx.engine.connect() as conn:
        order = conn.execute(select(orders).where(orders.c.id == order_id)).mappings().one()
    assert order["amount_total"] == 2 * 2200 + 900
    assert order["status"] == "pending" and order["stock_state"] == "reserved"
    assert _stock(shop, "mug") == 1

    session = stripe_client.v1.checkout.sessions.retrieve(order["checkout_session_id"])
    assert session.metadata["order_id"] == order_id
    assert session.client_reference_id == order_id
    assert session.mode == "payment"
    assert session.customer_email == "buyer@example.com"
    assert session.amount_total == 2 * 2200 + 900
    assert session.success_url == shop.url + "/payment/success?session_id={CHECKOUT_SESSION_ID}"
    assert session.cancel_url == f"{shop.url}/payment/cancel?order_id={order_id}"
    assert before + 30 * 60 <= session.expires_at <= time.time() + 32 * 60
    assert session.url == url


def test_seed_route_answers_in_the_seed_shape(shop: Shop) -> None:
    res = httpx.post(shop.url + "/api/create-payment-link", json={"id": "beans"})
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["message"] == "Payment Initialized Successfully"
    assert body["data"]["url"].startswith("http")


def test_asking_for_more_than_is_left_is_409_naming_the_product(shop: Shop) -> None:
    res = httpx.post(shop.url + "/api/checkout",
                     json={"items": [{"product_id": "mug", "quantity": 4}]})
    assert res.status_code == 409
    assert "Stoneware Mug" in res.json()["detail"] and "only 3 left" in res.json()["detail"]
    assert res.json()["product_id"] == "mug"
    assert _stock(shop, "mug") == 3
    assert _count_orders(shop) == 0


def test_a_cart_is_all_or_nothing(shop: Shop) -> None:
    res = httpx.post(shop.url + "/api/checkout", json={
        "items": [{"product_id": "beans", "quantity": 1}, {"product_id": "mug", "quantity": 2},
                  {"product_id": "mug", "quantity": 2}]})  # same product twice: 4 > 3
    assert res.status_code == 409
    assert _stock(shop, "mug") == 3
    assert _count_orders(shop) == 0


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"items": [{"product_id": "nope", "quantity": 1}]}, 404, "nope"),
        ({"items": [{"product_id": "mug", "quantity": 0}]}, 422, "quantity"),
        ({"items": [{"product_id": "mug", "quantity": 100}]}, 422, "quantity"),
        ({"items": [{"product_id": "mug", "quantity": "2"}]}, 422, "quantity"),
        ({"items": []}, 422, "items"),
        ({}, 422, "items"),
        ({"items": [{"product_id": "mug"}], "email": "not-an-email"}, 422, "email"),
        # Two SMTP recipients in one field, and header injection: one address only.
        ({"items": [{"product_id": "mug"}], "email": "a@b.c,postmaster"}, 422, "email"),
        ({"items": [{"product_id": "mug"}], "email": "a@b.co\r\nBcc: x@y.co"}, 422, "email"),
        ({"items": [{"product_id": "mug"}], "email": "Eve <a@b.co>"}, 422, "email"),
        ({"items": [{"product_id": "mug"}, {"product_id": "matcha"}]}, 422, "currency"),
    ],
)
def test_bad_carts_get_a_clear_4xx(shop: Shop, body: dict, status: int, needle: str) -> None:
    res = httpx.post(shop.url + "/api/checkout", json=body)
    assert res.status_code == status, res.text
    assert needle in res.json()["detail"]
    assert _count_orders(shop) == 0


def test_bad_json_is_422_saying_so(shop: Shop) -> None:
    res = httpx.post(shop.url + "/api/checkout", content=b'{"items": [',
                     headers={"content-type": "application/json"})
    assert res.status_code == 422
    assert "not valid JSON" in res.json()["detail"]


def test_a_failing_stripe_call_is_502_and_leaves_nothing_behind(shop: Shop) -> None:
    # A price Stripe does not know makes the session create fail for real.
    with shop.ctx.engine.begin() as conn:
        conn.execute(update(products).where(products.c.id == "mug")
                     .values(stripe_price_id="price_does_not_exist"))
    res = httpx.post(shop.url + "/api/checkout",
                     json={"items": [{"product_id": "mug", "quantity": 2}]})
    assert res.status_code == 502
    assert "payment provider" in res.json()["detail"]
    assert _stock(shop, "mug") == 3
    assert _count_orders(shop) == 0
    with shop.ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(order_items)).scalar_one() == 0


def test_order_endpoint_shows_a_pending_order_and_404s_unknown_ones(shop: Shop) -> None:
    created = httpx.post(shop.url + "/api/checkout", json={
        "items": [{"product_id": "beans", "quantity": 2}]}).json()
    res = httpx.get(f"{shop.url}/api/orders/{created['order_id']}")
    assert res.status_code == 200
    assert res.json() == {
        "order_id": created["order_id"], "status": "pending", "email": None,
        "amount_total": 2800, "currency": "usd", "amount_refunded": 0,
        "items": [{"product_id": "beans", "name": "House Blend", "unit_amount": 1400,
                   "quantity": 2}],
        "access": [],
    }
    assert httpx.get(shop.url + "/api/orders/ord_unknown").status_code == 404


def test_the_session_was_created_under_the_orders_idempotency_key(
    shop: Shop, stripe_client  # type: ignore[no-untyped-def]
) -> None:
    import stripe

    res = httpx.post(shop.url + "/api/checkout",
                     json={"items": [{"product_id": "beans", "quantity": 1}]})
    order_id = res.json()["order_id"]
    # Stripe refuses a key reused with other parameters: proof that checkout used this key.
    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.checkout.sessions.create(
            {"mode": "payment", "success_url": "https://x.test/ok",
             "line_items": [{"price_data": {"currency": "usd", "unit_amount": 1,
                                            "product_data": {"name": "x"}}, "quantity": 1}]},
            {"idempotency_key": f"checkout:{order_id}"},
        )


def test_concurrent_checkouts_never_oversell(shop: Shop) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def buy(_: int) -> int:
        return httpx.post(shop.url + "/api/checkout", timeout=30,
                          json={"items": [{"product_id": "mug", "quantity": 1}]}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(buy, range(8)))
    assert sorted(codes) == [201] * 3 + [409] * 5
    assert _stock(shop, "mug") == 0
