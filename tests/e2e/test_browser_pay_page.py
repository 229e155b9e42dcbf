"""The shop's own payment page, driven as a buyer would in Chromium: storefront -> "Pay by card
on this page" -> /pay/{order_id} with the Payment Element (the sandbox's Stripe.js) -> back on
the same page, which reads the PaymentIntent and shows the fulfilled order."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from paydesk.orders.tables import orders
from tests.e2e.live import Shop, run_shop

FRAME = "#payment-element iframe[name^='__privateStripeFrame']"


@pytest.fixture
def shop(sqlite_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path) -> Iterator[Shop]:
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path) as running:
        yield running


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    p = context.new_page()
    p.set_default_timeout(20_000)
    try:
        yield p
    finally:
        context.close()


def _to_pay_page(page: Any, shop: Shop) -> str:
    page.goto(shop.url + "/")
    page.get_by_test_id("product-guide").get_by_role("button", name="Add to cart").click()
    page.locator("#email").fill("buyer@example.com")
    page.get_by_role("button", name="Pay by card on this page").click()
    page.wait_for_url(re.compile(re.escape(shop.url) + r"/pay/ord_"))
    return page.url.rsplit("/", 1)[1]


def _pay(page: Any, number: str) -> None:
    frame = page.frame_locator(FRAME)
    frame.locator("#Field-numberInput").fill(number)
    frame.locator("#Field-expiryInput").fill("12 / 34")
    frame.locator("#Field-cvcInput").fill("123")
    frame.locator("#Field-postalCodeInput").fill("10001")
    page.get_by_role("button", name=re.compile(r"^Pay \$")).click()


def _status(shop: Shop, order_id: str) -> str:
    with shop.ctx.engine.connect() as conn:
        return str(conn.execute(select(orders.c.status).where(orders.c.id == order_id)).scalar())


def _expect_fulfilled(page: Any, shop: Shop, order_id: str) -> None:
    page.wait_for_url(re.compile(re.escape(f"{shop.url}/pay/{order_id}?") + ".*redirect_status"))
    page.get_by_test_id("order-status").filter(has_text="Confirmed").wait_for()
    link = page.get_by_test_id("access-link")
    link.wait_for(state="visible")
    href = link.get_attribute("href")
    assert href and httpx.get(href).status_code == 200
    assert _status(shop, order_id) == "fulfilled"


def test_a_buyer_pays_with_4242_on_the_shops_page(page: Any, shop: Shop) -> None:
    order_id = _to_pay_page(page, shop)
    assert page.get_by_test_id("pay-total").inner_text() == "$9.00"
    _pay(page, "4242424242424242")
    _expect_fulfilled(page, shop, order_id)


def test_a_declined_card_is_shown_and_the_order_stays_payable(page: Any, shop: Shop) -> None:
    order_id = _to_pay_page(page, shop)
    _pay(page, "4000000000000002")
    message = page.get_by_test_id("payment-message")
    message.filter(has_text="Your card was declined.").wait_for()
    assert _status(shop, order_id) == "pending"
    page.reload()  # the failure is read back from the PaymentIntent
    page.get_by_test_id("payment-failure").filter(has_text="Your card was declined.").wait_for()
    _pay(page, "4242424242424242")
    _expect_fulfilled(page, shop, order_id)


def test_3ds_success_pays_after_the_challenge(page: Any, shop: Shop) -> None:
    order_id = _to_pay_page(page, shop)
    _pay(page, "4000002500003155")
    page.frame_locator("[data-paydesk-3ds] iframe").get_by_role(
        "button", name="Complete authentication"
    ).click()
    _expect_fulfilled(page, shop, order_id)


def test_3ds_failure_leaves_the_order_unpaid(page: Any, shop: Shop) -> None:
    order_id = _to_pay_page(page, shop)
    _pay(page, "4000002500003155")
    page.frame_locator("[data-paydesk-3ds] iframe").get_by_role(
        "button", name="Fail authentication"
    ).click()
    page.get_by_test_id("payment-message").filter(has_text="did not authenticate").wait_for()
    assert _status(shop, order_id) == "pending"
    assert "/pay/" + order_id in page.url and "redirect_status" not in page.url
