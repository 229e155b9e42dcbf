"""A subscriber in a real browser (Playwright driving Debian's Chromium): subscribe to a plan on
the storefront → the sandbox's hosted Checkout → the success page; then the account page from
the emailed link, an invoice PDF downloaded, and "Manage billing" into the portal."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from paydesk.billing.tables import invoices
from paydesk.catalog.service import sync_to_stripe
from paydesk.notify.tables import mailbox
from tests.e2e.live import CATALOG, run_shop

PLAN = {"id": "club", "name": "The Club", "description": "A bag a month", "unit_amount": 4900,
        "currency": "eur", "type": "recurring", "interval": "month", "trial_days": 14}

ADMIN_TOKEN = "admin-token-for-tests-0123456789abcdef"  # what run_shop configures


def _emailed_link(engine, to: str) -> str:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            bodies = conn.execute(select(mailbox.c.body).where(
                mailbox.c.to_addr == to, mailbox.c.subject == "Your account link")).scalars().all()
        for body in bodies:
            found = re.search(r"(http\S+/account/\S+)", body)
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise AssertionError("no account link in the mailbox")


def _wait_paid(engine) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            paid = conn.execute(select(invoices.c.id).where(
                invoices.c.status == "paid", invoices.c.amount_paid > 0)).first()
        if paid:
            return
        time.sleep(0.1)
    raise AssertionError("the converted trial's invoice was never paid")


def test_subscribe_then_account_page_pdf_and_portal(  # type: ignore[no-untyped-def]
    browser, sqlite_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path  # noqa: F811
) -> None:
    catalog = {"products": [*CATALOG["products"], PLAN]}
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path, catalog=catalog,
                  paydesk_test_clocks=True) as shop:
        sync_to_stripe(shop.ctx.engine, shop.ctx.stripe)
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.goto(shop.url + "/")
        plan = page.get_by_test_id("plan-club")
        assert "€49.00 / month, 14 days free" in plan.inner_text()
        plan.locator(".plan-email").fill("member@example.com")
        plan.get_by_role("button", name="Subscribe").click()

        page.wait_for_url(re.compile("^" + re.escape(sandbox_url)))
        form = page.locator("form[method=post]").first
        email = form.locator("[name=email]")
        if email.is_editable():
            email.fill("member@example.com")
        form.locator("[name=card_number]").fill("4242424242424242")
        form.locator("[name=card_expiry]").fill("12/34")
        form.locator("[name=card_cvc]").fill("123")
        form.locator("[name=cardholder_name]").fill("Ada Member")
        form.locator("[type=submit]").first.click()

        page.wait_for_url(re.compile("^" + re.escape(shop.url) + "/subscribe/success"))
        assert page.get_by_test_id("subscription-status").inner_text() == "trialing"
        page.get_by_role("button", name="Email me my account link").click()
        page.locator(".sent").wait_for(state="visible")

        # Fifteen days on (the sandbox's time control): the trial converts, a real invoice.
        moved = httpx.post(f"{shop.url}/api/admin/clock/advance", timeout=60,
                           headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                           json={"days": 15, "email": "member@example.com"})
        assert moved.status_code == 200, moved.text
        _wait_paid(shop.ctx.engine)

        page.goto(_emailed_link(shop.ctx.engine, "member@example.com"))
        page.get_by_test_id("subscription").wait_for()
        assert "The Club" in page.locator("#account").inner_text()
        assert "€49.00" in page.locator("#account").inner_text()
        # The newest invoice first (the sandbox gives the $0 trial invoice, made by its hosted
        # Checkout page, a link on its default port: reported to sandbox-billing).
        pdf_link = page.get_by_test_id("invoice-pdf").first
        pdf = page.request.get(str(pdf_link.get_attribute("href")))
        assert pdf.ok and pdf.body().startswith(b"%PDF")

        page.get_by_test_id("manage-billing").click()
        page.wait_for_url(re.compile("^" + re.escape(sandbox_url)))
        assert "Billing for member@example.com" in page.locator("h1").inner_text()
        page.locator("#return").click()
        page.wait_for_url(re.compile("^" + re.escape(shop.url) + "/account/"))
