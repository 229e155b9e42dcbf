"""Hostile input: numbers beyond 64 bits, form bodies that used to be 500s, real card numbers,
and card fingerprints that must not lead back to a card number."""

from __future__ import annotations

import hashlib

import httpx
import pytest
import stripe

_HUGE = str(2**63)  # one past the largest 64-bit integer
_FIVE_THOUSAND_DIGITS = "9" * 5000


def _http(sandbox_url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=sandbox_url, headers={"Authorization": f"Bearer {key}"})


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v1/payment_intents", f"amount={_HUGE}&currency=usd", "amount"),
        ("/v1/payment_intents", f"amount={_FIVE_THOUSAND_DIGITS}&currency=usd", "amount"),
        ("/v1/payment_intents", f"amount=-{_HUGE}1&currency=usd", "amount"),
        ("/v1/prices", f"unit_amount={_HUGE}&currency=usd&product_data[name]=x", "unit_amount"),
        ("/v1/prices", "unit_amount_decimal=1e999999&currency=usd&product_data[name]=x", None),
        ("/v1/prices", "unit_amount_decimal=sNaN&currency=usd&product_data[name]=x", None),
    ],
)
def test_a_number_beyond_64_bits_is_a_400_and_changes_nothing(
    sandbox_url: str, stripe_key: str, path: str, body: str, param: str | None
) -> None:
    with _http(sandbox_url, stripe_key) as http:
        answer = http.post(
            path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        listed = http.get(path).json()
        events = http.get("/v1/events").json()
    assert answer.status_code == 400, answer.text
    if param is not None:
        assert answer.json()["error"]["param"] == param
    assert listed["data"] == [] and events["data"] == []


@pytest.mark.parametrize(
    "query",
    [f"limit={_HUGE}", f"created[gt]={_HUGE}", f"created={_FIVE_THOUSAND_DIGITS}"],
)
def test_a_list_filter_beyond_64_bits_is_a_400(
    sandbox_url: str, stripe_key: str, query: str
) -> None:
    with _http(sandbox_url, stripe_key) as http:
        answer = http.get(f"/v1/customers?{query}")
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["type"] == "invalid_request_error"


def test_checkout_refuses_a_line_item_total_beyond_64_bits(
    stripe_client: stripe.StripeClient,
) -> None:
    price = stripe_client.v1.prices.create(
        params={"unit_amount": 2**62, "currency": "usd", "product_data": {"name": "Huge"}}
    )
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "https://example.com/ok",
                "line_items": [{"price": price.id, "quantity": 4}],
            }
        )
    assert refused.value.param == "line_items[0][quantity]"
    assert stripe_client.v1.checkout.sessions.list().data == []


@pytest.mark.parametrize(
    "query",
    [
        f"query=amount>{_FIVE_THOUSAND_DIGITS}",
        "query=email:'a@example.com'&page=page_%C2%B2",
        f"query=email:'a@example.com'&page=page_{_FIVE_THOUSAND_DIGITS}",
    ],
)
def test_search_refuses_oversized_numbers_and_odd_page_tokens(
    sandbox_url: str, stripe_key: str, query: str
) -> None:
    with _http(sandbox_url, stripe_key) as http:
        answer = http.get(f"/v1/customers/search?{query}")
    assert answer.status_code == 400, answer.text


@pytest.mark.parametrize("body", ["0=x", "0=x&1=y", "%C2%B2=1", f"{_FIVE_THOUSAND_DIGITS}=1"])
def test_numeric_top_level_keys_are_refused_as_unknown_parameters(
    sandbox_url: str, stripe_key: str, body: str
) -> None:
    with _http(sandbox_url, stripe_key) as http:
        answer = http.post(
            "/v1/customers",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "parameter_unknown"


# -- card numbers ----------------------------------------------------------------------------


def _card(number: str) -> dict[str, object]:
    return {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034}}


@pytest.mark.parametrize("number", ["4111111111111111", "5425233430109903", "4012888888881881"])
def test_a_real_card_number_is_declined_as_stripe_test_mode_declines_it(
    stripe_client: stripe.StripeClient, number: str
) -> None:
    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.payment_methods.create(params=_card(number))
    error = declined.value
    assert (error.code, error.http_status) == ("card_declined", 402)
    assert error.user_message == (
        "Your card was declined. Your request was in test mode, but used a non test card. For a "
        "list of valid test cards, visit: https://stripe.com/docs/testing."
    )
    assert stripe_client.v1.payment_methods.list().data == []


def test_a_real_card_number_is_declined_for_tokens_too(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.tokens.create(
            params={"card": {"number": "4111111111111111", "exp_month": 12, "exp_year": 2034}}
        )
    assert declined.value.code == "card_declined"


@pytest.mark.parametrize("number", ["4000000000003184", "4242424242424241", "4000002500003156"])
def test_luhn_invalid_numbers_are_refused_as_incorrect(
    stripe_client: stripe.StripeClient, number: str
) -> None:
    with pytest.raises(stripe.CardError) as refused:
        stripe_client.v1.payment_methods.create(params=_card(number))
    assert refused.value.code == "incorrect_number"


def test_stripe_test_numbers_are_accepted(stripe_client: stripe.StripeClient) -> None:
    for number in ("4242424242424242", "4000002760003184", "5555555555554444", "378282246310005"):
        pm = stripe_client.v1.payment_methods.create(params=_card(number))
        assert pm.card is not None and pm.card.last4 == number[-4:]


def test_a_fingerprint_is_keyed_and_stable_for_one_card(
    stripe_client: stripe.StripeClient,
) -> None:
    first = stripe_client.v1.payment_methods.create(params=_card("4242424242424242"))
    again = stripe_client.v1.payment_methods.create(params=_card("4242424242424242"))
    other = stripe_client.v1.payment_methods.create(params=_card("5555555555554444"))
    assert first.card is not None and again.card is not None and other.card is not None
    assert first.card.fingerprint == again.card.fingerprint != other.card.fingerprint
    # Not any unkeyed digest of the number, as the sandbox used to make: it could be reversed
    # by hashing every candidate number.
    for digest in (
        hashlib.sha256(b"paydesk-card:4242424242424242").hexdigest()[:16],
        hashlib.sha256(b"4242424242424242").hexdigest()[:16],
        hashlib.md5(b"4242424242424242").hexdigest()[:16],  # noqa: S324 - what we rule out
    ):
        assert first.card.fingerprint != digest
