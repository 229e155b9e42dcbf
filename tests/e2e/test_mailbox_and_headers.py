"""The admin's mailbox as a page (list + one email) in Chromium; `nosniff` on every response of
the shop and the sandbox's pages; a favicon on both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.e2e.live import run_shop
from tests.support import ADMIN_TOKEN, wait_for

CARD = {"email": "buyer@example.com", "card_number": "4242424242424242",
        "card_expiry": "12/34", "card_cvc": "123", "cardholder_name": "Ada Buyer"}


def _paid_order(base: str) -> str:
    created = httpx.post(base + "/api/checkout", json={
        "items": [{"product_id": "guide", "quantity": 1}], "email": "buyer@example.com"}).json()
    assert httpx.post(created["url"], data=CARD).status_code == 303
    return str(created["order_id"])


def test_the_mailbox_is_a_page_with_the_list_and_one_email(
    browser: Any, sqlite_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path
) -> None:
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path) as shop:
        order_id = _paid_order(shop.url)
        bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        wait_for(lambda: httpx.get(shop.url + "/admin/mailbox", headers=bearer).json()["messages"],
                 "an email in the mailbox", every=0.2)

        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{shop.url}/admin?token={ADMIN_TOKEN}")
        page.get_by_role("link", name="Mailbox", exact=True).click()
        page.wait_for_url("**/admin/mailbox")
        listed = page.inner_text(".mail-list")
        assert order_id in listed and "to buyer@example.com" in listed
        assert "No SMTP_URL is set" in page.inner_text("main")
        page.locator(".mail-list a").first.click()
        page.wait_for_url("**/admin/mailbox/*")
        body = page.inner_text("#message")
        assert order_id in body and "buyer@example.com" in body
        # The HTML part, rendered by the browser inside its sandboxed frame.
        frame = page.locator("iframe.mail-html")
        assert frame.get_attribute("sandbox") == ""
        assert order_id in page.frame_locator("iframe.mail-html").locator("body").inner_text()
        html_body = page.frame_locator("iframe.mail-html").locator("body")
        assert html_body.evaluate("b => b.scrollWidth <= b.clientWidth")  # long links wrap
        page.screenshot(path=str(tmp_path / "mailbox.png"), full_page=True)
        # Scripts still get JSON from the same address.
        data = httpx.get(shop.url + "/admin/mailbox", headers=bearer).json()
        assert data["messages"][0]["to"] == "buyer@example.com"
        assert httpx.get(shop.url + "/admin/mailbox/999999", headers=bearer).status_code == 404


def test_every_response_says_nosniff_and_both_have_a_favicon(
    sqlite_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path
) -> None:
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path) as shop:
        session_url = httpx.post(shop.url + "/api/checkout", json={
            "items": [{"product_id": "mug", "quantity": 1}]}).json()["url"]
        bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        answers = [
            httpx.get(shop.url + "/"), httpx.get(shop.url + "/api/products"),
            httpx.get(shop.url + "/static/shop.css"), httpx.get(shop.url + "/no/such/page"),
            httpx.get(shop.url + "/admin/mailbox", headers=bearer),
            httpx.get(shop.url + "/admin/mailbox", headers={**bearer, "Accept": "text/html"}),
            httpx.post(shop.url + "/api/webhook", content=b"{}"),
            httpx.get(shop.url + "/favicon.ico"),
            httpx.get(session_url), httpx.get(sandbox_url + "/favicon.ico"),
            httpx.get(sandbox_url + "/static/style.css"),
        ]
        for res in answers:
            assert res.headers.get("x-content-type-options") == "nosniff", res.url
        for base in (shop.url, sandbox_url):
            icon = httpx.get(base + "/favicon.ico")
            assert icon.status_code == 200
            assert icon.headers["content-type"] == "image/svg+xml"
            assert icon.text.startswith("<svg")
        assert 'rel="icon"' in httpx.get(shop.url + "/").text
        assert 'rel="icon"' in httpx.get(session_url).text
