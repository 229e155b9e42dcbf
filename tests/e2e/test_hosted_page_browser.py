"""The sandbox's hosted checkout page in Chromium, as a buyer types: the card number in groups of
four with its brand, the expiry as MM / YY (1234 accepted), the fields kept after a decline, the
business name where Stripe shows it, every test card the sandbox knows, and no emoji."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from paydesk.bootstrap import prepare
from paydesk.sandbox.operations.payment_methods import TEST_CARDS
from paydesk.sandbox.server import start_in_thread
from paydesk.settings import load_settings
from tests.support import free_port as _free_port

EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u231a\u231b\u23f0-\u23f3]")


@pytest.fixture
def named_sandbox() -> Iterator[str]:
    handle = start_in_thread(port=0, business_name="Blue Door Roasters")
    try:
        yield handle.url
    finally:
        handle.stop()


def _session_url(base: str) -> str:
    client = stripe.StripeClient("sk_test_hosted_page", base_addresses={"api": base})
    session = client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "http://shop.test/ok?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/no",
        "line_items": [{"quantity": 1, "price_data": {
            "currency": "usd", "unit_amount": 2200, "product_data": {"name": "Mug"}}}],
    })
    return str(session.url)


def test_the_page_formats_as_typed_and_keeps_fields_after_a_decline(
    browser: Any, named_sandbox: str, tmp_path: Path
) -> None:
    page = browser.new_page()
    page.set_default_timeout(20_000)
    page.goto(_session_url(named_sandbox))
    assert "Pay Blue Door Roasters" in page.inner_text(".summary")
    assert not EMOJI.search(page.content())
    cards = page.inner_text("#test-cards")
    for title in ("Succeeds", "Declined", "Asks for authentication"):
        assert title in cards
    for number in TEST_CARDS:
        assert " ".join(number[i:i + 4] for i in range(0, 16, 4)) in cards, number
    assert "3782 822463 10005" in cards  # American Express, grouped 4-6-5

    page.fill("#email", "buyer@example.com")
    page.type("#card_number", "4000000000000002")
    assert page.input_value("#card_number") == "4000 0000 0000 0002"
    assert page.inner_text("#card-brand") == "VISA"
    page.type("#card_expiry", "1234")
    assert page.input_value("#card_expiry") == "12 / 34"
    page.type("#card_cvc", "123")
    page.fill("#cardholder_name", "Ada Buyer")
    page.screenshot(path=str(tmp_path / "hosted-typed.png"), full_page=True)
    page.click("#submit")
    page.wait_for_selector(".alert.error")
    assert "Your card was declined." in page.inner_text(".alert.error")
    # Everything is still there: only the card number needs changing.
    assert page.input_value("#card_number") == "4000 0000 0000 0002"
    assert page.input_value("#card_cvc") == "123"
    assert page.input_value("#card_expiry") == "12 / 34"
    assert page.input_value("#cardholder_name") == "Ada Buyer"
    page.screenshot(path=str(tmp_path / "hosted-declined.png"), full_page=True)

    page.fill("#card_number", "")
    page.type("#card_number", "5555555555554444")
    assert page.inner_text("#card-brand") == "Mastercard"
    page.route("http://shop.test/**", lambda route: route.fulfill(body="back at the shop"))
    page.click("#submit")
    page.wait_for_url("http://shop.test/ok**")


def test_expiry_typed_without_a_slash_is_accepted_by_the_server(named_sandbox: str) -> None:
    answer = httpx.post(_session_url(named_sandbox), data={
        "email": "buyer@example.com", "card_number": "4242424242424242", "card_expiry": "1234",
        "card_cvc": "123", "cardholder_name": "Ada Buyer"})
    assert answer.status_code == 303, answer.text


async def _get(app: Any, path: str) -> str:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
        return (await client.get(path)).text


def test_serve_gives_its_sandbox_the_shops_name(sqlite_url: str) -> None:
    prepared = prepare(load_settings(_env_file=None, database_url=sqlite_url,
                                     shop_name="Blue Door Roasters", sandbox_db="memory"),
                       "127.0.0.1", _free_port(), sandbox_port=0)
    try:
        session = prepared.ctx.stripe.v1.checkout.sessions.create({
            "mode": "payment", "success_url": "http://shop.test/ok",
            "line_items": [{"quantity": 1, "price_data": {
                "currency": "usd", "unit_amount": 100, "product_data": {"name": "x"}}}],
        })
        assert "Pay Blue Door Roasters" in httpx.get(str(session.url)).text
        storefront = asyncio.run(_get(prepared.app, "/"))  # the shop's own pages too
        assert "<title>Blue Door Roasters</title>" in storefront
        assert not EMOJI.search(storefront)
    finally:
        prepared.close()
