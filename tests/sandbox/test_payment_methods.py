"""PaymentMethods: Stripe's test ids, raw card numbers and their validation, attach/detach."""

from __future__ import annotations

from typing import Any

import pytest
import stripe


def _card(client: stripe.StripeClient, **card: Any) -> stripe.PaymentMethod:
    details = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
    return client.v1.payment_methods.create(params={"type": "card", "card": {**details, **card}})


def test_raw_card_number_creates_card(stripe_client: stripe.StripeClient) -> None:
    pm = _card(stripe_client, number="5555 5555 5555 4444")
    assert pm.type == "card" and pm.card is not None
    assert pm.card.brand == "mastercard" and pm.card.last4 == "4444"
    assert pm.card.exp_year == 2040
    assert stripe_client.v1.payment_methods.retrieve(pm.id).id == pm.id


@pytest.mark.parametrize(
    ("card", "code", "param"),
    [
        ({"number": "4242424242424241"}, "incorrect_number", "number"),
        ({"number": "42abc"}, "invalid_number", "number"),
        ({"exp_month": 13}, "invalid_expiry_month", "exp_month"),
        ({"exp_year": 2001}, "invalid_expiry_year", "exp_year"),
        ({"cvc": "1x"}, "invalid_cvc", "cvc"),
    ],
)
def test_invalid_card_details_are_card_errors(
    stripe_client: stripe.StripeClient, card: dict[str, Any], code: str, param: str
) -> None:
    with pytest.raises(stripe.CardError) as raised:
        _card(stripe_client, **card)
    assert raised.value.http_status == 402
    assert raised.value.code == code and raised.value.param == param


def test_raw_decline_number_declines_the_payment(stripe_client: stripe.StripeClient) -> None:
    pm = _card(stripe_client, number="4000000000009995")
    with pytest.raises(stripe.CardError) as raised:
        stripe_client.v1.payment_intents.create(
            params={"amount": 900, "currency": "usd", "confirm": True, "payment_method": pm.id}
        )
    assert raised.value.error is not None
    assert raised.value.error.decline_code == "insufficient_funds"


def test_test_id_makes_a_fresh_payment_method(stripe_client: stripe.StripeClient) -> None:
    one = stripe_client.v1.payment_methods.retrieve("pm_card_amex")
    two = stripe_client.v1.payment_methods.retrieve("pm_card_amex")
    assert one.id != two.id and one.card is not None and one.card.brand == "amex"


def test_attach_detach_and_list(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create(params={"email": "b@example.com"})
    visa = stripe_client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    failing = stripe_client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": customer.id}
    )
    assert visa.customer == customer.id and failing.customer == customer.id
    listed = stripe_client.v1.payment_methods.list(params={"customer": customer.id, "type": "card"})
    assert [p.id for p in listed.data] == [failing.id, visa.id]
    by_customer = stripe_client.v1.customers.payment_methods.list(customer.id)
    assert len(by_customer.data) == 2
    detached = stripe_client.v1.payment_methods.detach(visa.id)
    assert detached.customer is None
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_methods.detach(visa.id)
    events = [e.type for e in reversed(stripe_client.v1.events.list().data)]
    assert events[1:] == [
        "payment_method.attached",
        "payment_method.attached",
        "payment_method.detached",
    ]
    with pytest.raises(stripe.CardError) as raised:
        stripe_client.v1.payment_intents.create(
            params={
                "amount": 900,
                "currency": "usd",
                "customer": customer.id,
                "confirm": True,
                "off_session": True,
                "payment_method": failing.id,
            }
        )
    assert raised.value.code == "card_declined"
