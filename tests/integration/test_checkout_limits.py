"""Checkout's defences against one client holding the stock: a rate limit per address, cart
caps, and a body-size cap on every route except the webhook (which has its own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from paydesk.orders.tables import orders
from tests.e2e.live import Shop, run_shop

BIG = 100 * 1024


@pytest.fixture
def shop(sqlite_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path) -> Iterator[Shop]:
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path,
                  checkout_rate_burst=2, checkout_rate_per_minute=1) as running:
        yield running


def _count_orders(shop: Shop) -> int:
    with shop.ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(orders)).scalar_one()


def _buy(shop: Shop, product_id: str = "beans") -> httpx.Response:
    return httpx.post(shop.url + "/api/checkout",
                      json={"items": [{"product_id": product_id, "quantity": 1}]})


def test_checkouts_past_the_burst_are_429_with_retry_after(shop: Shop) -> None:
    assert [_buy(shop).status_code for _ in range(2)] == [201, 201]
    refused = _buy(shop)
    assert refused.status_code == 429
    assert "too many checkouts" in refused.json()["detail"]
    assert refused.json()["message"] == refused.json()["detail"]
    # One token a minute: the next one is most of a minute away.
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert _count_orders(shop) == 2  # the refused call reserved nothing


def test_the_seed_route_shares_the_checkout_limit(shop: Shop) -> None:
    assert _buy(shop).status_code == 201
    assert _buy(shop).status_code == 201
    res = httpx.post(shop.url + "/api/create-payment-link", json={"id": "beans"})
    assert res.status_code == 429
    # Reading is not limited.
    assert httpx.get(shop.url + "/api/products").status_code == 200


@pytest.mark.parametrize(
    ("items", "needle"),
    [
        ([{"product_id": "beans", "quantity": 21}], "quantity"),
        ([{"product_id": "beans", "quantity": 20}, {"product_id": "beans", "quantity": 1}],
         "quantity of 'beans' must be 1..20"),
        ([{"product_id": "beans", "quantity": 1}] * 21, "items"),
    ],
)
def test_carts_are_capped(shop: Shop, items: list[dict[str, object]], needle: str) -> None:
    res = httpx.post(shop.url + "/api/checkout", json={"items": items})
    assert res.status_code == 422, res.text
    assert needle in res.json()["detail"]
    assert _count_orders(shop) == 0


def test_a_cart_holds_at_most_50_units(
    sqlite_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path
) -> None:
    catalog = {"products": [
        {"id": f"p{i}", "name": f"P{i}", "description": "", "unit_amount": 100,
         "currency": "usd", "stock": None, "type": "physical"} for i in range(3)]}
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path, catalog=catalog) as shop:
        res = httpx.post(shop.url + "/api/checkout", json={"items": [
            {"product_id": f"p{i}", "quantity": 20} for i in range(3)]})
        assert res.status_code == 422
        assert "at most 50 units" in res.json()["detail"]
        ok = httpx.post(shop.url + "/api/checkout", json={"items": [
            {"product_id": "p0", "quantity": 20}, {"product_id": "p1", "quantity": 20},
            {"product_id": "p2", "quantity": 10}]})
        assert ok.status_code == 201, ok.text


def test_an_oversized_body_is_413_before_it_is_parsed(shop: Shop) -> None:
    padded = {"items": [{"product_id": "beans", "quantity": 1}], "pad": "x" * BIG}
    res = httpx.post(shop.url + "/api/checkout", json=padded)
    assert res.status_code == 413
    assert "too large" in res.json()["detail"]
    assert res.headers["x-request-id"]
    login = httpx.post(shop.url + "/admin/login", data={"token": "x" * BIG})
    assert login.status_code == 413
    assert _count_orders(shop) == 0


def test_a_streamed_oversized_body_is_413(shop: Shop) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"items": [{"product_id": "beans", "quantity": 1}], "pad": "'
        for _ in range(BIG // 4096):
            yield b"x" * 4096
        yield b'"}'

    res = httpx.post(shop.url + "/api/checkout", content=chunks(),
                     headers={"content-type": "application/json"})
    assert res.status_code == 413
    assert "too large" in res.json()["detail"]
    assert _count_orders(shop) == 0


def test_a_body_under_the_cap_still_goes_through(shop: Shop) -> None:
    padded = {"items": [{"product_id": "beans", "quantity": 1}], "pad": "x" * 30_000}
    assert httpx.post(shop.url + "/api/checkout", json=padded).status_code == 201


def test_the_webhook_keeps_its_own_larger_cap(shop: Shop) -> None:
    # 100 KB is over the shop's cap but under the webhook's 1 MB: refused for its signature.
    res = httpx.post(shop.url + "/api/webhook", content=b"{" + b" " * BIG + b"}",
                     headers={"stripe-signature": "t=1,v1=00"})
    assert res.status_code == 400
