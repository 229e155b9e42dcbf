"""Checkout `mode=setup`: the hosted page saves a card on the customer through the session's
SetupIntent, charging nothing; 3DS cards go through the challenge, declining cards are refused."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import stripe

from tests.sandbox.test_hosted_checkout import _card, _challenge_fields, _event_types


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        yield client


def _setup_session(client: stripe.StripeClient) -> tuple[stripe.Customer, stripe.checkout.Session]:
    customer = client.v1.customers.create(params={"email": "buyer@example.com"})
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "customer": customer.id,
            "currency": "usd",
            "success_url": "https://shop.example/saved?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://shop.example/cancel",
            "setup_intent_data": {"metadata": {"plan": "pro"}},
        }
    )
    return customer, session


def test_a_setup_session_has_its_setup_intent_and_nothing_to_pay(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    _customer, session = _setup_session(stripe_client)
    assert (session.mode, session.payment_status, session.amount_total) == (
        "setup",
        "no_payment_required",
        None,
    )
    assert isinstance(session.setup_intent, str)
    si = stripe_client.v1.setup_intents.retrieve(session.setup_intent)
    assert (si.status, si.usage, si.metadata.to_dict()) == (
        "requires_payment_method",
        "off_session",
        {"plan": "pro"},
    )
    page = browser.get(str(session.url))
    assert page.status_code == 200 and "Save card" in page.text


def test_the_hosted_page_saves_the_card(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    customer, session = _setup_session(stripe_client)
    answer = browser.post(str(session.url), data=_card("4242424242424242"))
    assert answer.status_code == 303
    assert answer.headers["location"].endswith(f"session_id={session.id}")
    done = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "no_payment_required")
    si = stripe_client.v1.setup_intents.retrieve(str(done.setup_intent))
    assert si.status == "succeeded" and isinstance(si.payment_method, str)
    saved = stripe_client.v1.payment_methods.list(params={"customer": customer.id}).data
    assert [pm.id for pm in saved] == [si.payment_method]
    assert stripe_client.v1.charges.list().data == []
    types = _event_types(stripe_client)
    assert types.index("setup_intent.succeeded") < types.index("checkout.session.completed")


def test_a_declining_card_is_refused_on_the_page(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    _customer, session = _setup_session(stripe_client)
    answer = browser.post(str(session.url), data=_card("4000000000000002"))
    assert answer.status_code == 402 and "Your card was declined." in answer.text
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_a_3ds_card_is_saved_after_the_challenge(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    _customer, session = _setup_session(stripe_client)
    answer = browser.post(str(session.url), data=_card("4000002760003184"))
    assert answer.status_code == 303 and "/pay/3ds/" in answer.headers["location"]
    challenge_url = answer.headers["location"]
    page = browser.get(challenge_url)
    assert "Authenticate this card" in page.text
    pressed = browser.post(challenge_url, data=_challenge_fields(page.text, "Complete"))
    assert pressed.status_code == 303 and "/return" in pressed.headers["location"]
    final = browser.get(pressed.headers["location"])
    assert final.status_code == 303
    done = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert done.status == "complete"
    assert stripe_client.v1.setup_intents.retrieve(str(done.setup_intent)).status == "succeeded"


def test_line_items_are_refused_in_setup_mode(stripe_client: stripe.StripeClient) -> None:
    price = stripe_client.v1.prices.create(
        params={"unit_amount": 500, "currency": "usd", "product_data": {"name": "X"}}
    )
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.checkout.sessions.create(
            params={
                "mode": "setup",
                "currency": "usd",
                "success_url": "https://shop.example/ok",
                "line_items": [{"price": price.id, "quantity": 1}],
            }
        )
    assert refused.value.param == "line_items"
    assert stripe_client.v1.setup_intents.list().data == []
