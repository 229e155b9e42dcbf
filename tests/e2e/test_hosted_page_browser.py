"""The sandbox's hosted checkout page in Chromium, as a buyer types: the card number in groups of
four with its brand, the expiry as MM / YY (1234 accepted), the fields kept after a decline (the
form posts through fetch; nothing is kept in browser storage) with the focus on the field at
fault, the business name where Stripe shows it, every test card the sandbox knows, and no
emoji."""

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


def _type_card(page: Any, number: str) -> None:
    page.fill("#email", "buyer@example.com")
    page.fill("#card_number", "")
    page.type("#card_number", number)
    page.fill("#card_expiry", "")
    page.type("#card_expiry", "1234")
    page.fill("#card_cvc", "")
    page.type("#card_cvc", "123")
    page.fill("#cardholder_name", "Ada Buyer")


def _browser_storage(page: Any) -> str:
    """Everything this tab keeps in sessionStorage and localStorage, as text."""
    return str(page.evaluate(
        "() => JSON.stringify([sessionStorage.length, localStorage.length,"
        " Object.entries(sessionStorage), Object.entries(localStorage)])"))


def test_a_decline_is_shown_in_place_without_storing_the_card(
    browser: Any, named_sandbox: str, tmp_path: Path
) -> None:
    url = _session_url(named_sandbox)
    page = browser.new_page()
    page.set_default_timeout(20_000)
    page.goto(url)
    page.evaluate("() => { window.sameDocument = true; }")  # gone if the page reloads
    _type_card(page, "4000000000000002")
    page.click("#submit")
    page.wait_for_selector(".alert.error")
    assert "Your card was declined." in page.inner_text("#errors")
    assert page.evaluate("() => window.sameDocument") is True
    assert page.input_value("#card_number") == "4000 0000 0000 0002"
    assert page.input_value("#card_cvc") == "123"
    assert page.evaluate("() => document.activeElement.id") == "card_number"
    assert _browser_storage(page) == "[0,0,[],[]]"
    page.screenshot(path=str(tmp_path / "hosted-declined-in-place.png"), full_page=True)

    page.fill("#card_number", "")
    page.type("#card_number", "4242424242424242")
    page.route("http://shop.test/**", lambda route: route.fulfill(body="back at the shop"))
    page.click("#submit")
    page.wait_for_url("http://shop.test/ok**")
    # Back in the same tab on the hosted page's origin: its storage is still this tab's, and
    # holds nothing (the shop's origin, where the tab is now, could not see it anyway).
    page.goto(url)
    assert page.url.startswith(named_sandbox), page.url
    assert _browser_storage(page) == "[0,0,[],[]]"


@pytest.mark.parametrize(("number", "field", "message"), [
    ("4000000000000127", "card_cvc", "Your card's security code is incorrect."),
    ("4000000000000069", "card_expiry", "Your card has expired."),
    ("4242424242424241", "card_number", "Your card number is incorrect."),
    ("4000000000009995", "card_number", "Your card has insufficient funds."),
])
def test_the_field_at_fault_gets_the_focus(
    browser: Any, named_sandbox: str, number: str, field: str, message: str
) -> None:
    page = browser.new_page()
    page.set_default_timeout(20_000)
    page.goto(_session_url(named_sandbox))
    _type_card(page, number)
    page.click("#submit")
    page.wait_for_selector(".alert.error")
    assert page.inner_text("#errors") == message
    assert page.evaluate("() => document.activeElement.id") == field
    assert page.get_attribute(f"#{field}", "aria-invalid") == "true"
    assert page.input_value("#card_number").replace(" ", "") == number


def test_3ds_still_goes_through_the_challenge(browser: Any, named_sandbox: str) -> None:
    page = browser.new_page()
    page.set_default_timeout(20_000)
    page.goto(_session_url(named_sandbox))
    _type_card(page, "4000002760003184")
    page.click("#submit")
    page.wait_for_selector("#fail")
    page.click("#fail")  # back on the page (at …/return), which must still take a card
    page.wait_for_selector(".alert.error")
    assert "unable to authenticate" in page.inner_text("#errors")
    _type_card(page, "4000002760003184")
    page.click("#submit")
    page.wait_for_selector("#complete")
    page.route("http://shop.test/**", lambda route: route.fulfill(body="back at the shop"))
    page.click("#complete")
    page.wait_for_url("http://shop.test/ok**")


