"""The pages around checkout: the success page believes only what Stripe says about the session
and fulfils the order itself when no webhook has; the cancel page; the storefront."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import stripe
from sqlalchemy import event, select, update

from paydesk.orders.tables import orders
from tests.e2e.live import Shop, run_shop
from tests.support import wait_for

CARD = {"email": "buyer@example.com", "card_number": "4242424242424242", "card_expiry": "12/34",
        "card_cvc": "123", "cardholder_name": "Ada Buyer"}


@pytest.fixture
def shop(database_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    # A secret that matches nothing: every webhook is refused, so only the page can fulfil.
    with run_shop(database_url, sandbox_url, stripe_key, tmp_path,
                  stripe_webhook_secret="whsec_matches_nothing") as running:
        yield running


def _checkout(shop: Shop, product_id: str = "guide") -> dict[str, str]:
    res = httpx.post(shop.url + "/api/checkout",
                     json={"items": [{"product_id": product_id, "quantity": 1}]})
    assert res.status_code == 201, res.text
    return res.json()


def _pay(url: str) -> str:
    """Submit the hosted page's form; return where it sends the buyer back to."""
    res = httpx.post(url, data=CARD, follow_redirects=False)
    assert res.status_code == 303, res.text
    return res.headers["location"]


def test_success_page_fulfils_from_the_session_it_reads_from_stripe(shop: Shop) -> None:
    created = _checkout(shop)
    back = _pay(created["url"])
    assert back.startswith(shop.url + "/payment/success?session_id=cs_")
    page = httpx.get(back)
    assert page.status_code == 200
    assert "Thank you for your order" in page.text
    assert 'data-testid="order-status">Confirmed<' in page.text
    order = httpx.get(f"{shop.url}/api/orders/{created['order_id']}").json()
    assert order["status"] == "fulfilled"
    assert [a["product_id"] for a in order["access"]] == ["guide"]
    # The same link (order and product; the signature's timestamp is of each rendering).
    link = order["access"][0]["url"]
    assert link.startswith(shop.url + "/access/")
    signed_ids = link.removeprefix(shop.url + "/access/").split(".")[0]
    assert f'{shop.url}/access/{signed_ids}.' in page.text
    assert httpx.get(back).status_code == 200  # a reload changes nothing


def test_an_unpaid_session_fulfils_nothing(shop: Shop) -> None:
    created = _checkout(shop)
    with shop.ctx.engine.connect() as conn:
        session_id = conn.execute(select(orders.c.checkout_session_id)
                                  .where(orders.c.id == created["order_id"])).scalar_one()
    page = httpx.get(f"{shop.url}/payment/success", params={"session_id": session_id})
    assert page.status_code == 200
    assert "waiting for your payment" in page.text
    order = httpx.get(f"{shop.url}/api/orders/{created['order_id']}").json()
    assert order["status"] == "pending" and order["access"] == []


@pytest.mark.parametrize(
    ("session_id", "status"), [("cs_test_made_up", 404), ("", 400), ("not-a-session", 400)]
)
def test_success_page_refuses_sessions_stripe_does_not_know(
    shop: Shop, session_id: str, status: int
) -> None:
    page = httpx.get(f"{shop.url}/payment/success", params={"session_id": session_id})
    assert page.status_code == status
    assert "Thank you" not in page.text


def test_a_session_of_another_shop_is_not_an_order_here(
    shop: Shop, stripe_client: stripe.StripeClient
) -> None:
    foreign = stripe_client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://elsewhere.test/ok",
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": 100,
                                       "product_data": {"name": "x"}}, "quantity": 1}],
        "metadata": {"order_id": "ord_not_ours"},
    })
    page = httpx.get(f"{shop.url}/payment/success", params={"session_id": foreign.id})
    assert page.status_code == 404


def test_cancel_page_says_nothing_was_charged(shop: Shop) -> None:
    created = _checkout(shop, "mug")
    page = httpx.get(f"{shop.url}/payment/cancel", params={"order_id": created["order_id"]})
    assert page.status_code == 200
    assert "Nothing was charged" in page.text


