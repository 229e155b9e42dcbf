"""Stripe's test cards behave as on Stripe: declining cards cannot be saved on a customer (only
4000 0000 0000 0341 can, and then fails when charged), and a PaymentIntent's
`payment_method_types` / `payment_method_options` are checked, kept and honoured."""

from __future__ import annotations

import pytest
import stripe


def _customer(client: stripe.StripeClient, **params: object) -> stripe.Customer:
    return client.v1.customers.create(params={"email": "c@example.com", **params})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("test_pm", "decline_code"),
    [
        ("pm_card_chargeDeclined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("pm_card_chargeDeclinedStolenCard", "stolen_card"),
    ],
)
def test_a_declining_card_cannot_be_attached(
    stripe_client: stripe.StripeClient, test_pm: str, decline_code: str
) -> None:
    customer = _customer(stripe_client)
    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.payment_methods.attach(test_pm, params={"customer": customer.id})
    assert (declined.value.http_status, declined.value.code) == (402, "card_declined")
    assert declined.value.json_body is not None
    assert declined.value.json_body["error"]["decline_code"] == decline_code
    saved = stripe_client.v1.payment_methods.list(params={"customer": customer.id})
    assert saved.data == []


def test_a_declining_source_fails_the_customer_create(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as declined:
        _customer(stripe_client, source="tok_chargeDeclined")
    assert declined.value.code == "card_declined"
    assert stripe_client.v1.customers.list().data == []


def test_a_declining_source_cannot_be_added(stripe_client: stripe.StripeClient) -> None:
    customer = _customer(stripe_client)
    with pytest.raises(stripe.CardError):
        stripe_client.v1.customers.payment_sources.create(
            customer.id, params={"source": "tok_chargeDeclined"}
        )
    with pytest.raises(stripe.CardError):
        stripe_client.v1.customers.update(customer.id, params={"source": "tok_chargeDeclined"})
    again = stripe_client.v1.customers.retrieve(customer.id)
    assert again.default_source is None


def test_0341_attaches_and_then_fails_when_charged(stripe_client: stripe.StripeClient) -> None:
    customer = _customer(stripe_client)
    pm = stripe_client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": customer.id}
    )
    assert pm.customer == customer.id
    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd", "customer": customer.id,
                    "payment_method": pm.id, "confirm": True, "off_session": True}
        )  # fmt: skip
    assert declined.value.code == "card_declined"


# -- payment_method_types and payment_method_options ---------------------------------------------


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"payment_method_types": ["carrier_pigeon"]}, "payment_method_types[0]"),
        ({"payment_method_types": ["card", "sepa_debit"]}, "payment_method_types[1]"),
        ({"payment_method_options": {"card": {"unknown_option": "x"}}},
         "payment_method_options[card][unknown_option]"),
        ({"payment_method_options": {"not_a_type": {"x": "y"}}},
         "payment_method_options[not_a_type]"),
    ],
)  # fmt: skip
def test_bad_types_and_options_are_a_400_naming_them(
    stripe_client: stripe.StripeClient, params: dict[str, object], param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd", **params}  # type: ignore[typeddict-item]
        )
    assert refused.value.param == param
    assert stripe_client.v1.payment_intents.list().data == []


def test_a_type_usable_with_the_currency_is_taken(stripe_client: stripe.StripeClient) -> None:
    pi = stripe_client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur", "payment_method_types": ["card", "sepa_debit"]}
    )
    assert pi.payment_method_types == ["card", "sepa_debit"]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.update(pi.id, params={"currency": "usd"})


