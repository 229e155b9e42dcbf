"""Products and prices: CRUD, lookup keys, inline product_data, events."""

from __future__ import annotations

import pytest
import stripe


def test_product_crud_and_events(stripe_client: stripe.StripeClient) -> None:
    product = stripe_client.v1.products.create(
        params={"name": "T-shirt", "metadata": {"sku": "t1"}}
    )
    assert product.active and product.name == "T-shirt"
    updated = stripe_client.v1.products.update(product.id, params={"description": "Grey"})
    assert updated.description == "Grey"
    assert stripe_client.v1.products.retrieve(product.id).description == "Grey"
    other = stripe_client.v1.products.create(params={"name": "Mug", "active": False})
    active = stripe_client.v1.products.list(params={"active": True})
    assert [p.id for p in active.data] == [product.id]
    deleted = stripe_client.v1.products.delete(other.id)
    assert deleted.deleted
    events = [e.type for e in reversed(stripe_client.v1.events.list().data)]
    assert events == ["product.created", "product.updated", "product.created", "product.deleted"]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.products.create(params={"description": "no name"})
    assert raised.value.param == "name"


def test_prices_one_time_recurring_and_product_data(stripe_client: stripe.StripeClient) -> None:
    product = stripe_client.v1.products.create(params={"name": "Plan"})
    once = stripe_client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 999}
    )
    assert once.type == "one_time" and once.recurring is None and once.unit_amount == 999
    monthly = stripe_client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "eur",
            "unit_amount": 1500,
            "recurring": {"interval": "month"},
        }
    )
    assert monthly.type == "recurring"
    assert monthly.recurring is not None and monthly.recurring.interval == "month"
    assert monthly.recurring.interval_count == 1
    inline = stripe_client.v1.prices.create(
        params={"currency": "jpy", "unit_amount": 1500, "product_data": {"name": "Tea"}}
    )
    assert stripe_client.v1.products.retrieve(inline.product).name == "Tea"
    recurring = stripe_client.v1.prices.list(params={"type": "recurring"})
    assert [p.id for p in recurring.data] == [monthly.id]
    by_product = stripe_client.v1.prices.list(params={"product": product.id})
    assert [p.id for p in by_product.data] == [monthly.id, once.id]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.products.delete(product.id)  # it has prices
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.prices.create(params={"currency": "usd", "unit_amount": 1})
    assert raised.value.param == "product"


def test_lookup_keys_unique_filter_and_transfer(stripe_client: stripe.StripeClient) -> None:
    product = stripe_client.v1.products.create(params={"name": "Pro"})
    base = {"product": product.id, "currency": "usd", "recurring": {"interval": "month"}}
    old = stripe_client.v1.prices.create(params={**base, "unit_amount": 1000, "lookup_key": "pro"})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.prices.create(params={**base, "unit_amount": 1200, "lookup_key": "pro"})
    assert raised.value.param == "lookup_key"
    new = stripe_client.v1.prices.create(
        params={**base, "unit_amount": 1200, "lookup_key": "pro", "transfer_lookup_key": True}
    )
    found = stripe_client.v1.prices.list(params={"lookup_keys": ["pro", "absent"]})
    assert [p.id for p in found.data] == [new.id]
    assert stripe_client.v1.prices.retrieve(old.id).lookup_key is None


def test_price_update_and_default_price_data(stripe_client: stripe.StripeClient) -> None:
    product = stripe_client.v1.products.create(
        params={"name": "Book", "default_price_data": {"currency": "usd", "unit_amount": 2500}}
    )
    assert product.default_price
    price = stripe_client.v1.prices.update(
        product.default_price, params={"active": False, "nickname": "launch"}
    )
    assert not price.active and price.nickname == "launch"
    assert stripe_client.v1.events.list().data[0].type == "price.updated"
