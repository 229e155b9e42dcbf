"""PaymentIntents through the real stripe SDK: test-card outcomes, status machine, events."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe


def _events(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in reversed(client.v1.events.list(params={"limit": 100}).data)]


def _pay(client: stripe.StripeClient, pm: str, **extra: Any) -> Any:
    params = {"amount": 2000, "currency": "usd", "confirm": True, "payment_method": pm}
    return client.v1.payment_intents.create(params={**params, **extra})


def test_visa_succeeds_with_charge_and_events(stripe_client: stripe.StripeClient) -> None:
    pi = _pay(stripe_client, "pm_card_visa", metadata={"order_id": "42"})
    assert pi.status == "succeeded"
    assert pi.amount_received == 2000
    assert pi.payment_method.startswith("pm_") and pi.payment_method != "pm_card_visa"
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.status == "succeeded" and charge.paid and charge.captured
    assert charge.metadata.to_dict() == {"order_id": "42"}
    assert _events(stripe_client) == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
    ]


DECLINES = [
    ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
    (
        "pm_card_visa_chargeDeclinedInsufficientFunds",
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    (
        "pm_card_visa_chargeDeclinedLostCard",
        "card_declined",
        "lost_card",
        "Your card was declined.",
    ),
    (
        "pm_card_visa_chargeDeclinedStolenCard",
        "card_declined",
        "stolen_card",
        "Your card was declined.",
    ),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card", "Your card has expired."),
    (
        "pm_card_chargeDeclinedIncorrectCvc",
        "incorrect_cvc",
        "incorrect_cvc",
        "Your card's security code is incorrect.",
    ),
    (
        "pm_card_chargeDeclinedProcessingError",
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    ("pm_card_chargeCustomerFail", "card_declined", "generic_decline", "Your card was declined."),
]


@pytest.mark.parametrize(("pm", "code", "decline_code", "message"), DECLINES)
def test_declined_card_raises_card_error_and_records_failure(
    stripe_client: stripe.StripeClient, pm: str, code: str, decline_code: str, message: str
) -> None:
    with pytest.raises(stripe.CardError) as raised:
        _pay(stripe_client, pm)
    error = raised.value
    assert error.http_status == 402
    assert error.code == code
    assert error.error is not None
    assert error.error.decline_code == decline_code
    assert error.user_message == message
    assert error.error.payment_intent is not None
    pi_id = error.error.payment_intent["id"]
    pi = stripe_client.v1.payment_intents.retrieve(pi_id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error is not None
    assert pi.last_payment_error.code == code
    assert pi.last_payment_error.decline_code == decline_code
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.status == "failed" and charge.failure_code == code
    assert charge.outcome is not None and charge.outcome.reason == decline_code
    assert _events(stripe_client) == [
        "payment_intent.created",
        "charge.failed",
        "payment_intent.payment_failed",
    ]


def test_declined_intent_can_be_retried_with_a_good_card(
    stripe_client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.CardError) as raised:
        _pay(stripe_client, "pm_card_visa_chargeDeclined")
    assert raised.value.error is not None and raised.value.error.payment_intent is not None
    pi_id = raised.value.error.payment_intent["id"]
    pi = stripe_client.v1.payment_intents.confirm(pi_id, params={"payment_method": "pm_card_visa"})
    assert pi.status == "succeeded"
    assert pi.last_payment_error is None


def test_status_machine_create_update_confirm(stripe_client: stripe.StripeClient) -> None:
    pi = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
    assert pi.status == "requires_payment_method"
    assert pi.client_secret.startswith(pi.id + "_secret_")
    pi = stripe_client.v1.payment_intents.update(
        pi.id, params={"amount": 1500, "payment_method": "pm_card_mastercard"}
    )
    assert pi.status == "requires_confirmation" and pi.amount == 1500
    pi = stripe_client.v1.payment_intents.confirm(pi.id)
    assert pi.status == "succeeded" and pi.amount_received == 1500
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.payment_intents.confirm(pi.id)
    assert raised.value.code == "payment_intent_unexpected_state"


def test_confirm_without_payment_method_is_refused(stripe_client: stripe.StripeClient) -> None:
    pi = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.confirm(pi.id)


def test_manual_capture_partial(stripe_client: stripe.StripeClient) -> None:
    pi = _pay(stripe_client, "pm_card_visa", capture_method="manual")
    assert pi.status == "requires_capture"
    assert pi.amount_capturable == 2000 and pi.amount_received == 0
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 5000})
    assert raised.value.param == "amount_to_capture"
    pi = stripe_client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 1500})
    assert pi.status == "succeeded"
    assert pi.amount_received == 1500 and pi.amount_capturable == 0
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.captured and charge.amount_captured == 1500
    # The rest of the authorisation is given back as a refund, as on Stripe.
    assert (charge.amount_refunded, charge.refunded) == (500, False)
    refunds = stripe_client.v1.refunds.list(params={"charge": charge.id}).data
    assert [r.amount for r in refunds] == [500]
    assert _events(stripe_client) == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.amount_capturable_updated",
        "charge.captured",
        "refund.created",
        "charge.refunded",
        "payment_intent.succeeded",
    ]
    # What was captured can still be refunded, and no more.
    stripe_client.v1.refunds.create(params={"payment_intent": pi.id})
    charge = stripe_client.v1.charges.retrieve(charge.id)
    assert (charge.amount_refunded, charge.refunded) == (2000, True)


def test_cancel_with_reason_and_not_after_success(stripe_client: stripe.StripeClient) -> None:
    pi = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    pi = stripe_client.v1.payment_intents.cancel(
        pi.id, params={"cancellation_reason": "requested_by_customer"}
    )
    assert pi.status == "canceled"
    assert pi.cancellation_reason == "requested_by_customer" and pi.canceled_at
    assert _events(stripe_client)[-1] == "payment_intent.canceled"
    done = _pay(stripe_client, "pm_card_visa")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.payment_intents.cancel(done.id)
    assert raised.value.code == "payment_intent_unexpected_state"


def test_list_by_customer_and_404(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create(params={"email": "a@example.com"})
    mine = stripe_client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "usd", "customer": customer.id}
    )
    stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    listed = stripe_client.v1.payment_intents.list(params={"customer": customer.id})
    assert [p.id for p in listed.data] == [mine.id]
    assert len(stripe_client.v1.payment_intents.list().data) == 2
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.payment_intents.retrieve("pi_missing")
    assert raised.value.http_status == 404 and raised.value.code == "resource_missing"


def test_bad_params_name_the_param(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.payment_intents.create(params={"currency": "usd"})
    assert raised.value.param == "amount"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.payment_intents.create(params={"amount": 10, "currency": "usd"})
    assert raised.value.param == "amount" and raised.value.code == "amount_too_small"


def test_idempotent_confirm_replays_and_refuses_other_params(
    sandbox_url: str, stripe_key: str
) -> None:
    headers = {"Authorization": f"Bearer {stripe_key}", "Idempotency-Key": "order-1"}
    body = {
        "amount": "2000",
        "currency": "usd",
        "confirm": "true",
        "payment_method": "pm_card_visa",
    }
    with httpx.Client(base_url=sandbox_url) as http:
        first = http.post("/v1/payment_intents", data=body, headers=headers)
        again = http.post("/v1/payment_intents", data=body, headers=headers)
        other = http.post("/v1/payment_intents", data={**body, "amount": "3000"}, headers=headers)
        listed = http.get(
            "/v1/payment_intents", headers={"Authorization": headers["Authorization"]}
        )
    assert first.status_code == 200 and first.json()["status"] == "succeeded"
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 400 and other.json()["error"]["type"] == "idempotency_error"
    assert len(listed.json()["data"]) == 1


def test_idempotent_decline_replays_the_card_error(sandbox_url: str, stripe_key: str) -> None:
    headers = {"Authorization": f"Bearer {stripe_key}", "Idempotency-Key": "order-2"}
    body = {
        "amount": "2000",
        "currency": "usd",
        "confirm": "true",
        "payment_method": "pm_card_visa_chargeDeclined",
    }
    with httpx.Client(base_url=sandbox_url) as http:
        first = http.post("/v1/payment_intents", data=body, headers=headers)
        again = http.post("/v1/payment_intents", data=body, headers=headers)
    assert first.status_code == 402 and first.json()["error"]["decline_code"] == "generic_decline"
    assert again.status_code == 402 and again.content == first.content
