"""The hosted Checkout page, driven over HTTP with httpx form posts like a browser would."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
import stripe

from paydesk.sandbox.money import format_money
from paydesk.sandbox.server import SandboxHandle, start_in_thread

SUCCESS = "https://shop.example/payment/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL = "https://shop.example/cart"


def _session(
    client: stripe.StripeClient, currency: str = "usd", amount: int = 1250, **extra: Any
) -> stripe.checkout.Session:
    params: dict[str, Any] = {
        "mode": "payment",
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "line_items": [
            {
                "price_data": {
                    "currency": currency,
                    "unit_amount": amount,
                    "product_data": {"name": "Ceramic mug"},
                },
                "quantity": 2,
            }
        ],
    }
    params.update(extra)
    return client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]


def _card(number: str, **extra: str) -> dict[str, str]:
    form = {
        "email": "buyer@example.com",
        "card_number": number,
        "card_expiry": "12/34",
        "card_cvc": "123",
        "cardholder_name": "Ada Buyer",
    }
    form.update(extra)
    return form


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        yield client


def _event_types(client: stripe.StripeClient) -> list[str]:
    events = client.v1.events.list(params={"limit": 100})
    return [e.type for e in reversed(events.data)]


def test_page_shows_items_total_and_the_form_contract(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    session = _session(stripe_client, customer_email="ann@example.com")
    page = browser.get(session.url)  # type: ignore[arg-type]
    assert page.status_code == 200
    html = page.text
    assert "Ceramic mug" in html and "$25.00" in html and "$12.50 each" in html
    assert '<form method="post"' in html
    for field in ("email", "card_number", "card_expiry", "card_cvc", "cardholder_name"):
        assert f'name="{field}"' in html
    assert 'value="ann@example.com"' in html
    assert "TEST MODE" in html and "4242 4242 4242 4242" in html
    assert f'href="{CANCEL}"' in html


def test_paying_with_4242_completes_the_session_and_redirects(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    session = _session(
        stripe_client,
        payment_intent_data={"metadata": {"order": "42"}},
        metadata={"session_only": "yes"},
    )
    answer = browser.post(session.url, data=_card("4242 4242 4242 4242"))  # type: ignore[arg-type]

    assert answer.status_code == 303
    assert answer.headers["location"] == (
        f"https://shop.example/payment/success?session_id={session.id}"
    )
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.customer_details is not None
    assert paid.customer_details.email == "buyer@example.com"
    assert paid.customer_details.name == "Ada Buyer"
    assert paid.payment_intent is not None
    pi = stripe_client.v1.payment_intents.retrieve(paid.payment_intent)  # type: ignore[arg-type]
    assert (pi.status, pi.amount, pi.currency) == ("succeeded", 2500, "usd")
    assert pi.metadata.to_dict() == {"order": "42"}  # from payment_intent_data only
    found = stripe_client.v1.checkout.sessions.list(params={"payment_intent": pi.id})
    assert [s.id for s in found.data] == [session.id]

    types = _event_types(stripe_client)
    assert types.index("payment_intent.succeeded") < types.index("checkout.session.completed")
    assert types.count("checkout.session.completed") == 1
    completed = stripe_client.v1.events.list(params={"type": "checkout.session.completed"})
    assert completed.data[0].data.object["payment_status"] == "paid"


def test_declined_card_shows_the_message_and_keeps_the_form(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    session = _session(stripe_client)
    answer = browser.post(session.url, data=_card("4000000000000002"))  # type: ignore[arg-type]

    assert answer.status_code == 402
    assert "Your card was declined." in answer.text
    assert 'value="buyer@example.com"' in answer.text and 'value="Ada Buyer"' in answer.text
    assert "4000000000000002" not in answer.text  # card number is never echoed back
    still_open = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert still_open.status == "open" and still_open.payment_status == "unpaid"

    # The buyer tries another card on the same page: the same PaymentIntent is reused.
    paid = browser.post(session.url, data=_card("4242424242424242"))  # type: ignore[arg-type]
    assert paid.status_code == 303
    intents = stripe_client.v1.payment_intents.list()
    assert len(intents.data) == 1 and intents.data[0].status == "succeeded"


def test_form_validation_names_the_problem(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    session = _session(stripe_client)
    answer = browser.post(
        session.url,  # type: ignore[arg-type]
        data=_card("4242424242424242", card_expiry="13/30", email="nope", card_cvc=""),
    )
    assert answer.status_code == 400
    assert "expiration date is invalid" in answer.text
    assert "email address is incomplete" in answer.text
    assert "security code is incomplete" in answer.text
    assert stripe_client.v1.payment_intents.list().data == []


def _challenge(browser: httpx.Client, session_url: str, button: str) -> httpx.Response:
    """Pay with a 3DS card, then press a button on the challenge page; return the final answer
    of the checkout page's return URL."""
    answer = browser.post(session_url, data=_card("4000002500003155"))
    assert answer.status_code == 303
    challenge_url = answer.headers["location"]
    assert "/pay/3ds/" in challenge_url
    page = browser.get(challenge_url)
    assert page.status_code == 200
    form = re.search(r'<form[^>]*action="([^"]*)"', page.text)
    action = urljoin(challenge_url, form.group(1)) if form and form.group(1) else challenge_url
    pressed = browser.post(action, data=_challenge_fields(page.text, button))
    assert pressed.status_code == 303, pressed.text
    assert "/return" in pressed.headers["location"]
    return browser.get(pressed.headers["location"])


