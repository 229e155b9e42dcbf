"""Charges made by payment intents: details, outcome, filters, updates, and every object's
shape against Stripe's example objects."""

from __future__ import annotations

from typing import Any

import httpx
import stripe

from tests.stripe_fixtures import stripe_resources


def test_charge_details_outcome_and_filters(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create(params={"email": "c@example.com"})
    pi = stripe_client.v1.payment_intents.create(
        params={
            "amount": 1234,
            "currency": "usd",
            "customer": customer.id,
            "confirm": True,
            "payment_method": "pm_card_visa",
        }
    )
    stripe_client.v1.payment_intents.create(
        params={"amount": 999, "currency": "usd", "confirm": True, "payment_method": "pm_card_amex"}
    )
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    card = charge.payment_method_details.card
    assert card.brand == "visa" and card.last4 == "4242" and card.funding == "credit"
    assert charge.outcome.type == "authorized" and charge.outcome.network_status == (
        "approved_by_network"
    )
    assert charge.amount_refunded == 0 and not charge.refunded
    assert charge.refunds.object == "list" and charge.receipt_url
    assert [c.id for c in stripe_client.v1.charges.list(params={"payment_intent": pi.id}).data] == [
        charge.id
    ]
    assert [c.id for c in stripe_client.v1.charges.list(params={"customer": customer.id}).data] == [
        charge.id
    ]
    assert len(stripe_client.v1.charges.list().data) == 2
    updated = stripe_client.v1.charges.update(
        charge.id, params={"description": "Order 9", "metadata": {"order": "9"}}
    )
    assert updated.description == "Order 9" and updated.metadata.to_dict() == {"order": "9"}
    expanded = stripe_client.v1.payment_intents.retrieve(
        pi.id, params={"expand": ["latest_charge"]}
    )
    assert expanded.latest_charge.id == charge.id


def _fixture(kind: str) -> dict[str, Any]:
    return stripe_resources()[kind]


def test_objects_carry_every_field_of_stripe_examples(sandbox_url: str, stripe_key: str) -> None:
    auth = {"Authorization": f"Bearer {stripe_key}"}
    with httpx.Client(base_url=sandbox_url, headers=auth) as http:
        pi = http.post(
            "/v1/payment_intents",
            data={
                "amount": "500",
                "currency": "usd",
                "confirm": "true",
                "payment_method": "pm_card_visa",
            },
        ).json()
        refund = http.post("/v1/refunds", data={"payment_intent": pi["id"]}).json()
        product = http.post("/v1/products", data={"name": "X"}).json()
        price = http.post(
            "/v1/prices", data={"product": product["id"], "currency": "usd", "unit_amount": "5"}
        ).json()
        objects = {
            "payment_intent": pi,
            "charge": http.get(f"/v1/charges/{pi['latest_charge']}").json(),
            "payment_method": http.get(f"/v1/payment_methods/{pi['payment_method']}").json(),
            "refund": refund,
            "product": product,
            "price": price,
        }
    for kind, obj in objects.items():
        missing = set(_fixture(kind)) - set(obj)
        assert not missing, f"{kind} lacks {sorted(missing)}"
