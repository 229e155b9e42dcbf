"""The legacy Charges API: `POST /v1/charges` with a source (test tokens, tokens made with
`POST /v1/tokens`, a customer's saved card), declines, manual capture, refunds and events."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.stripe_fixtures import stripe_resources


def _events(client: stripe.StripeClient, object_id: str) -> list[str]:
    events = client.v1.events.list(params={"limit": 100}).data
    return [e.type for e in reversed(events) if e.data.object.to_dict().get("id") == object_id]


def test_seed_charge_with_tok_visa_succeeds(stripe_client: stripe.StripeClient) -> None:
    charge = stripe_client.v1.charges.create(
        params={
            "amount": 2000,
            "currency": "eur",
            "description": "Order payment #1234",
            "source": "tok_visa",
            "metadata": {"order": "1234"},
            "receipt_email": "buyer@example.com",
        }
    )
    assert charge.status == "succeeded" and charge.paid and charge.captured
    assert charge.amount == 2000 and charge.amount_captured == 2000 and charge.currency == "eur"
    assert charge.description == "Order payment #1234" and charge.metadata["order"] == "1234"
    assert charge.receipt_email == "buyer@example.com" and charge.payment_intent is None
    assert charge.source.object == "card" and charge.source.brand == "Visa"
    assert charge.source.last4 == "4242" and charge.payment_method == charge.source.id
    assert charge.payment_method_details.card.brand == "visa"
    assert stripe_client.v1.charges.retrieve(charge.id).id == charge.id
    assert _events(stripe_client, charge.id) == ["charge.succeeded"]


@pytest.mark.parametrize(
    ("token", "brand", "last4", "funding"),
    [
        ("tok_mastercard", "MasterCard", "4444", "credit"),
        ("tok_amex", "American Express", "0005", "credit"),
        ("tok_visa_debit", "Visa", "5556", "debit"),
    ],
)
def test_test_tokens_name_their_cards(
    stripe_client: stripe.StripeClient, token: str, brand: str, last4: str, funding: str
) -> None:
    charge = stripe_client.v1.charges.create(
        params={"amount": 500, "currency": "usd", "source": token}
    )
    assert (charge.source.brand, charge.source.last4, charge.source.funding) == (
        brand,
        last4,
        funding,
    )


@pytest.mark.parametrize(
    ("token", "code", "decline_code"),
    [
        ("tok_chargeDeclined", "card_declined", "generic_decline"),
        ("tok_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("tok_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
        ("tok_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
        ("tok_chargeDeclinedProcessingError", "processing_error", "processing_error"),
    ],
)
def test_declined_tokens_raise_card_error_with_the_failed_charge(
    stripe_client: stripe.StripeClient, token: str, code: str, decline_code: str
) -> None:
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.charges.create(params={"amount": 2000, "currency": "usd", "source": token})
    error = caught.value
    assert error.http_status == 402 and error.code == code
    body: Any = error.json_body
    assert body["error"]["decline_code"] == decline_code
    charge = stripe_client.v1.charges.retrieve(body["error"]["charge"])
    assert charge.status == "failed" and not charge.paid and charge.failure_code == code
    assert charge.outcome.type == "issuer_declined"
    assert _events(stripe_client, charge.id) == ["charge.failed"]


def test_created_token_pays_once(stripe_client: stripe.StripeClient) -> None:
    token = stripe_client.v1.tokens.create(
        params={
            "card": {
                "number": "4242424242424242",
                "exp_month": "12",
                "exp_year": "2034",
                "cvc": "123",
                "name": "Jenny Rosen",
            }
        }
    )
    assert token.object == "token" and token.type == "card" and not token.used
    assert token.card.last4 == "4242" and token.card.name == "Jenny Rosen"
    assert token.card.cvc_check == "unchecked"
    charge = stripe_client.v1.charges.create(
        params={"amount": 900, "currency": "usd", "source": token.id}
    )
    assert charge.source.id == token.card.id and charge.source.cvc_check == "pass"
    assert charge.billing_details.name == "Jenny Rosen"
    assert stripe_client.v1.tokens.retrieve(token.id).used is True
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.charges.create(
            params={"amount": 900, "currency": "usd", "source": token.id}
        )
    assert caught.value.code == "token_already_used" and caught.value.param == "source"


def test_token_with_a_declining_number_declines_at_charge_time(
    stripe_client: stripe.StripeClient,
) -> None:
    token = stripe_client.v1.tokens.create(
        params={"card": {"number": "4000000000009995", "exp_month": 1, "exp_year": 2035}}
    )
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.charges.create(
            params={"amount": 900, "currency": "usd", "source": token.id}
        )
    assert caught.value.json_body["error"]["decline_code"] == "insufficient_funds"  # type: ignore[index]


def test_token_with_invalid_card_details_is_a_card_error(
    stripe_client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.tokens.create(
            params={"card": {"number": "4242424242424241", "exp_month": 1, "exp_year": 2035}}
        )
    assert caught.value.code == "incorrect_number" and caught.value.param == "number"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.tokens.create(params={"card": {"number": "4242424242424242"}})
    assert missing.value.param == "card[exp_month]"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe_client.v1.tokens.retrieve("tok_nope")
    assert unknown.value.http_status == 404 and unknown.value.code == "resource_missing"


def test_unknown_source_and_no_source(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.charges.create(
            params={"amount": 900, "currency": "usd", "source": "tok_unheard_of"}
        )
    assert caught.value.code == "resource_missing" and caught.value.param == "source"
    with pytest.raises(stripe.InvalidRequestError) as neither:
        stripe_client.v1.charges.create(params={"amount": 900, "currency": "usd"})
    assert neither.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as bad_amount:
        stripe_client.v1.charges.create(
            params={"amount": "ten", "currency": "usd", "source": "tok_visa"}
        )
    assert bad_amount.value.param == "amount"


def test_customer_saved_card_is_charged_by_default(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create(
        params={"email": "jenny@example.com", "source": "tok_mastercard"}
    )
    assert customer.default_source and customer.default_source.startswith("card_")
    charge = stripe_client.v1.charges.create(
        params={"amount": 1500, "currency": "usd", "customer": customer.id}
    )
    assert charge.customer == customer.id and charge.source.id == customer.default_source
    assert charge.source.customer == customer.id
    bare = stripe_client.v1.customers.create()
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.charges.create(
            params={"amount": 1500, "currency": "usd", "customer": bare.id}
        )
    assert caught.value.code == "missing" and caught.value.param == "card"
    card = stripe_client.v1.customers.payment_sources.create(bare.id, params={"source": "tok_visa"})
    charged = stripe_client.v1.charges.create(
        params={"amount": 700, "currency": "usd", "customer": bare.id, "source": card.id}
    )
    assert charged.source.id == card.id
    with pytest.raises(stripe.InvalidRequestError) as other:  # another customer's card
        stripe_client.v1.charges.create(
            params={"amount": 700, "currency": "usd", "customer": customer.id, "source": card.id}
        )
    assert other.value.code == "missing" and other.value.param == "source"
    with pytest.raises(stripe.InvalidRequestError) as unsaved:  # a token is not a saved card
        stripe_client.v1.charges.create(
            params={"amount": 700, "currency": "usd", "customer": bare.id, "source": "tok_visa"}
        )
    assert unsaved.value.code == "missing"
    assert "does not have a linked source with ID tok_visa" in str(unsaved.value.user_message)
    with pytest.raises(stripe.InvalidRequestError) as no_customer:  # a saved card needs its owner
        stripe_client.v1.charges.create(
            params={"amount": 700, "currency": "usd", "source": card.id}
        )
    assert no_customer.value.param == "source"


def test_uncaptured_charge_is_captured_then_refunded(stripe_client: stripe.StripeClient) -> None:
    charge = stripe_client.v1.charges.create(
        params={"amount": 3000, "currency": "usd", "source": "tok_visa", "capture": False}
    )
    assert charge.status == "succeeded" and not charge.captured and charge.amount_captured == 0
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.refunds.create(params={"charge": charge.id})
    captured = stripe_client.v1.charges.capture(charge.id, params={"amount": 2500})
    assert captured.captured and captured.amount_captured == 2500
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.charges.capture(charge.id)
    assert again.value.code == "charge_already_captured"
    refund = stripe_client.v1.refunds.create(params={"charge": charge.id, "amount": 1000})
    assert refund.status == "succeeded" and refund.amount == 1000
    rest = stripe_client.v1.refunds.create(params={"charge": charge.id})
    assert rest.amount == 1500
    final = stripe_client.v1.charges.retrieve(charge.id)
    # The 500 never captured was refunded at capture, as Stripe does.
    assert final.refunded and final.amount_refunded == 3000
    assert _events(stripe_client, charge.id) == [
        "charge.succeeded",
        "charge.captured",
        "charge.refunded",
        "charge.refunded",
        "charge.refunded",
    ]


def test_capturing_a_payment_intents_charge_captures_the_intent(
    stripe_client: stripe.StripeClient,
) -> None:
    pi = stripe_client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "capture_method": "manual",
        }
    )
    charge = stripe_client.v1.charges.capture(pi.latest_charge)
    assert charge.captured
    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_idempotent_charge_replays_the_same_charge(stripe_client: stripe.StripeClient) -> None:
    params: Any = {"amount": 2000, "currency": "eur", "source": "tok_visa"}
    first = stripe_client.v1.charges.create(params=params, options={"idempotency_key": "k1"})
    again = stripe_client.v1.charges.create(params=params, options={"idempotency_key": "k1"})
    assert first.id == again.id
    assert len(stripe_client.v1.charges.list().data) == 1


def test_token_and_card_carry_every_fixture_field(stripe_client: stripe.StripeClient) -> None:
    resources = stripe_resources()
    token = stripe_client.v1.tokens.create(params={"card": "tok_visa"}).to_dict()
    _same_shape(resources["token"], token)
    _same_shape(resources["token"]["card"], token["card"])
    customer = stripe_client.v1.customers.create(params={"source": "tok_visa"})
    card = stripe_client.v1.customers.payment_sources.retrieve(customer.id, customer.default_source)
    _same_shape(resources["card"], card.to_dict())
    listed = stripe_client.v1.customers.payment_sources.list(customer.id, params={"object": "card"})
    assert [c.id for c in listed.data] == [card.id]
    charge = stripe_client.v1.charges.create(
        params={"amount": 100, "currency": "usd", "source": "tok_visa"}
    ).to_dict()
    _same_shape(resources["charge"], charge)
    _same_shape(resources["card"], charge["source"])


def _same_shape(example: dict[str, Any], ours: dict[str, Any]) -> None:
    """Every field of Stripe's example is there, with the example's JSON type when not null."""
    assert set(example) <= set(ours), set(example) - set(ours)
    for name, value in example.items():
        if value is not None and ours[name] is not None:
            assert type(ours[name]) is type(value), name


def test_customer_sources_replace_and_delete(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create(params={"source": "tok_visa"})
    first = customer.default_source
    updated = stripe_client.v1.customers.update(customer.id, params={"source": "tok_amex"})
    assert updated.default_source != first
    charge = stripe_client.v1.charges.create(
        params={"amount": 800, "currency": "usd", "customer": customer.id}
    )
    assert charge.source.brand == "American Express"
    deleted = stripe_client.v1.customers.payment_sources.delete(customer.id, updated.default_source)
    assert deleted.deleted is True
    assert stripe_client.v1.customers.retrieve(customer.id).default_source == first
    sources = stripe_client.v1.customers.payment_sources.list(customer.id)
    assert [s.id for s in sources.data] == [first]
    assert "customer.source.deleted" in [
        e.type for e in stripe_client.v1.events.list(params={"limit": 100}).data
    ]


def test_a_partial_capture_refunds_the_rest(stripe_client: stripe.StripeClient) -> None:
    held = stripe_client.v1.charges.create(
        params={"amount": 2000, "currency": "usd", "source": "tok_visa", "capture": False}
    )
    captured = stripe_client.v1.charges.capture(held.id, params={"amount": 1200})
    assert (captured.amount_captured, captured.amount_refunded, captured.refunded) == (
        1200,
        800,
        False,
    )
    refunds = stripe_client.v1.refunds.list(params={"charge": held.id}).data
    assert [r.amount for r in refunds] == [800]
    kinds = [e.type for e in stripe_client.v1.events.list(params={"limit": 10}).data]
    assert kinds[:3] == ["charge.refunded", "refund.created", "charge.captured"]
