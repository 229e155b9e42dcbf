"""A subscriber in a real browser (Playwright driving Debian's Chromium): subscribe to a plan on
the storefront → the sandbox's hosted Checkout → the success page; then the account page from
the emailed link, an invoice PDF downloaded, and "Manage billing" into the portal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from paydesk.billing.tables import invoices
from paydesk.catalog.service import sync_to_stripe
from paydesk.notify.tables import mailbox
from paydesk.stripe_gateway import publishable_key
from tests.e2e.live import CATALOG, run_shop
from tests.support import ADMIN_TOKEN, serving, wait_for

PLAN = {"id": "club", "name": "The Club", "description": "A bag a month", "unit_amount": 4900,
        "currency": "eur", "type": "recurring", "interval": "month", "trial_days": 14}


def _emailed_link(engine, to: str) -> str:  # type: ignore[no-untyped-def]
    def link() -> str | None:
        with engine.connect() as conn:
            bodies = conn.execute(select(mailbox.c.body).where(
                mailbox.c.to_addr == to, mailbox.c.subject == "Your account link")).scalars().all()
        found = [m.group(1) for b in bodies if (m := re.search(r"(http\S+/account/\S+)", b))]
        return found[0] if found else None

    return wait_for(link, "an account link in the mailbox")


def _wait_paid(engine) -> None:  # type: ignore[no-untyped-def]
    def paid() -> bool:
        with engine.connect() as conn:
            return conn.execute(select(invoices.c.id).where(
                invoices.c.status == "paid", invoices.c.amount_paid > 0)).first() is not None

    wait_for(paid, "the converted trial's invoice to be paid")


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


# A merchant's own card form for a trial, written against Stripe's documentation ("Subscriptions
# with a trial: collect the card with the pending SetupIntent"): served at the shop's origin, so
# it calls the shop's POST /api/subscribe as a shop's page would.
ELEMENTS_TRIAL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Start your trial</title>
<script src="{sandbox}/v3/"></script></head>
<body>
  <div id="card-element"></div>
  <button id="start" type="button">Start my free trial</button>
  <p id="result"></p>
  <script>
    const stripe = Stripe('{publishable_key}');
    const card = stripe.elements().create('card', {{hidePostalCode: true}});
    card.mount('#card-element');
    document.getElementById('start').addEventListener('click', async () => {{
      const res = await fetch('/api/subscribe', {{method: 'POST',
        headers: {{'Content-Type': 'application/json'}},
        body: JSON.stringify({{plan_id: 'club', email: 'trial@example.com', flow: 'elements'}})}});
      const started = await res.json();
      const confirm = started.intent_type === 'setup'
        ? stripe.confirmCardSetup(started.client_secret, {{payment_method: {{card}}}})
        : stripe.confirmCardPayment(started.client_secret, {{payment_method: {{card}}}});
      const {{error, setupIntent, paymentIntent}} = await confirm;
      const intent = setupIntent || paymentIntent;
      document.getElementById('result').textContent = error
        ? 'error ' + error.message
        : [started.intent_type, intent.status, started.subscription_id].join(' ');
    }});
  </script>
</body></html>"""


def test_a_trial_started_on_the_shops_own_card_form_saves_the_card(  # type: ignore[no-untyped-def]
    browser, sqlite_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path
) -> None:
    catalog = {"products": [*CATALOG["products"], PLAN]}
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path, catalog=catalog,
                  paydesk_test_clocks=True) as shop:
        sync_to_stripe(shop.ctx.engine, shop.ctx.stripe)
        html = ELEMENTS_TRIAL_PAGE.format(sandbox=sandbox_url,
                                          publishable_key=publishable_key(shop.ctx.settings))
        page = browser.new_page()
        page.set_default_timeout(20_000)
        with merchant_site(html, shop.url) as site:
            page.goto(site)
            _start_trial(page)
        kind, status, sub_id = page.inner_text("#result").split(" ")
        assert (kind, status) == ("setup", "succeeded"), page.inner_text("#result")
        sub = shop.ctx.stripe.v1.subscriptions.retrieve(sub_id)
        assert sub.status == "trialing" and sub.pending_setup_intent is None
        card = shop.ctx.stripe.v1.payment_methods.retrieve(str(sub.default_payment_method))
        assert card.card.last4 == "4242"


def _start_trial(page) -> None:  # type: ignore[no-untyped-def]
    frame = page.frame_locator("#card-element iframe[name^='__privateStripeFrame']")
    frame.locator("[name=cardnumber]").fill("4242424242424242")
    frame.locator("[name=exp-date]").fill("12/34")
    frame.locator("[name=cvc]").fill("123")
    page.click("#start")
    page.wait_for_function("document.getElementById('result').textContent !== ''")


@contextmanager
def merchant_site(html: str, shop_url: str) -> Iterator[str]:
    """The merchant's page on a loopback origin of its own (Chromium lets only a loopback page
    load the loopback sandbox's Stripe.js), its POST /api/subscribe passed on to the shop."""

    async def page(_request: Request) -> Response:
        return HTMLResponse(html)

    async def subscribe(request: Request) -> Response:
        async with httpx.AsyncClient(timeout=30) as client:
            res = await client.post(shop_url + "/api/subscribe", content=await request.body(),
                                    headers={"Content-Type": "application/json"})
        return Response(res.content, res.status_code, media_type="application/json")

    app = Starlette(routes=[Route("/", page), Route("/api/subscribe", subscribe,
                                                    methods=["POST"])])
    with serving(app, "the merchant's site") as port:
        yield f"http://127.0.0.1:{port}/"