def test_a_double_submit_charges_once(browser: Any, named_sandbox: str) -> None:
    url = _session_url(named_sandbox)
    page = browser.new_page()
    page.set_default_timeout(20_000)
    page.goto(url)
    _type_card(page, "4242424242424242")
    page.route("http://shop.test/**", lambda route: route.fulfill(body="back at the shop"))
    page.evaluate("() => { const f = document.getElementById('payment-form');"
                  " f.requestSubmit(); f.requestSubmit(); f.requestSubmit(); }")
    page.wait_for_url("http://shop.test/ok**")
    client = stripe.StripeClient("sk_test_hosted_page", base_addresses={"api": named_sandbox})
    charges = client.v1.charges.list().data
    assert [c.amount for c in charges] == [2200]


def test_the_script_gets_the_outcome_as_data_and_never_the_card_number(named_sandbox: str) -> None:
    url = _session_url(named_sandbox)
    card = {"email": "buyer@example.com", "card_expiry": "12 / 34", "card_cvc": "123",
            "cardholder_name": "Ada Buyer"}
    json = {"Accept": "application/json"}
    refused = httpx.post(url, headers=json, data={**card, "card_number": "4000000000000127"})
    assert refused.status_code == 402
    assert refused.json() == {"error": {
        "messages": ["Your card's security code is incorrect."], "field": "card_cvc"}}
    incomplete = httpx.post(url, headers=json, data={**card, "card_number": "", "card_cvc": ""})
    assert incomplete.json()["error"]["field"] == "card_number"
    assert len(incomplete.json()["error"]["messages"]) == 2
    paid = httpx.post(url, headers=json, data={**card, "card_number": "4242424242424242"})
    assert paid.json()["redirect"].startswith("http://shop.test/ok?session_id=cs_")
    # Paid already: a second post only points to the success page again.
    again = httpx.post(url, headers=json, data={**card, "card_number": "4242424242424242"})
    assert again.json() == paid.json()


def test_without_the_script_a_decline_shows_the_page_with_the_field_at_fault(
    named_sandbox: str
) -> None:
    answer = httpx.post(_session_url(named_sandbox), data={
        "email": "buyer@example.com", "card_number": "4000000000000069", "card_expiry": "1234",
        "card_cvc": "123", "cardholder_name": "Ada Buyer"})
    assert answer.status_code == 402
    assert "Your card has expired." in answer.text
    assert "4000000000000069" not in answer.text
    expiry = re.search(r'<input id="card_expiry"[^>]*>', answer.text)
    assert expiry is not None and 'autofocus aria-invalid="true"' in expiry.group(0)


def test_the_debit_form_also_shows_its_refusal_in_place(browser: Any, named_sandbox: str) -> None:
    client = stripe.StripeClient("sk_test_hosted_page", base_addresses={"api": named_sandbox})
    session = client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "http://shop.test/ok?session_id={CHECKOUT_SESSION_ID}",
        "payment_method_types": ["card", "sepa_debit"],
        "line_items": [{"quantity": 1, "price_data": {
            "currency": "eur", "unit_amount": 2200, "product_data": {"name": "Mug"}}}],
    })
    page = browser.new_page()
    page.set_default_timeout(20_000)
    page.goto(str(session.url))
    page.fill("#sepa_email", "buyer@example.com")
    page.fill("#account_holder", "Jenny Rosen")
    page.fill("#iban", "DE00123")
    page.click("#submit-sepa")
    page.wait_for_selector(".alert.error")
    assert "IBAN" in page.inner_text("#errors")
    assert page.evaluate("() => document.activeElement.id") == "iban"
    assert page.input_value("#account_holder") == "Jenny Rosen"
    page.fill("#iban", "DE89 3704 0044 0532 0130 00")
    page.route("http://shop.test/**", lambda route: route.fulfill(body="back at the shop"))
    page.click("#submit-sepa")
    page.wait_for_url("http://shop.test/ok**")
