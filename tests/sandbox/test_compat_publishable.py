"""Stripe.js with a publishable key: confirmCardPayment and retrievePaymentIntent reach a
PaymentIntent by its client_secret; every other use of a publishable key is refused."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import pytest
import stripe

from paydesk.sandbox.keys import publishable_key


@pytest.fixture
def pk(stripe_key: str) -> str:
    """The publishable key of the test's account: pk_test_ + sha256(secret key)[:32]."""
    return publishable_key(stripe_key)
FORM = "application/x-www-form-urlencoded"


def _intent(client: stripe.StripeClient, **extra: Any) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", "payment_method_types": ["card"], **extra}
    )


def _stripe_js_confirm(pi: stripe.PaymentIntent, number: str, pk: str) -> dict[str, str]:
    """The form Stripe.js posts for confirmCardPayment(clientSecret, {payment_method: {card}})."""
    return {
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": number,
        "payment_method_data[card][cvc]": "123",
        "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": "34",
        "payment_method_data[billing_details][name]": "Jenny Rosen",
        "payment_method_data[payment_user_agent]": "stripe.js/1234; stripe-js-v3/1234",
        "payment_method_data[guid]": "NA",
        "expected_payment_method_type": "card",
        "use_stripe_sdk": "true",
        "key": pk,
        "client_secret": str(pi.client_secret),
        "muid": "NA",
        "sid": "NA",
        "time_on_page": "12345",
        "_stripe_version": "2020-08-27",
    }


def test_confirm_card_payment_with_the_key_in_the_form(
    sandbox_url: str, stripe_client: stripe.StripeClient, pk: str
) -> None:
    pi = _intent(stripe_client)
    response = httpx.post(
        f"{sandbox_url}/v1/payment_intents/{pi.id}/confirm",
        data=_stripe_js_confirm(pi, "4242424242424242", pk),
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "succeeded"
    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_retrieve_with_client_secret_and_bearer_publishable_key(
    sandbox_url: str, stripe_client: stripe.StripeClient, pk: str
) -> None:
    pi = _intent(stripe_client)
    headers = {"Authorization": f"Bearer {pk}"}
    url = f"{sandbox_url}/v1/payment_intents/{pi.id}"
    got = httpx.get(url, params={"client_secret": pi.client_secret}, headers=headers)
    assert got.status_code == 200 and got.json()["id"] == pi.id
    via_key = httpx.get(
        url, params={"client_secret": pi.client_secret, "key": pk, "is_stripe_sdk": "false"}
    )
    assert via_key.status_code == 200 and via_key.json()["status"] == "requires_payment_method"
    wrong = httpx.get(url, params={"client_secret": pi.id + "_secret_wrong"}, headers=headers)
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "client_secret"
    missing = httpx.get(url, headers=headers)
    assert missing.status_code == 401
    unknown = httpx.get(
        f"{sandbox_url}/v1/payment_intents/pi_unknown",
        params={"client_secret": "pi_unknown_secret_x"},
        headers=headers,
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "resource_missing"


def test_a_declined_card_through_stripe_js_is_a_card_error(
    sandbox_url: str, stripe_client: stripe.StripeClient, pk: str
) -> None:
    pi = _intent(stripe_client)
    response = httpx.post(
        f"{sandbox_url}/v1/payment_intents/{pi.id}/confirm",
        data=_stripe_js_confirm(pi, "4000000000000002", pk),
    )
    assert response.status_code == 402
    assert response.json()["error"]["decline_code"] == "generic_decline"
    assert response.json()["error"]["payment_intent"]["id"] == pi.id


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/customers"),
        ("GET", "/v1/balance"),
        ("POST", "/v1/payment_intents"),
        ("POST", "/v1/payment_intents/{pi}"),
        ("POST", "/v1/payment_intents/{pi}/capture"),
        ("POST", "/v1/payment_intents/{pi}/cancel"),
        ("GET", "/v1/payment_intents/{pi}/confirm"),
    ],
)
def test_every_other_call_with_a_publishable_key_is_401(
    sandbox_url: str, stripe_client: stripe.StripeClient, pk: str, method: str, path: str
) -> None:
    pi = _intent(stripe_client)
    response = httpx.request(
        method,
        sandbox_url + path.format(pi=pi.id),
        params={"client_secret": pi.client_secret},
        headers={"Authorization": f"Bearer {pk}"},
    )
    assert response.status_code == 401
    assert "publishable API key" in response.json()["error"]["message"]
    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"


def test_a_live_publishable_key_is_refused(
    sandbox_url: str, stripe_client: stripe.StripeClient
) -> None:
    pi = _intent(stripe_client)
    response = httpx.get(
        f"{sandbox_url}/v1/payment_intents/{pi.id}",
        params={"client_secret": pi.client_secret},
        headers={"Authorization": "Bearer pk_live_1234567890abcdef"},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_invalid"


def test_the_publishable_key_is_derived_from_the_secret_key_and_hides_it() -> None:
    secret = "sk_test_" + "a" * 24
    key = publishable_key(secret)
    assert key == "pk_test_" + hashlib.sha256(secret.encode()).hexdigest()[:32]
    assert secret[8:] not in key


def test_a_publishable_key_creates_tokens_and_payment_methods(
    sandbox_url: str, stripe_client: stripe.StripeClient, pk: str
) -> None:
    public = stripe.StripeClient(pk, base_addresses={"api": sandbox_url})
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    token = public.v1.tokens.create(params={"card": card})
    pm = public.v1.payment_methods.create(params={"type": "card", "card": card})
    # Made in the account the publishable key belongs to: its secret key sees them.
    assert stripe_client.v1.tokens.retrieve(token.id).id == token.id
    assert stripe_client.v1.payment_methods.retrieve(pm.id).id == pm.id
    with pytest.raises(stripe.AuthenticationError) as refused:
        public.v1.payment_methods.retrieve(pm.id)
    assert "publishable API key" in refused.value.user_message  # type: ignore[operator]


def test_a_publishable_key_cannot_reach_another_accounts_intent(
    sandbox_url: str, stripe_client: stripe.StripeClient
) -> None:
    pi = _intent(stripe_client)
    other = publishable_key("sk_test_" + uuid.uuid4().hex)
    response = httpx.get(
        f"{sandbox_url}/v1/payment_intents/{pi.id}",
        params={"client_secret": pi.client_secret},
        headers={"Authorization": f"Bearer {other}"},
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"


def test_stripe_js_creates_a_payment_method_with_its_bookkeeping_fields(
    sandbox_url: str, stripe_client: stripe.StripeClient, pk: str
) -> None:
    answer = httpx.post(
        f"{sandbox_url}/v1/payment_methods",
        data={
            "type": "card",
            "card[number]": "4242424242424242",
            "card[exp_month]": "12",
            "card[exp_year]": "34",
            "card[cvc]": "123",
            "key": pk,
            "payment_user_agent": "stripe.js/1234; stripe-js-v3/1234",
            "pasted_fields": "number",
            "time_on_page": "1000",
            "guid": "NA",
            "muid": "NA",
            "sid": "NA",
            "client_attribution_metadata[client_session_id]": "x",
        },
        headers={"Content-Type": FORM},
    )
    assert answer.status_code == 200, answer.text
    assert stripe_client.v1.payment_methods.retrieve(answer.json()["id"]).type == "card"
