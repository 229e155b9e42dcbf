"""The admin API against the real sandbox: refunds (partial then full), each request sent twice
with the same Idempotency-Key, refund exactly once each; the token is required."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from test_shop_refunds import _order, _paid_order, _sandbox_refunds, _wait_until

from tests.e2e.live import Shop, run_shop
from tests.support import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def shop(database_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path) -> Iterator[Shop]:
    with run_shop(database_url, sandbox_url, stripe_key, tmp_path) as running:
        yield running


def _refund(shop: Shop, order_id: str, key: str, **body: object) -> httpx.Response:
    return httpx.post(f"{shop.url}/api/admin/orders/{order_id}/refunds", json=body,
                      headers=AUTH | {"Idempotency-Key": key}, timeout=15)


def test_partial_then_full_refund_each_sent_twice(shop: Shop) -> None:
    order_id = _paid_order(shop)
    first = _refund(shop, order_id, "r-1", amount=1000, reason="requested_by_customer")
    again = _refund(shop, order_id, "r-1", amount=1000, reason="requested_by_customer")
    assert first.status_code == 201, first.text
    assert first.json() == {"refund_number": 1, "amount": 1000, "status": "succeeded"}
    assert again.status_code == 201 and again.json() == first.json()
    _wait_until(lambda: _order(shop, order_id).status == "partially_refunded", "the webhook")

    rest = _refund(shop, order_id, "r-2")
    assert rest.status_code == 201 and rest.json()["amount"] == 1800
    assert _refund(shop, order_id, "r-2").json() == rest.json()
    _wait_until(lambda: _order(shop, order_id).status == "refunded", "the second webhook")
    assert sorted(r.amount for r in _sandbox_refunds(shop, order_id)) == [1000, 1800]

    too_much = _refund(shop, order_id, "r-3", amount=1)
    assert too_much.status_code == 409 and "is refunded" in too_much.json()["detail"]


def test_the_same_refund_request_four_times_at_once_refunds_once(shop: Shop) -> None:
    order_id = _paid_order(shop)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: _refund(shop, order_id, "same", amount=700),
                                range(4)))
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert {a.json()["refund_number"] for a in answers} == {1}
    _wait_until(lambda: _order(shop, order_id).status == "partially_refunded", "the webhook")
    assert [r.amount for r in _sandbox_refunds(shop, order_id)] == [700]


def test_refunds_need_the_token_and_a_real_order(shop: Shop) -> None:
    url = f"{shop.url}/api/admin/orders/ord_nope/refunds"
    assert httpx.post(url, json={}).status_code == 401
    assert httpx.post(url, json={}, headers={"Authorization": "Bearer no"}).status_code == 401
    missing = httpx.post(url, json={}, headers=AUTH)
    assert missing.status_code == 404 and "ord_nope" in missing.json()["detail"]
    bad = httpx.post(url, json={"amount": -5}, headers=AUTH)
    assert bad.status_code == 422
