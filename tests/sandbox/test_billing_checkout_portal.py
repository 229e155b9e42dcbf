"""Checkout mode=subscription on the hosted page, and the billing portal's hosted page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe

from paydesk.sandbox.server import SandboxHandle, start_in_thread

SUCCESS = "https://shop.example/thanks?session={CHECKOUT_SESSION_ID}"
CARD = {"card_expiry": "12/34", "card_cvc": "123", "cardholder_name": "Jane Doe"}


def _price(client: stripe.StripeClient, amount: int = 4900) -> Any:
    product = client.v1.products.create(params={"name": "Professional Plan"})
    return client.v1.prices.create(
        params={
            "product": product.id,
            "unit_amount": amount,
            "currency": "eur",
            "recurring": {"interval": "month"},
        }
    )


def _session(client: stripe.StripeClient, price: Any, **extra: Any) -> Any:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "success_url": SUCCESS,
            "line_items": [{"price": price.id, "quantity": 1}],
            **extra,
        }
    )


def _submit(url: str, number: str) -> httpx.Response:
    form = {"email": "buyer@example.com", "card_number": number, **CARD}
    return httpx.post(url, data=form, follow_redirects=False)


def _types(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in reversed(client.v1.events.list(params={"limit": 100}).data)]


def test_subscription_checkout_pays_the_first_invoice(stripe_client: stripe.StripeClient) -> None:
    price = _price(stripe_client)
    session = _session(stripe_client, price, subscription_data={"metadata": {"plan": "pro"}})
    page = httpx.get(session.url)
    assert "every month" in page.text
    declined = _submit(session.url, "4000000000000002")
    assert declined.status_code == 402
    paid = _submit(session.url, "4242424242424242")
    assert paid.status_code == 303
    done = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert done.status == "complete" and done.payment_status == "paid"
    assert done.payment_intent is None and done.subscription and done.invoice
    sub = stripe_client.v1.subscriptions.retrieve(done.subscription)
    assert sub.status == "active" and sub.metadata.to_dict() == {"plan": "pro"}
    assert sub.customer == done.customer
    assert len(stripe_client.v1.subscriptions.list(params={"customer": done.customer}).data) == 1
    invoice = stripe_client.v1.invoices.retrieve(done.invoice)
    assert invoice.status == "paid" and invoice.amount_paid == 4900
    types = _types(stripe_client)
    assert types.index("customer.subscription.created") < types.index("invoice.paid")
    assert types[-1] == "checkout.session.completed"


def test_subscription_checkout_with_a_trial_and_3ds(stripe_client: stripe.StripeClient) -> None:
    price = _price(stripe_client)
    trial = _session(stripe_client, price, subscription_data={"trial_period_days": 14})
    assert "14 days free" in httpx.get(trial.url).text
    assert _submit(trial.url, "4242424242424242").status_code == 303
    done = stripe_client.v1.checkout.sessions.retrieve(trial.id)
    assert stripe_client.v1.subscriptions.retrieve(done.subscription).status == "trialing"
    secure = _session(stripe_client, price)
    started = _submit(secure.url, "4000002500003155")
    challenge = started.headers["location"]
    secret = parse_qs(urlsplit(challenge).query)["client_secret"][0]
    answer = httpx.post(challenge, data={"client_secret": secret, "action": "complete"})
    back = httpx.get(answer.headers["location"], follow_redirects=False)
    assert back.status_code == 303
    done = stripe_client.v1.checkout.sessions.retrieve(secure.id)
    assert done.status == "complete"
    assert stripe_client.v1.subscriptions.retrieve(done.subscription).status == "active"


def test_payment_mode_still_refuses_recurring_prices(stripe_client: stripe.StripeClient) -> None:
    price = _price(stripe_client)
    with pytest.raises(stripe.InvalidRequestError, match="subscription"):
        stripe_client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": SUCCESS,
                "line_items": [{"price": price.id, "quantity": 1}],
            }
        )


def test_billing_portal_cancels_switches_and_updates_the_card(
    stripe_client: stripe.StripeClient,
) -> None:
    price = _price(stripe_client)
    bigger = _price(stripe_client, 9900)
    customer = stripe_client.v1.customers.create(params={"email": "c@example.com"})
    pm = stripe_client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    stripe_client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    portal = stripe_client.v1.billing_portal.sessions.create(
        params={"customer": customer.id, "return_url": "https://shop.example/account"}
    )
    assert portal.object == "billing_portal.session" and portal.url
    page = httpx.get(portal.url)
    assert page.status_code == 200 and "Professional Plan" in page.text and "4242" in page.text
    switched = httpx.post(portal.url + "/switch", data={"subscription": sub.id, "price": bigger.id})
    assert switched.status_code == 200
    now_item = stripe_client.v1.subscriptions.retrieve(sub.id).items.data[0]
    assert now_item.price.id == bigger.id
    card = httpx.post(portal.url + "/card", data={"card_number": "5555555555554444", **CARD})
    assert card.status_code == 200 and "4444" in card.text
    updated = stripe_client.v1.customers.retrieve(customer.id)
    assert updated.invoice_settings.default_payment_method != pm.id
    ended = httpx.post(portal.url + "/cancel", data={"subscription": sub.id, "when": "period_end"})
    assert ended.status_code == 200
    assert stripe_client.v1.subscriptions.retrieve(sub.id).cancel_at_period_end
    stranger = httpx.post(portal.url + "/cancel", data={"subscription": "sub_nope", "when": "now"})
    assert stranger.status_code == 400
    assert "billing_portal.session.created" in _types(stripe_client)


def _portal_with_card(client: stripe.StripeClient) -> tuple[Any, Any, str]:
    customer = client.v1.customers.create(params={"email": "d@example.com"})
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": customer.id, "return_url": "https://shop.example/account"}
    )
    return portal, customer, pm.id


@pytest.mark.parametrize(
    ("number", "action", "becomes_default"),
    [("4000002760003184", "complete", True), ("4000002760003184", "fail", False),
     ("4000002500003155", "complete", True)],
)
def test_a_new_card_in_the_portal_is_authenticated_before_it_becomes_the_default(
    stripe_client: stripe.StripeClient, number: str, action: str, becomes_default: bool
) -> None:
    portal, customer, old_pm = _portal_with_card(stripe_client)
    sent = httpx.post(portal.url + "/card", data={"card_number": number, **CARD})
    assert sent.status_code == 303  # to the bank's challenge, as Stripe's portal does
    challenge = sent.headers["location"]
    secret = parse_qs(urlsplit(challenge).query)["client_secret"][0]
    default = stripe_client.v1.customers.retrieve(customer.id).invoice_settings
    assert default.default_payment_method == old_pm  # nothing changes before authentication
    answer = httpx.post(challenge, data={"client_secret": secret, "action": action})
    back = httpx.get(answer.headers["location"])
    assert back.status_code == (200 if becomes_default else 402)
    now_default = stripe_client.v1.customers.retrieve(customer.id).invoice_settings
    if becomes_default:
        assert number[-4:] in back.text and "saved" in back.text
        assert now_default.default_payment_method != old_pm
        intents = stripe_client.v1.setup_intents.list(params={"customer": customer.id})
        assert [si.status for si in intents.data] == ["succeeded"]
        assert intents.data[0].usage == "off_session"
    else:
        assert "authentication failed" in back.text
        assert now_default.default_payment_method == old_pm


@pytest.fixture
def own_sandbox() -> Iterator[SandboxHandle]:
    """A sandbox of this test's own: it fires wall-clock timers ahead of time."""
    handle = start_in_thread()
    try:
        yield handle
    finally:
        handle.stop()


def test_checkout_takes_an_iban_and_completes_when_the_debit_clears(
    own_sandbox: SandboxHandle, stripe_key: str
) -> None:
    stripe_client = stripe.StripeClient(stripe_key, base_addresses={"api": own_sandbox.url})
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": SUCCESS,
            "payment_method_types": ["card", "sepa_debit"],
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 2500,
                        "product_data": {"name": "Course"},
                    },
                    "quantity": 1,
                }
            ],
        }
    )
    assert "SEPA Direct Debit" in httpx.get(session.url).text
    form = {
        "method": "sepa_debit",
        "email": "buyer@example.com",
        "account_holder": "Jenny Rosen",
        "iban": "DE89370400440532013000",
    }
    assert httpx.post(session.url, data=form).status_code == 303
    done = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert done.status == "complete" and done.payment_status == "unpaid"
    pi = stripe_client.v1.payment_intents.retrieve(done.payment_intent)
    assert pi.status == "processing"
    own_sandbox.fire_timers(time.time() + 60)  # the bank answers shortly after
    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    types = _types(stripe_client)
    assert types[-1] == "checkout.session.async_payment_succeeded"
    assert types.index("checkout.session.completed") < types.index("payment_intent.succeeded")
