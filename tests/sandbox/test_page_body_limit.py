"""The sandbox's hosted pages refuse oversized form bodies (declared or streamed) with 413,
while a normal payment still goes through and the /v1 API keeps its own parsing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import stripe

CARD = {
    "email": "buyer@example.com",
    "card_number": "4242424242424242",
    "card_expiry": "12/34",
    "card_cvc": "123",
    "cardholder_name": "Ada Buyer",
}
BIG = 100 * 1024


def _session_url(client: stripe.StripeClient) -> str:
    session = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "success_url": "https://shop.example/ok?s={CHECKOUT_SESSION_ID}",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 500,
                        "product_data": {"name": "Mug"},
                    },
                    "quantity": 1,
                }
            ],
        }
    )
    return str(session.url)


def test_an_oversized_declared_form_is_413(stripe_client: stripe.StripeClient) -> None:
    url = _session_url(stripe_client)
    res = httpx.post(url, data={**CARD, "filler": "x" * BIG})
    assert res.status_code == 413
    assert "too large" in res.json()["detail"]
    # Nothing was paid: the page still takes a normal form afterwards.
    ok = httpx.post(url, data=CARD, follow_redirects=False)
    assert ok.status_code == 303


def test_an_oversized_streamed_form_is_413(stripe_client: stripe.StripeClient) -> None:
    url = _session_url(stripe_client)

    def chunks() -> Iterator[bytes]:
        yield b"email=buyer%40example.com&filler="
        for _ in range(BIG // 4096):
            yield b"x" * 4096

    res = httpx.post(
        url, content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert res.status_code == 413
    assert "too large" in res.json()["detail"]


def test_the_api_is_not_capped_by_the_page_limit(sandbox_url: str, stripe_key: str) -> None:
    # 100 KB of form fields to /v1 is parsed by the API (and refused for its own reasons).
    res = httpx.post(
        sandbox_url + "/v1/customers", auth=(stripe_key, ""), data={"description": "x" * BIG}
    )
    assert res.status_code != 413
