"""The seeds' Python style: stripe-python's module-level API (`stripe.api_key = …;
stripe.Balance.retrieve()`) pointed at the sandbox with `stripe.api_base`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe


@pytest.fixture
def legacy(sandbox_url: str, stripe_key: str) -> Iterator[Any]:
    """The stripe module configured globally, as the seeds do; restored afterwards."""
    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key, stripe.api_base, stripe.max_network_retries = stripe_key, sandbox_url, 0
    try:
        yield stripe
    finally:
        stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


def test_balance_retrieve_as_in_the_seed(legacy: Any) -> None:
    balance = legacy.Balance.retrieve()
    assert balance.object == "balance" and balance.livemode is False
    assert isinstance(balance.available, list)


def test_customers_create_retrieve_modify_list_delete(legacy: Any) -> None:
    customer = legacy.Customer.create(email="jenny@example.com", name="Jenny Rosen")
    assert customer.id.startswith("cus_")
    assert legacy.Customer.retrieve(customer.id).email == "jenny@example.com"
    modified = legacy.Customer.modify(customer.id, metadata={"plan": "pro"}, description="")
    assert modified.metadata["plan"] == "pro" and modified.description is None
    listed = legacy.Customer.list(email="jenny@example.com")
    assert [c.id for c in listed.data] == [customer.id]
    assert legacy.Customer.delete(customer.id).deleted is True
    with pytest.raises(legacy.InvalidRequestError) as caught:
        legacy.Customer.modify(customer.id, name="x")
    assert caught.value.http_status == 404 and caught.value.code == "resource_missing"


def test_payment_intent_create_confirm_retrieve_and_refund(legacy: Any) -> None:
    intent = legacy.PaymentIntent.create(amount=2000, currency="usd", payment_method_types=["card"])
    assert intent.status == "requires_payment_method" and intent.client_secret
    confirmed = legacy.PaymentIntent.confirm(intent.id, payment_method="pm_card_visa")
    assert confirmed.status == "succeeded"
    again = legacy.PaymentIntent.retrieve(intent.id, expand=["latest_charge"])
    assert again.latest_charge.amount_captured == 2000
    refund = legacy.Refund.create(payment_intent=intent.id, amount=500)
    assert refund.status == "succeeded" and refund.amount == 500
    assert legacy.Refund.retrieve(refund.id).charge == again.latest_charge.id


def test_instance_methods_confirm_and_declines_raise_card_error(legacy: Any) -> None:
    intent = legacy.PaymentIntent.create(amount=1500, currency="eur")
    with pytest.raises(legacy.CardError) as caught:
        intent.confirm(payment_method="pm_card_chargeDeclinedInsufficientFunds")
    assert caught.value.code == "card_declined"
    assert caught.value.error.decline_code == "insufficient_funds"
    assert legacy.PaymentIntent.retrieve(intent.id).status == "requires_payment_method"


def test_charge_with_a_source_and_idempotent_replay(legacy: Any) -> None:
    charge = legacy.Charge.create(
        amount=2000,
        currency="eur",
        description="Order payment #1234",
        source="tok_visa",
        idempotency_key="order-1234",
    )
    replay = legacy.Charge.create(
        amount=2000,
        currency="eur",
        description="Order payment #1234",
        source="tok_visa",
        idempotency_key="order-1234",
    )
    assert replay.id == charge.id and charge.paid
    with pytest.raises(legacy.IdempotencyError):
        legacy.Charge.create(
            amount=9999, currency="eur", source="tok_visa", idempotency_key="order-1234"
        )


def test_checkout_session_create_retrieve_line_items(legacy: Any) -> None:
    session = legacy.checkout.Session.create(
        mode="payment",
        line_items=[
            {
                "price_data": {
                    "currency": "usd",
                    "product_data": {"name": "T-shirt"},
                    "unit_amount": 2500,
                },
                "quantity": 2,
            }
        ],
        success_url="https://shop.example/success?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://shop.example/cancel",
    )
    assert session.url and session.status == "open" and session.amount_total == 5000
    assert legacy.checkout.Session.retrieve(session.id).id == session.id
    items = legacy.checkout.Session.list_line_items(session.id)
    assert [i.quantity for i in items.data] == [2]


def test_webhook_endpoints_events_and_pagination(legacy: Any) -> None:
    endpoint = legacy.WebhookEndpoint.create(
        url="https://shop.example/api/webhook", enabled_events=["charge.succeeded"]
    )
    assert endpoint.secret.startswith("whsec_")
    assert [e.id for e in legacy.WebhookEndpoint.list().data] == [endpoint.id]
    for n in range(3):
        legacy.Customer.create(email=f"c{n}@example.com")
    events = legacy.Event.list(type="customer.created", limit=2)
    assert len(events.data) == 2 and events.has_more
    seen = [e.id for e in legacy.Event.list(type="customer.created", limit=2).auto_paging_iter()]
    assert len(seen) == 3 == len(set(seen))
    assert legacy.Event.retrieve(seen[0]).type == "customer.created"


def test_authentication_error_without_a_valid_key(legacy: Any) -> None:
    legacy.api_key = "not_a_key"
    with pytest.raises(legacy.AuthenticationError):
        legacy.Balance.retrieve()
