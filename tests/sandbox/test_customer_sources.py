"""Customers as Stripe serves them: `expand[]=sources`, updating a saved card, `tax_id_data`;
and charges paid with a card hash as `source`."""

from __future__ import annotations

import httpx
import pytest
import stripe


def test_expand_sources_lists_the_saved_cards(
    sandbox_url: str, stripe_key: str, stripe_client: stripe.StripeClient
) -> None:
    customer = stripe_client.v1.customers.create(params={"source": "tok_visa"})
    stripe_client.v1.customers.payment_sources.create(
        customer.id, params={"source": "tok_mastercard"}
    )
    plain = stripe_client.v1.customers.retrieve(customer.id)
    assert "sources" not in plain
    expanded = stripe_client.v1.customers.retrieve(customer.id, params={"expand": ["sources"]})
    sources = expanded["sources"]
    assert sources["object"] == "list" and sources["total_count"] == 2
    assert {card["last4"] for card in sources["data"]} == {"4242", "4444"}
    # The stored customer is untouched by expansion.
    with httpx.Client(base_url=sandbox_url, headers={"Authorization": f"Bearer {stripe_key}"}) as h:
        assert "sources" not in h.get(f"/v1/customers/{customer.id}").json()


def test_a_saved_card_is_updated(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create(params={"source": "tok_visa"})
    card_id = str(stripe_client.v1.customers.retrieve(customer.id).default_source)
    updated = stripe_client.v1.customers.payment_sources.update(
        customer.id,
        card_id,
        params={"name": "Ada Lovelace", "exp_month": "7", "address_zip": "10115",
                "metadata": {"label": "work"}},
    )  # fmt: skip
    assert (updated["name"], updated["exp_month"], updated["address_zip"]) == (
        "Ada Lovelace",
        7,
        "10115",
    )
    assert updated["metadata"].to_dict() == {"label": "work"}
    events = stripe_client.v1.events.list(params={"type": "customer.source.updated"}).data
    assert len(events) == 1
    with pytest.raises(stripe.CardError) as refused:
        stripe_client.v1.customers.payment_sources.update(
            customer.id, card_id, params={"exp_month": "13"}
        )
    assert refused.value.code == "invalid_expiry_month"


def test_tax_id_data_makes_the_customers_tax_ids(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create(
        params={"tax_id_data": [{"type": "eu_vat", "value": "DE123456789"}]}
    )
    tax_ids = stripe_client.v1.customers.tax_ids.list(customer.id).data
    assert [(t.type, t.value, t.country) for t in tax_ids] == [("eu_vat", "DE123456789", "DE")]
    assert tax_ids[0].verification is not None
    assert tax_ids[0].verification.status == "pending"
    expanded = stripe_client.v1.customers.retrieve(customer.id, params={"expand": ["tax_ids"]})
    assert [t["id"] for t in expanded["tax_ids"]["data"]] == [tax_ids[0].id]


def test_a_bad_tax_id_type_makes_no_customer(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.customers.create(
            params={"tax_id_data": [{"type": "moon_vat", "value": "1"}]}  # type: ignore[typeddict-item]
        )
    assert refused.value.param == "tax_id_data[0][type]"
    assert stripe_client.v1.customers.list().data == []


def test_a_charge_takes_a_card_hash_as_its_source(
    sandbox_url: str, stripe_key: str, stripe_client: stripe.StripeClient
) -> None:
    form = {
        "amount": "1500",
        "currency": "usd",
        "source[object]": "card",
        "source[number]": "4242424242424242",
        "source[exp_month]": "12",
        "source[exp_year]": "2034",
        "source[cvc]": "123",
    }
    with httpx.Client(base_url=sandbox_url, headers={"Authorization": f"Bearer {stripe_key}"}) as h:
        paid = h.post("/v1/charges", data=form)
        declined = h.post("/v1/charges", data={**form, "source[number]": "4000000000000002"})
        real = h.post("/v1/charges", data={**form, "source[number]": "4111111111111111"})
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "succeeded"
    assert paid.json()["source"]["last4"] == "4242"
    assert declined.status_code == 402
    assert declined.json()["error"]["decline_code"] == "generic_decline"
    assert real.status_code == 402
    assert real.json()["error"]["decline_code"] == "test_mode_live_card"
    charge = stripe_client.v1.charges.retrieve(paid.json()["id"])
    assert charge.paid
