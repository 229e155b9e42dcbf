"""Refunds: full and partial, by payment intent or charge, refusing more than what is left."""

from __future__ import annotations

import pytest
import stripe


def _paid(client: stripe.StripeClient, amount: int = 5000) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_visa",
        }
    )


def test_full_refund_by_payment_intent(stripe_client: stripe.StripeClient) -> None:
    pi = _paid(stripe_client)
    refund = stripe_client.v1.refunds.create(
        params={"payment_intent": pi.id, "reason": "requested_by_customer", "metadata": {"n": "1"}}
    )
    assert refund.status == "succeeded" and refund.amount == 5000
    assert refund.charge == pi.latest_charge and refund.payment_intent == pi.id
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.refunded and charge.amount_refunded == 5000
    assert [r.id for r in charge.refunds.data] == [refund.id]
    events = stripe_client.v1.events.list(params={"limit": 2}).data
    assert [e.type for e in events] == ["charge.refunded", "refund.created"]
    assert events[0].data.previous_attributes is not None
    assert events[0].data.previous_attributes.to_dict() == {"amount_refunded": 0, "refunded": False}
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.refunds.create(params={"charge": charge.id})
    assert raised.value.code == "charge_already_refunded"


def test_partial_refunds_by_charge_then_too_large(stripe_client: stripe.StripeClient) -> None:
    pi = _paid(stripe_client)
    first = stripe_client.v1.refunds.create(params={"charge": pi.latest_charge, "amount": 2000})
    second = stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 2500})
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.amount_refunded == 4500 and not charge.refunded
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.refunds.create(params={"charge": charge.id, "amount": 600})
    assert raised.value.http_status == 400
    assert raised.value.code == "amount_too_large" and raised.value.param == "amount"
    last = stripe_client.v1.refunds.create(params={"charge": charge.id})
    assert last.amount == 500
    listed = stripe_client.v1.refunds.list(params={"charge": charge.id})
    assert [r.id for r in listed.data] == [last.id, second.id, first.id]
    by_pi = stripe_client.v1.refunds.list(params={"payment_intent": pi.id})
    assert len(by_pi.data) == 3


def test_update_and_missing(stripe_client: stripe.StripeClient) -> None:
    pi = _paid(stripe_client)
    refund = stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 100})
    updated = stripe_client.v1.refunds.update(refund.id, params={"metadata": {"why": "late"}})
    assert updated.metadata.to_dict() == {"why": "late"}
    assert stripe_client.v1.refunds.retrieve(refund.id).metadata.to_dict() == {"why": "late"}
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.refunds.data[0].metadata.to_dict() == {"why": "late"}
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.refunds.retrieve("re_missing")
    assert raised.value.http_status == 404


def test_refund_of_unpaid_intent_is_refused(stripe_client: stripe.StripeClient) -> None:
    pi = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.refunds.create(params={"payment_intent": pi.id})
    assert raised.value.param == "payment_intent"