def test_storefront_shows_products_with_formatted_prices(shop: Shop) -> None:
    page = httpx.get(shop.url + "/")
    assert page.status_code == 200
    assert "Stoneware Mug" in page.text and "$22.00" in page.text
    assert "¥3,000" in page.text  # zero-decimal currency
    assert "Only 3 left" in page.text


def _session_id(shop: Shop, order_id: str) -> str:
    with shop.ctx.engine.connect() as conn:
        return conn.execute(select(orders.c.checkout_session_id)
                            .where(orders.c.id == order_id)).scalar_one()


def test_cancel_page_expires_the_pending_orders_session(
    shop: Shop, stripe_client: stripe.StripeClient
) -> None:
    created = _checkout(shop, "mug")
    session_id = _session_id(shop, created["order_id"])
    page = httpx.get(f"{shop.url}/payment/cancel", params={"order_id": created["order_id"]})
    assert page.status_code == 200
    assert stripe_client.v1.checkout.sessions.retrieve(session_id).status == "expired"
    # A reload finds the session expired already and still answers the page.
    again = httpx.get(f"{shop.url}/payment/cancel", params={"order_id": created["order_id"]})
    assert again.status_code == 200 and "Nothing was charged" in again.text


def test_cancel_page_leaves_a_paid_order_alone(
    shop: Shop, stripe_client: stripe.StripeClient
) -> None:
    created = _checkout(shop)
    httpx.get(_pay(created["url"]))  # the success page fulfils it
    session_id = _session_id(shop, created["order_id"])
    page = httpx.get(f"{shop.url}/payment/cancel", params={"order_id": created["order_id"]})
    assert page.status_code == 200
    assert stripe_client.v1.checkout.sessions.retrieve(session_id).status == "complete"
    assert httpx.get(f"{shop.url}/api/orders/{created['order_id']}").json()["status"] == \
        "fulfilled"


def test_cancelling_gives_the_stock_back_through_the_webhook(
    database_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path
) -> None:
    with run_shop(database_url, sandbox_url, stripe_key, tmp_path) as live:
        created = _checkout(live, "mug")
        stock = lambda: next(  # noqa: E731
            p["stock"] for p in httpx.get(live.url + "/api/products").json() if p["id"] == "mug")
        assert stock() == 2
        httpx.get(f"{live.url}/payment/cancel", params={"order_id": created["order_id"]})
        wait_for(lambda: stock() == 3, "the expired session to release the stock")
        order = httpx.get(f"{live.url}/api/orders/{created['order_id']}").json()
        assert order["status"] == "expired"


def test_success_page_finds_the_order_by_session_id_when_metadata_names_none_of_ours(
    shop: Shop, stripe_client: stripe.StripeClient
) -> None:
    # The webhook's lookup falls back to the session id; the page must agree with it.
    created = _checkout(shop)
    foreign = stripe_client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://elsewhere.test/ok",
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": 900,
                                       "product_data": {"name": "x"}}, "quantity": 1}],
        "metadata": {"order_id": "ord_not_ours"},
    })
    with shop.ctx.engine.begin() as conn:
        conn.execute(update(orders).where(orders.c.id == created["order_id"])
                     .values(checkout_session_id=foreign.id))
    page = httpx.get(f"{shop.url}/payment/success", params={"session_id": foreign.id})
    assert page.status_code == 200
    assert "waiting for your payment" in page.text


def test_success_page_reads_the_order_back_once(shop: Shop) -> None:
    created = _checkout(shop)
    back = _pay(created["url"])
    httpx.get(back)  # fulfils
    reads: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "ORDER BY order_items.id" in \
                statement:
            reads.append(statement)

    event.listen(shop.ctx.engine, "before_cursor_execute", count)
    try:
        assert httpx.get(back).status_code == 200
    finally:
        event.remove(shop.ctx.engine, "before_cursor_execute", count)
    assert len(reads) == 1
