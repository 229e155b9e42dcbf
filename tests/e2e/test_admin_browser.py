"""The shop owner in a real browser (Chromium) on an order's admin page: the timeline reads as
sentences (a declined card included), a pending order has no net and can be released, and a
refund or a release asks for confirmation first; and on the billing customers pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from paydesk.catalog.service import sync_to_stripe
from tests.e2e.live import CATALOG, Shop, run_shop
from tests.support import ADMIN_TOKEN, wait_for

PLAN = {"id": "club", "name": "The Club", "description": "A bag a month", "unit_amount": 4900,
        "currency": "eur", "type": "recurring", "interval": "month"}
CARD = {"email": "buyer@example.com", "card_expiry": "12/34", "card_cvc": "123",
        "cardholder_name": "Ada Buyer"}


def _wait(check: Callable[[], bool], what: str) -> None:
    wait_for(check, what, every=0.1)  # most checks reload the page


def _checkout(shop: Shop, product: str = "mug") -> dict[str, Any]:
    res = httpx.post(shop.url + "/api/checkout", json={
        "items": [{"product_id": product, "quantity": 1}], "email": "buyer@example.com"})
    assert res.status_code == 201, res.text
    return dict(res.json())


def _status(shop: Shop, order_id: str) -> str:
    return str(httpx.get(f"{shop.url}/api/orders/{order_id}").json()["status"])


def _stock(shop: Shop, product: str = "mug") -> int:
    products = httpx.get(shop.url + "/api/products").json()
    return int(next(p["stock"] for p in products if p["id"] == product))


def _signed_in_page(browser: Any, shop: Shop) -> Any:
    page = browser.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{shop.url}/admin?token={ADMIN_TOKEN}")
    return page


def test_timeline_refund_confirmation_and_release(
    browser: Any, sqlite_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path
) -> None:
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path) as shop:
        paid = _checkout(shop)
        declined = httpx.post(paid["url"], data={**CARD, "card_number": "4000000000000002"})
        assert "declined" in declined.text
        ok = httpx.post(paid["url"], data={**CARD, "card_number": "4242424242424242"})
        assert ok.status_code == 303
        _wait(lambda: _status(shop, paid["order_id"]) == "fulfilled", "the order was not paid")

        page = _signed_in_page(browser, shop)
        page.goto(f"{shop.url}/admin/orders/{paid['order_id']}")
        _wait(lambda: "Payment failed" in (page.reload() and page.inner_text(".timeline")),
              "the declined payment is not on the timeline")
        timeline = page.inner_text(".timeline")
        assert timeline.index("Checkout opened for $22.00 by buyer@example.com") \
            < timeline.index("Payment failed") < timeline.index("Paid $22.00")
        assert "Payment failed: Your card was declined." in timeline
        assert "Paid $22.00" in timeline
        assert "payment_intent" not in timeline and "charge." not in timeline

        page.fill("input[name=amount]", "5.00")
        asked: list[str] = []
        page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        page.click("#refund-button")
        assert asked and "Refund 5.00 USD to buyer@example.com?" in asked[0]
        assert "refund=" not in page.url  # dismissed: nothing was sent
        page.once("dialog", lambda d: d.accept())
        page.click("#refund-button")
        page.wait_for_url("**refund=*")
        _wait(lambda: "Refunded $5.00" in (page.reload() and page.inner_text(".timeline")),
              "the refund is not on the timeline")
        page.screenshot(path=str(tmp_path / "admin-order-paid.png"), full_page=True)

        pending = _checkout(shop)
        held = _stock(shop)
        page.goto(f"{shop.url}/admin/orders/{pending['order_id']}")
        assert page.inner_text(".stats").count("—") >= 2  # nothing refunded, no net
        assert "$22.00" in page.inner_text(".stats")  # the total is still shown
        page.once("dialog", lambda d: d.accept())
        page.click("#release-button")
        page.wait_for_url("**released=1")
        assert "back in stock" in page.inner_text("body")
        assert _status(shop, pending["order_id"]) == "expired"
        assert _stock(shop) == held + 1
        session = shop.ctx.stripe.v1.checkout.sessions.list({"limit": 1}).data[0]
        assert session.status == "expired"  # the buyer cannot pay it any more
        page.screenshot(path=str(tmp_path / "admin-order-released.png"), full_page=True)


def test_releasing_a_paid_order_is_refused(sqlite_url: str, sandbox_url: str, stripe_key: str,
                                           tmp_path: Path) -> None:
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path) as shop:
        paid = _checkout(shop)
        httpx.post(paid["url"], data={**CARD, "card_number": "4242424242424242"})
        _wait(lambda: _status(shop, paid["order_id"]) == "fulfilled", "the order was not paid")
        held = _stock(shop)
        res = httpx.post(f"{shop.url}/admin/orders/{paid['order_id']}/release",
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert res.status_code == 409
        assert "not pending" in res.text
        assert _stock(shop) == held and _status(shop, paid["order_id"]) == "fulfilled"


def _subscribed(shop: Shop, email: str) -> None:
    started = httpx.post(shop.url + "/api/subscribe", json={"plan_id": "club", "email": email})
    assert started.status_code == 201, started.text
    paid = httpx.post(started.json()["url"], data={**CARD, "email": email,
                                                   "card_number": "4242424242424242"})
    assert paid.status_code == 303, paid.text[:300]
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    _wait(lambda: httpx.get(f"{shop.url}/api/entitlements/{email}", headers=auth)
          .json().get("status") == "active", "the subscription is not active")


def test_the_customers_pages(
    browser: Any, sqlite_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path
) -> None:
    catalog = {"products": [*CATALOG["products"], PLAN]}
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path, catalog=catalog) as shop:
        sync_to_stripe(shop.ctx.engine, shop.ctx.stripe)
        _subscribed(shop, "member@example.com")
        page = _signed_in_page(browser, shop)
        page.click("nav.admin-nav >> text=Customers")
        page.wait_for_url("**/admin/billing/customers")
        row = page.inner_text("[data-testid=customers] tr:has-text('member@example.com')")
        assert "granted" in row and "€49.00" in row and "cus_" in row
        page.click("text=member@example.com")
        page.wait_for_url("**/admin/billing/customers/bcu_*")
        assert page.inner_text("[data-testid=access]") == "granted"
        _wait(lambda: "paid: €49.00" in (page.reload() and page.inner_text(".timeline")),
              "the paid invoice is not on the customer's timeline")
        timeline = page.inner_text(".timeline")
        assert "Subscribed to club" in timeline and "invoice." not in timeline
        assert page.locator("[data-testid=invoices] a", has_text="PDF").count() == 1
        page.screenshot(path=str(tmp_path / "admin-customer.png"), full_page=True)
