"""A buyer in a real browser (Playwright driving Debian's Chromium): storefront -> cart -> Pay now
-> the sandbox's hosted Checkout page -> back on the success page with the download link."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.e2e.live import run_shop


def test_a_buyer_pays_and_gets_the_download(  # type: ignore[no-untyped-def]
    browser, sqlite_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path
) -> None:
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path) as shop:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.goto(shop.url + "/")
        card = page.get_by_test_id("product-guide")
        card.get_by_role("button", name="Add to cart").click()
        mug = page.get_by_test_id("product-mug")
        mug.locator("input.qty").fill("2")
        mug.get_by_role("button", name="Add to cart").click()
        assert page.locator("#cart-count").inner_text() == "3"
        assert page.locator("#cart-total").inner_text() == "$53.00"
        page.locator("#email").fill("buyer@example.com")
        page.get_by_role("button", name="Pay now").click()

        # Changing their mind on the payment page, the buyer finds the cart as they left it.
        page.wait_for_url(re.compile("^" + re.escape(sandbox_url)))
        page.locator("#cancel").click()
        page.wait_for_url(re.compile("^" + re.escape(shop.url) + "/payment/cancel"))
        page.get_by_role("link", name="Back to the shop").click()
        assert page.locator("#cart-count").inner_text() == "3"
        page.get_by_role("button", name="Pay now").click()

        page.wait_for_url(re.compile("^" + re.escape(sandbox_url)))
        form = page.locator("form[method=post]").first
        email = form.locator("[name=email]")
        if email.is_editable():  # read-only when the session already carries customer_email
            email.fill("buyer@example.com")
        else:
            assert email.input_value() == "buyer@example.com"
        form.locator("[name=card_number]").fill("4242424242424242")
        form.locator("[name=card_expiry]").fill("12/34")
        form.locator("[name=card_cvc]").fill("123")
        form.locator("[name=cardholder_name]").fill("Ada Buyer")
        form.locator("[type=submit]").first.click()

        page.wait_for_url(re.compile("^" + re.escape(shop.url) + "/payment/success"))
        link = page.get_by_test_id("access-link")
        link.wait_for(state="visible")
        assert page.get_by_test_id("order-status").inner_text() == "Confirmed"
        assert link.inner_text() == "Brewing Guide"
        href = link.get_attribute("href")
        assert href and href.startswith(shop.url + "/access/")
        assert httpx.get(href).status_code == 200
        page.goto(shop.url + "/")  # paid: the cart is done with
        assert page.locator("#cart-count").inner_text() == "0"


def test_asking_for_more_than_is_left_shows_why(  # type: ignore[no-untyped-def]
    browser, sqlite_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path
) -> None:
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path) as shop:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.goto(shop.url + "/")
        mug = page.get_by_test_id("product-mug")
        mug.locator("input.qty").fill("5")
        mug.get_by_role("button", name="Add to cart").click()
        page.get_by_role("button", name="Pay now").click()
        error = page.locator("#cart-error")
        error.wait_for(state="visible")
        assert "Stoneware Mug" in error.inner_text() and "only 3 left" in error.inner_text()
        assert page.url.startswith(shop.url)
        assert page.get_by_role("button", name="Pay now").is_enabled()
