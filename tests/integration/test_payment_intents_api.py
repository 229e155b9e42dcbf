"""Paying on the shop's own page, server side, over real HTTP against the sandbox: the order and
its PaymentIntent, fulfilment from the webhook and from the page exactly once, failures kept."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from sqlalchemy import func, select

from paydesk.catalog.tables import products
from paydesk.notify.tables import outbox
from paydesk.orders.tables import orders
from paydesk.settings import Settings
from paydesk.stripe_gateway import MissingPublishableKey, publishable_key, stripe_js_url
from paydesk.webhooks.tables import inbox_events
from tests.e2e.live import Shop, run_shop
from tests.support import wait_for


@pytest.fixture
def shop(database_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path) -> Iterator[Shop]:
    with run_shop(database_url, sandbox_url, stripe_key, tmp_path) as running:
        yield running


def _order(shop: Shop, order_id: str) -> Any:
    with shop.ctx.engine.connect() as conn:
        return conn.execute(select(orders).where(orders.c.id == order_id)).mappings().one()


def _create(shop: Shop, **body: Any) -> dict[str, Any]:
    res = httpx.post(shop.url + "/api/payment-intents", json=body)
    assert res.status_code == 201, res.text
    return dict(res.json())


def test_the_order_gets_a_payment_intent_priced_from_the_catalog(
    shop: Shop, stripe_client: stripe.StripeClient, stripe_key: str
) -> None:
    body = _create(
        shop,
        items=[{"product_id": "mug", "quantity": 2, "unit_amount": 1}],
        email="buyer@example.com",
    )
    assert set(body) == {"order_id", "client_secret", "publishable_key"}
    assert body["publishable_key"] == (
        "pk_test_" + hashlib.sha256(stripe_key.encode()).hexdigest()[:32]
    )
    order = _order(shop, body["order_id"])
    assert order["status"] == "pending" and order["stock_state"] == "reserved"
    assert order["checkout_session_id"] is None
    pi = stripe_client.v1.payment_intents.retrieve(order["payment_intent_id"])
    assert body["client_secret"] == pi.client_secret
    assert (pi.amount, pi.currency, pi.metadata["order_id"]) == (4400, "usd", body["order_id"])
    assert pi.receipt_email == "buyer@example.com"
    with shop.ctx.engine.connect() as conn:
        assert conn.execute(select(products.c.stock).where(products.c.id == "mug")).scalar() == 1
    page = httpx.get(f"{shop.url}/pay/{body['order_id']}").text
    assert f"</svg> {shop.ctx.settings.shop_name}</a>" in page  # the header names the shop


def test_refusals_name_the_problem_and_leave_nothing(shop: Shop) -> None:
    unknown = httpx.post(
        shop.url + "/api/payment-intents", json={"items": [{"product_id": "nope"}]}
    )
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
    too_many = httpx.post(
        shop.url + "/api/payment-intents", json={"items": [{"product_id": "mug", "quantity": 4}]}
    )
    assert too_many.status_code == 409 and "only 3 left" in too_many.json()["detail"]
    with shop.ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(orders)).scalar_one() == 0
    assert httpx.get(shop.url + "/pay/ord_doesnotexist").status_code == 404


def test_the_webhook_and_the_page_fulfil_once(
    shop: Shop, stripe_client: stripe.StripeClient
) -> None:
    body = _create(shop, items=[{"product_id": "guide"}], email="buyer@example.com")
    order_id = body["order_id"]
    pi_id = _order(shop, order_id)["payment_intent_id"]
    stripe_client.v1.payment_intents.confirm(pi_id, {"payment_method": "pm_card_visa"})
    page = httpx.get(f"{shop.url}/pay/{order_id}?payment_intent={pi_id}&redirect_status=succeeded")
    assert page.status_code == 200 and 'data-testid="order-status"' in page.text
    wait_for(lambda: _events(shop, "payment_intent.succeeded"), "the webhook")
    assert wait_for(lambda: _order(shop, order_id)["status"] == "fulfilled", "fulfilment")
    assert _order(shop, order_id)["stock_state"] == "committed"
    with shop.ctx.engine.connect() as conn:
        emails = conn.execute(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.dedupe_key == f"email:confirm:{order_id}")
        ).scalar_one()
    assert emails == 1


def test_the_page_does_not_trust_its_query_string(
    shop: Shop, stripe_client: stripe.StripeClient
) -> None:
    order_id = _create(shop, items=[{"product_id": "guide"}])["order_id"]
    other = stripe_client.v1.payment_intents.create(
        params={
            "amount": 900,
            "currency": "usd",
            "metadata": {"order_id": order_id},
            "confirm": True,
            "payment_method": "pm_card_visa",
        }
    )
    page = httpx.get(
        f"{shop.url}/pay/{order_id}?payment_intent={other.id}&redirect_status=succeeded"
    )
    assert page.status_code == 200 and 'id="payment-form"' in page.text
    # Its webhook names our order too, but the order's own PaymentIntent is another one.
    assert wait_for(lambda: _events(shop, "payment_intent.succeeded"), "the webhook")[0][0] == (
        "ignored"
    )
    assert _order(shop, order_id)["status"] == "pending"


def _events(shop: Shop, kind: str) -> list[Any]:
    with shop.ctx.engine.connect() as conn:
        return list(
            conn.execute(
                select(inbox_events.c.status, inbox_events.c.last_error).where(
                    inbox_events.c.type == kind, inbox_events.c.status != "received"
                )
            )
        )


def test_a_failed_payment_is_kept_on_the_event_and_shown_on_the_page(
    shop: Shop, stripe_client: stripe.StripeClient
) -> None:
    order_id = _create(shop, items=[{"product_id": "guide"}])["order_id"]
    pi_id = _order(shop, order_id)["payment_intent_id"]
    with pytest.raises(stripe.CardError):
        stripe_client.v1.payment_intents.confirm(
            pi_id, {"payment_method": "pm_card_chargeDeclinedInsufficientFunds"}
        )
    ((status, note),) = wait_for(
        lambda: _events(shop, "payment_intent.payment_failed"), "the failure"
    )
    assert status == "processed" and order_id in note and "insufficient_funds" in note
    assert _order(shop, order_id)["status"] == "pending"
    page = httpx.get(f"{shop.url}/pay/{order_id}")
    assert "Your last attempt did not go through: Your card has insufficient funds." in page.text


def test_a_canceled_payment_intent_expires_the_order_and_returns_the_stock(
    shop: Shop, stripe_client: stripe.StripeClient
) -> None:
    order_id = _create(shop, items=[{"product_id": "mug", "quantity": 3}])["order_id"]
    assert _stock(shop, "mug") == 0
    stripe_client.v1.payment_intents.cancel(_order(shop, order_id)["payment_intent_id"])
    assert wait_for(lambda: _order(shop, order_id)["status"] == "expired", "expiry")
    assert _stock(shop, "mug") == 3
    page = httpx.get(f"{shop.url}/pay/{order_id}")
    assert page.status_code == 200 and "This payment was canceled." in page.text


def _stock(shop: Shop, product_id: str) -> int | None:
    with shop.ctx.engine.connect() as conn:
        return conn.execute(select(products.c.stock).where(products.c.id == product_id)).scalar()


def test_checkouts_own_payment_intents_stay_with_their_session(
    shop: Shop, stripe_client: stripe.StripeClient
) -> None:
    res = httpx.post(shop.url + "/api/checkout", json={"items": [{"product_id": "guide"}]})
    order_id = res.json()["order_id"]
    assert httpx.get(f"{shop.url}/pay/{order_id}").status_code == 404


def test_stripe_js_and_the_key_follow_the_api_base() -> None:
    real = Settings(_env_file=None, stripe_secret_key="sk_live_x")  # type: ignore[call-arg]
    assert stripe_js_url(real) == "https://js.stripe.com/v3/"
    with pytest.raises(MissingPublishableKey, match="STRIPE_PUBLISHABLE_KEY"):
        publishable_key(real)
    given = real.model_copy(update={"stripe_publishable_key": "pk_live_given"})
    assert publishable_key(given) == "pk_live_given"
    sandbox = Settings(  # type: ignore[call-arg]
        _env_file=None, stripe_secret_key="sk_test_abc", stripe_api_base="http://127.0.0.1:12111/"
    )
    assert stripe_js_url(sandbox) == "http://127.0.0.1:12111/v3/"
    assert publishable_key(sandbox) == "pk_test_" + hashlib.sha256(b"sk_test_abc").hexdigest()[:32]