def _challenge_fields(html: str, button: str) -> dict[str, str]:
    """The hidden inputs plus the named submit button whose label matches `button`."""
    fields = dict(
        re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)
    )
    for tag in re.findall(r"<button[^>]*>.*?</button>", html, flags=re.S):
        if button.lower() in tag.lower():
            named = re.search(r'name="([^"]+)"[^>]*value="([^"]*)"', tag)
            if named:
                fields[named.group(1)] = named.group(2)
    return fields


def test_3ds_complete_pays_and_redirects(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    session = _session(stripe_client)
    final = _challenge(browser, session.url, "Complete")  # type: ignore[arg-type]

    assert final.status_code == 303
    assert final.headers["location"].endswith(f"session_id={session.id}")
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    types = _event_types(stripe_client)
    assert types.index("payment_intent.requires_action") < types.index("payment_intent.succeeded")
    assert types[-1] == "checkout.session.completed"


def test_3ds_fail_shows_an_authentication_error(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    session = _session(stripe_client)
    final = _challenge(browser, session.url, "Fail")  # type: ignore[arg-type]

    assert final.status_code == 402
    assert "unable to authenticate your payment method" in final.text
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_double_submit_charges_once(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    session = _session(stripe_client)
    first = browser.post(session.url, data=_card("4242424242424242"))  # type: ignore[arg-type]
    second = browser.post(session.url, data=_card("4242424242424242"))  # type: ignore[arg-type]

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    charges = stripe_client.v1.charges.list()
    assert len(charges.data) == 1
    assert _event_types(stripe_client).count("checkout.session.completed") == 1


def test_completed_session_page_says_it_is_paid(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    session = _session(stripe_client)
    browser.post(session.url, data=_card("4242424242424242"))  # type: ignore[arg-type]
    page = browser.get(session.url)  # type: ignore[arg-type]
    assert "already paid" in page.text
    assert f"session_id={session.id}" in page.text


def test_expired_session_page_says_so_and_refuses_payment(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    session = _session(stripe_client)
    stripe_client.v1.checkout.sessions.expire(session.id)

    page = browser.get(session.url)  # type: ignore[arg-type]
    assert page.status_code == 410 and "expired" in page.text
    paid = browser.post(session.url, data=_card("4242424242424242"))  # type: ignore[arg-type]
    assert paid.status_code == 410
    assert stripe_client.v1.charges.list().data == []


def test_session_url_is_only_given_while_open(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    paid = _session(stripe_client)
    assert paid.url is not None
    browser.post(paid.url, data=_card("4242424242424242"))
    assert stripe_client.v1.checkout.sessions.retrieve(paid.id).url is None
    completed = stripe_client.v1.events.list(params={"type": "checkout.session.completed"})
    assert completed.data[0].data.object["url"] is None

    dropped = _session(stripe_client)
    assert stripe_client.v1.checkout.sessions.expire(dropped.id).url is None
    assert stripe_client.v1.checkout.sessions.retrieve(dropped.id).url is None


@pytest.mark.parametrize("card", ["4000000000000002", "4000002500003155"])
def test_expiring_a_session_cancels_its_unfinished_payment(
    stripe_client: stripe.StripeClient, browser: httpx.Client, card: str
) -> None:
    # Declined (requires_payment_method) or left at the 3DS step (requires_action).
    session = _session(stripe_client)
    browser.post(session.url, data=_card(card))  # type: ignore[arg-type]
    [pi] = stripe_client.v1.payment_intents.list().data
    assert pi.status in ("requires_payment_method", "requires_action")

    stripe_client.v1.checkout.sessions.expire(session.id)

    canceled = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "automatic")
    types = _event_types(stripe_client)
    assert types.count("payment_intent.canceled") == 1
    assert types.index("payment_intent.canceled") < types.index("checkout.session.expired")


def test_expiring_a_session_without_a_payment_cancels_nothing(
    stripe_client: stripe.StripeClient,
) -> None:
    session = _session(stripe_client)
    stripe_client.v1.checkout.sessions.expire(session.id)
    assert stripe_client.v1.payment_intents.list().data == []
    assert "payment_intent.canceled" not in _event_types(stripe_client)


def test_unknown_session_page_is_404(sandbox_url: str, browser: httpx.Client) -> None:
    assert browser.get(f"{sandbox_url}/c/pay/cs_test_unknown").status_code == 404


def test_zero_decimal_currency_has_no_decimals(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    session = _session(stripe_client, currency="jpy", amount=750)
    html = browser.get(session.url).text  # type: ignore[arg-type]
    assert "¥1,500" in html and "¥1,500.00" not in html


@pytest.fixture(scope="module")
def own_sandbox() -> Iterator[SandboxHandle]:
    """A sandbox whose store this test module can reach, to let time pass for a session."""
    handle = start_in_thread()
    try:
        yield handle
    finally:
        handle.stop()


def _age(handle: SandboxHandle, session_id: str) -> None:
    store = handle.app.store
    with store.lock:
        account = store.owner(session_id)
        assert account is not None
        session = account.find(session_id)
        assert session is not None
        session["expires_at"] = int(time.time()) - 1


def test_sessions_past_expires_at_expire_once_when_read_or_swept(
    own_sandbox: SandboxHandle, stripe_key: str
) -> None:
    client = stripe.StripeClient(stripe_key, base_addresses={"api": own_sandbox.url})
    read = _session(client)
    swept = _session(client)
    _age(own_sandbox, read.id)

    assert client.v1.checkout.sessions.retrieve(read.id).status == "expired"
    assert client.v1.checkout.sessions.retrieve(read.id).status == "expired"

    # Nobody reads `swept`: its expiry timer expires it once expires_at comes (fired here as
    # of that moment rather than waited for).
    own_sandbox.fire_timers(swept.expires_at)
    events = client.v1.events.list(params={"type": "checkout.session.expired"}).data
    assert swept.id in [e.data.object["id"] for e in events]

    expired = client.v1.events.list(params={"type": "checkout.session.expired"})
    assert sorted(e.data.object["id"] for e in expired.data) == sorted([read.id, swept.id])


def test_customer_creation_always_makes_a_customer_from_the_buyer(
    stripe_client: stripe.StripeClient, browser: httpx.Client
) -> None:
    session = _session(stripe_client, customer_creation="always")
    browser.post(session.url, data=_card("4242424242424242"))  # type: ignore[arg-type]

    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert paid.customer is not None
    customer = stripe_client.v1.customers.retrieve(paid.customer)  # type: ignore[arg-type]
    assert (customer.email, customer.name) == ("buyer@example.com", "Ada Buyer")
    pi = stripe_client.v1.payment_intents.retrieve(paid.payment_intent)  # type: ignore[arg-type]
    assert pi.customer == customer.id


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (1234, "usd", "$12.34"),
        (999, "eur", "€9.99"),
        (1500, "jpy", "¥1,500"),
        (123456789, "usd", "$1,234,567.89"),
        (5000, "krw", "₩5,000"),
        (1230, "kwd", "KWD 1.230"),
        (250, "sek", "SEK 2.50"),
    ],
)
def test_money_is_formatted_with_the_currency_decimals(
    amount: int, currency: str, shown: str
) -> None:
    assert format_money(amount, currency) == shown