def test_options_are_kept_echoed_and_request_three_d_secure_any_forces_the_challenge(
    stripe_client: stripe.StripeClient,
) -> None:
    pi = stripe_client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "payment_method_options": {"card": {"request_three_d_secure": "any"}},
        }
    )
    assert pi.payment_method_options is not None and pi.payment_method_options.card is not None
    assert pi.payment_method_options.card.request_three_d_secure == "any"
    confirmed = stripe_client.v1.payment_intents.confirm(
        pi.id, params={"payment_method": "pm_card_visa", "return_url": "https://x.example/r"}
    )
    assert confirmed.status == "requires_action"
    plain = stripe_client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa",
                "confirm": True}
    )  # fmt: skip
    assert plain.status == "succeeded"
    assert plain.payment_method_options is not None
    assert plain.payment_method_options.card is not None
    assert plain.payment_method_options.card.request_three_d_secure == "automatic"


# -- Radar's test cards --------------------------------------------------------------------------


@pytest.mark.parametrize("test_pm", ["pm_card_radarBlock", "pm_card_riskLevelHighest"])
def test_radar_blocks_its_highest_risk_cards(
    stripe_client: stripe.StripeClient, test_pm: str
) -> None:
    with pytest.raises(stripe.CardError) as blocked:
        stripe_client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd", "payment_method": test_pm, "confirm": True}
        )
    assert (blocked.value.code, blocked.value.json_body["error"]["decline_code"]) == (  # type: ignore[index]
        "card_declined",
        "fraudulent",
    )
    charge = stripe_client.v1.charges.list().data[0]
    assert charge.status == "failed" and charge.outcome is not None
    assert (charge.outcome.type, charge.outcome.reason, charge.outcome.risk_level) == (
        "blocked",
        "highest_risk_level",
        "highest",
    )
    assert charge.outcome.network_status == "not_sent_to_network"


def test_an_elevated_risk_card_pays_with_its_risk_in_the_outcome(
    stripe_client: stripe.StripeClient,
) -> None:
    charge = stripe_client.v1.charges.create(
        params={"amount": 1000, "currency": "usd", "source": "tok_riskLevelElevated"}
    )
    assert charge.status == "succeeded" and charge.outcome is not None
    assert (charge.outcome.type, charge.outcome.risk_level) == ("authorized", "elevated")
    normal = stripe_client.v1.charges.create(
        params={"amount": 1000, "currency": "usd", "source": "tok_visa"}
    )
    assert normal.outcome is not None and normal.outcome.risk_level == "normal"


def test_the_radar_card_numbers_are_test_cards(stripe_client: stripe.StripeClient) -> None:
    for number in ("4100000000000019", "4000000000004954", "4000000000009235"):
        token = stripe_client.v1.tokens.create(
            params={"card": {"number": number, "exp_month": 12, "exp_year": 2034}}
        )
        assert token.card is not None and token.card.last4 == number[-4:]


# -- a customer's saved card as a PaymentIntent's payment_method ----------------------------------


def test_a_payment_intent_takes_a_customers_saved_card(stripe_client: stripe.StripeClient) -> None:
    customer = _customer(stripe_client, source="tok_visa")
    card_id = stripe_client.v1.customers.retrieve(customer.id).default_source
    assert isinstance(card_id, str) and card_id.startswith("card_")
    pi = stripe_client.v1.payment_intents.create(
        params={"amount": 1800, "currency": "usd", "customer": customer.id,
                "payment_method": card_id, "confirm": True, "off_session": True}
    )  # fmt: skip
    assert (pi.status, pi.payment_method) == ("succeeded", card_id)
    charge = stripe_client.v1.charges.retrieve(str(pi.latest_charge))
    assert charge.payment_method == card_id
    assert charge.payment_method_details is not None
    assert charge.payment_method_details.card is not None
    assert charge.payment_method_details.card.last4 == "4242"


def test_a_saved_card_needs_its_customer_on_the_intent(stripe_client: stripe.StripeClient) -> None:
    customer = _customer(stripe_client, source="tok_visa")
    card_id = str(stripe_client.v1.customers.retrieve(customer.id).default_source)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.create(
            params={"amount": 1800, "currency": "usd", "payment_method": card_id, "confirm": True}
        )
    assert refused.value.param == "payment_method"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.create(
            params={"amount": 1800, "currency": "usd", "payment_method": "card_nope",
                    "confirm": True}
        )  # fmt: skip
