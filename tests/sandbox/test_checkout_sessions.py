"""Checkout Sessions over the real stripe SDK: create, amounts, line items, expire, errors,
lists."""

from __future__ import annotations

import time
from typing import Any

import pytest
import stripe

from tests.stripe_fixtures import stripe_resources

SUCCESS = "https://shop.example/payment/success?session_id={CHECKOUT_SESSION_ID}"


def _session(client: stripe.StripeClient, **extra: Any) -> stripe.checkout.Session:
    params: dict[str, Any] = {
        "mode": "payment",
        "success_url": SUCCESS,
        "cancel_url": "https://shop.example/cancel",
        "line_items": [
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 1250,
                    "product_data": {"name": "Mug"},
                },
                "quantity": 2,
            }
        ],
    }
    params.update(extra)
    return client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]


def test_create_with_price_data_computes_amounts_and_hosted_url(
    stripe_client: stripe.StripeClient, sandbox_url: str
) -> None:
    session = _session(stripe_client, client_reference_id="order-7", metadata={"order": "7"})

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.amount_subtotal, session.amount_total, session.currency) == (2500, 2500, "usd")
    assert session.status == "open" and session.payment_status == "unpaid"
    assert session.url == f"{sandbox_url}/c/pay/{session.id}"
    assert session.payment_intent is None  # created lazily, when the buyer pays
    assert session.client_reference_id == "order-7"
    assert session.metadata.to_dict() == {"order": "7"}
    assert session.payment_method_types == ["card"]
    assert 24 * 3600 - 5 <= session.expires_at - session.created <= 24 * 3600


def test_session_carries_every_field_of_stripes_example(
    stripe_client: stripe.StripeClient,
) -> None:
    example = stripe_resources()["checkout.session"]
    session = _session(stripe_client)
    missing = set(example) - set(session.to_dict())
    assert not missing


def test_create_with_existing_price_and_line_items_list(
    stripe_client: stripe.StripeClient,
) -> None:
    product = stripe_client.v1.products.create(params={"name": "Poster"})
    price = stripe_client.v1.prices.create(
        params={"currency": "eur", "unit_amount": 999, "product": product.id}
    )
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": SUCCESS,
            "line_items": [
                {"price": price.id, "quantity": 3},
                {
                    "price_data": {"currency": "eur", "unit_amount": 1, "product": product.id},
                    "quantity": 1,
                },
            ],
        }
    )
    assert session.amount_total == 3 * 999 + 1 and session.currency == "eur"

    items = stripe_client.v1.checkout.sessions.line_items.list(session.id)
    assert [i.quantity for i in items.data] == [3, 1]
    first = items.data[0]
    assert first.id.startswith("li_") and first.object == "item"
    assert (first.amount_subtotal, first.amount_total) == (2997, 2997)
    assert (first.amount_discount, first.amount_tax) == (0, 0)
    assert first.description == "Poster" and first.currency == "eur"
    assert first.price.id == price.id and first.price.unit_amount == 999  # the full price

    page = stripe_client.v1.checkout.sessions.line_items.list(session.id, params={"limit": 1})
    assert len(page.data) == 1 and page.has_more

    expanded = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items"]}
    )
    assert [i.id for i in expanded.line_items.data] == [i.id for i in items.data]


def test_expire_emits_event_and_refuses_a_second_time(stripe_client: stripe.StripeClient) -> None:
    session = _session(stripe_client)
    expired = stripe_client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.checkout.sessions.expire(session.id)
    assert refused.value.http_status == 400
    assert "open" in str(refused.value.user_message)

    events = stripe_client.v1.events.list(params={"type": "checkout.session.expired"})
    assert [e.data.object["id"] for e in events.data] == [session.id]


def test_update_metadata(stripe_client: stripe.StripeClient) -> None:
    session = _session(stripe_client, metadata={"a": "1"})
    updated = stripe_client.v1.checkout.sessions.update(session.id, params={"metadata": {"b": "2"}})
    assert updated.metadata.to_dict() == {"a": "1", "b": "2"}


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"line_items": None}, "line_items"),
        ({"mode": None}, "mode"),
        ({"success_url": None}, "success_url"),
        ({"expires_at": "soon"}, "expires_at"),
        ({"expires_at": "too_late"}, "expires_at"),
        ({"mode": "setup"}, "line_items"),  # a setup session sells nothing
        ({"mode": "subscription"}, "line_items"),  # one-time prices only
        ({"customer": "cus_missing"}, "customer"),
        ({"line_items": [{"price": "price_missing", "quantity": 1}]}, "line_items[0][price]"),
        (
            {
                "line_items": [
                    {
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 5,
                            "product_data": {"name": "x"},
                        }
                    }
                ]
            },
            "line_items[0][quantity]",
        ),
        ({"payment_method_types": ["card", "ideal_x"]}, "payment_method_types[1]"),
    ],
)
def test_invalid_create_names_the_param(
    stripe_client: stripe.StripeClient, change: dict[str, Any], param: str
) -> None:
    extra = dict(change)
    moment = int(time.time())
    if extra.get("expires_at") == "soon":
        extra["expires_at"] = moment + 60
    elif extra.get("expires_at") == "too_late":
        extra["expires_at"] = moment + 25 * 3600
    params: dict[str, Any] = {
        "mode": "payment",
        "success_url": SUCCESS,
        "line_items": [
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 100,
                    "product_data": {"name": "Pen"},
                },
                "quantity": 1,
            }
        ],
    }
    params.update(extra)
    params = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    assert error.value.param == param
    assert error.value.http_status in (400, 404)


def test_unknown_session_is_resource_missing(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert error.value.http_status == 404 and error.value.code == "resource_missing"


def test_list_filters_and_pagination(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create(params={"email": "ann@example.com"})
    mine = _session(stripe_client, customer=customer.id)
    other = _session(stripe_client)
    gone = _session(stripe_client)
    stripe_client.v1.checkout.sessions.expire(gone.id)

    everything = stripe_client.v1.checkout.sessions.list()
    assert [s.id for s in everything.data] == [gone.id, other.id, mine.id]

    by_customer = stripe_client.v1.checkout.sessions.list(params={"customer": customer.id})
    assert [s.id for s in by_customer.data] == [mine.id]

    open_ones = stripe_client.v1.checkout.sessions.list(params={"status": "open"})
    assert [s.id for s in open_ones.data] == [other.id, mine.id]

    expired = stripe_client.v1.checkout.sessions.list(params={"status": "expired"})
    assert [s.id for s in expired.data] == [gone.id]

    first = stripe_client.v1.checkout.sessions.list(params={"limit": 2})
    assert first.has_more
    rest = stripe_client.v1.checkout.sessions.list(
        params={"limit": 2, "starting_after": first.data[-1].id}
    )
    assert [s.id for s in rest.data] == [mine.id] and not rest.has_more

    by_pi = stripe_client.v1.checkout.sessions.list(params={"payment_intent": "pi_none"})
    assert by_pi.data == []
