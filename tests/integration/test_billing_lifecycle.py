"""Whole subscription lifecycles through the shop's API, with the sandbox's test clocks moving
time (POST /api/admin/clock/advance, what `paydesk clock advance` calls), on SQLite and
PostgreSQL: subscribe → renew twice → the card fails → past_due with dunning emails and access
through the grace period → suspended → card updated, invoice paid → access restored."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import pytest
from sqlalchemy import select, update
from test_webhook_support import count, dedupe_keys, make_ctx, post, serve_pipeline, signed

from paydesk.billing.tables import billing_customers, invoices, subscriptions
from paydesk.catalog.service import sync_to_stripe
from paydesk.catalog.tables import products
from paydesk.notify.tables import outbox
from paydesk.reconcile.drift import drift_report
from paydesk.webhooks.processor import process_all
from paydesk.webhooks.tables import inbox_events
from tests import support
from tests.e2e.live import CATALOG, Shop, run_shop

AUTH = {"Authorization": f"Bearer {support.ADMIN_TOKEN}"}
PLANS = [
    {"id": "club", "name": "The Club", "description": "Monthly", "unit_amount": 4900,
     "currency": "eur", "type": "recurring", "interval": "month"},
    {"id": "club-trial", "name": "The Club (trial)", "description": "", "unit_amount": 4900,
     "currency": "eur", "type": "recurring", "interval": "month", "trial_days": 14},
]


@pytest.fixture
def shop(database_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path) -> Iterator[Shop]:
    catalog = {"products": [*CATALOG["products"], *PLANS]}
    with run_shop(database_url, sandbox_url, stripe_key, tmp_path, catalog=catalog,
                  paydesk_test_clocks=True, paydesk_grace_days=7) as running:
        sync_to_stripe(running.ctx.engine, running.ctx.stripe)
        yield running


T = TypeVar("T")


def wait_long(check: Callable[[], T], what: str) -> T:
    """tests/support's poll with a longer deadline: a lifecycle moves several test clocks."""
    return support.wait_for(check, what, timeout=30, every=0.05)


def entitlement(shop: Shop, email: str) -> dict[str, Any]:
    answer = httpx.get(f"{shop.url}/api/entitlements/{email}", headers=AUTH)
    return answer.json() if answer.status_code == 200 else {}


def advance(shop: Shop, email: str, days: int) -> None:
    answer = httpx.post(f"{shop.url}/api/admin/clock/advance", headers=AUTH, timeout=120,
                        json={"days": days, "email": email})
    assert answer.status_code == 200, answer.text


def paid_invoices(shop: Shop, email: str) -> int:
    with shop.ctx.engine.connect() as conn:
        return len(conn.execute(select(invoices.c.id).where(
            invoices.c.email == email, invoices.c.status == "paid")).all())


def subscribe_and_pay(shop: Shop, email: str, plan: str = "club") -> str:
    started = httpx.post(f"{shop.url}/api/subscribe", timeout=30,
                         json={"plan_id": plan, "email": email, "flow": "elements"})
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["publishable_key"].startswith("pk_test_")
    secret = body["client_secret"]
    assert body["intent_type"] == ("payment" if secret.startswith("pi_") else "setup")
    stripe = shop.ctx.stripe
    if secret.startswith("pi_"):
        stripe.v1.payment_intents.confirm(secret.split("_secret_")[0],
                                          {"payment_method": "pm_card_visa"})
    else:
        stripe.v1.setup_intents.confirm(secret.split("_secret_")[0],
                                        {"payment_method": "pm_card_visa"})
    return str(body["subscription_id"])


def subscribe_via_checkout(shop: Shop, email: str, plan: str = "club") -> str:
    """POST /api/subscribe, then pay on the hosted Checkout page; returns the success page."""
    started = httpx.post(f"{shop.url}/api/subscribe", timeout=30,
                         json={"plan_id": plan, "email": email})
    assert started.status_code == 201, started.text
    paid = httpx.post(started.json()["url"], timeout=30, data={
        "email": email, "card_number": "4242 4242 4242 4242", "card_expiry": "12/34",
        "card_cvc": "123", "cardholder_name": "Ada Lovelace",
    })
    assert paid.status_code == 303, paid.text[:300]
    success = httpx.get(paid.headers["location"], timeout=30)
    assert success.status_code == 200
    return success.text


def use_card(shop: Shop, email: str, test_pm: str) -> str:
    stripe = shop.ctx.stripe
    customer = stripe.v1.customers.list({"email": email, "limit": 1}).data[0]
    pm = stripe.v1.payment_methods.attach(test_pm, {"customer": customer.id})
    stripe.v1.customers.update(customer.id,
                               {"invoice_settings": {"default_payment_method": pm.id}})
    for sub in stripe.v1.subscriptions.list({"customer": customer.id}).data:
        stripe.v1.subscriptions.update(sub.id, {"default_payment_method": pm.id})
    return str(pm.id)


def test_renewals_failure_grace_suspension_and_recovery(shop: Shop) -> None:
    email = "ada@example.com"
    success = subscribe_via_checkout(shop, email)
    assert 'data-testid="subscription-status">active<' in success
    first = wait_long(lambda: entitlement(shop, email).get("status") == "active"
                      and entitlement(shop, email), "the subscription to be active")
    assert first["access"] is True and first["plan_id"] == "club"

    advance(shop, email, 31)
    advance(shop, email, 31)
    wait_long(lambda: paid_invoices(shop, email) == 3, "two renewals paid")
    assert entitlement(shop, email)["access"] is True

    failing = use_card(shop, email, "pm_card_chargeCustomerFail")
    advance(shop, email, 31)
    due = wait_long(lambda: entitlement(shop, email).get("status") == "past_due"
                    and entitlement(shop, email), "past_due")
    assert due["access"] is True and due["grace_until"] is not None
    wait_long(lambda: any(k.startswith("email:dunning:") for k in dedupe_keys(shop.ctx.engine)),
              "dunning")

    advance(shop, email, 9)  # two more failed attempts; the 7-day grace is over
    wait_long(lambda: entitlement(shop, email).get("access") is False, "the suspension")
    wait_long(lambda: any(k.startswith("email:suspended:") for k in dedupe_keys(shop.ctx.engine)),
              "the suspension email")
    dunning = [k for k in dedupe_keys(shop.ctx.engine) if k.startswith("email:dunning:")]
    assert len(dunning) == len(set(dunning)) >= 2  # one per failed attempt, never two

    # The customer opens the account page from its emailed link, updates the card in the
    # portal, then pays the open invoice on its hosted page (the dunning email's link).
    portal = httpx.post(f"{shop.url}/account/{account_token(shop, email)}/portal")
    assert portal.status_code == 303
    saved = httpx.post(portal.headers["location"] + "/card", follow_redirects=True, data={
        "card_number": "4242 4242 4242 4242", "card_expiry": "12/34", "card_cvc": "123",
        "cardholder_name": "Ada Lovelace"})
    assert saved.status_code == 200 and "ending in 4242 saved" in saved.text
    stripe = shop.ctx.stripe
    customer = stripe.v1.customers.retrieve(
        stripe.v1.customers.list({"email": email, "limit": 1}).data[0].id)
    # The portal's card replaced the failing one as the default (and it is the card typed in).
    default = customer.invoice_settings.default_payment_method
    assert default and default != failing
    assert stripe.v1.payment_methods.retrieve(str(default)).card.last4 == "4242"
    assert stripe.v1.payment_methods.retrieve(failing).card.last4 != "4242"
    [open_invoice] = stripe.v1.invoices.list({"customer": customer.id, "status": "open"}).data
    paid = httpx.post(open_invoice.hosted_invoice_url, follow_redirects=True, timeout=30, data={
        "email": email, "card_number": "4242 4242 4242 4242", "card_expiry": "12/34",
        "card_cvc": "123", "cardholder_name": "Ada Lovelace"})
    assert paid.status_code == 200, paid.text[:300]
    back = wait_long(lambda: entitlement(shop, email).get("access") is True
                     and entitlement(shop, email), "access restored")
    assert back["status"] == "active" and back["grace_until"] is None
    wait_long(lambda: f"email:recovered:{open_invoice.id}" in dedupe_keys(shop.ctx.engine),
              "recovery email")


def account_token(shop: Shop, email: str) -> str:
    """The account link as emailed after POST /api/account-link (202 whatever the email)."""
    assert httpx.post(f"{shop.url}/api/account-link", json={"email": email}).status_code == 202
    nobody = httpx.post(f"{shop.url}/api/account-link", json={"email": "nobody@example.com"})
    assert nobody.status_code == 202  # no account enumeration
    with shop.ctx.engine.connect() as conn:
        payload = conn.execute(select(outbox.c.payload).where(
            outbox.c.dedupe_key.like("email:account-link:%"))).scalars().all()
    assert len(payload) == 1, "one link, for the email that has an account"
    return str(payload[0].split("/account/")[1].split("\\n")[0].strip())


def test_a_trial_converts_then_cancel_at_period_end_from_the_account_page(shop: Shop) -> None:
    email = "trial@example.com"
    # The elements flow: nothing to pay now, so the answer is the subscription's pending
    # SetupIntent, which the page confirms (here the SDK, as confirmCardSetup would).
    started = httpx.post(f"{shop.url}/api/subscribe", timeout=30,
                         json={"plan_id": "club-trial", "email": email, "flow": "elements"})
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["intent_type"] == "setup" and body["client_secret"].startswith("seti_")
    assert body["publishable_key"].startswith("pk_test_")
    sub_id = body["subscription_id"]
    stripe = shop.ctx.stripe
    pending = stripe.v1.subscriptions.retrieve(sub_id)
    assert pending.status == "trialing" and pending.default_payment_method is None
    assert body["client_secret"].startswith(str(pending.pending_setup_intent) + "_secret_")
    setup = stripe.v1.setup_intents.confirm(body["client_secret"].split("_secret_")[0],
                                            {"payment_method": "pm_card_visa"})
    assert setup.status == "succeeded"
    saved = stripe.v1.subscriptions.retrieve(sub_id)
    assert saved.default_payment_method == setup.payment_method
    assert saved.pending_setup_intent is None
    trial = wait_long(lambda: entitlement(shop, email).get("status") == "trialing"
                      and entitlement(shop, email), "the trial")
    assert trial["access"] is True and trial["plan_id"] == "club-trial"
    advance(shop, email, 12)
    wait_long(lambda: any(k.startswith(f"email:trial-ending:{sub_id}")
                          for k in dedupe_keys(shop.ctx.engine)), "the trial reminder")
    advance(shop, email, 3)
    wait_long(lambda: entitlement(shop, email).get("status") == "active", "the conversion")
    wait_long(lambda: paid_invoices(shop, email) == 2, "the first real invoice")  # $0 + €49

    token = account_token(shop, email)
    page = httpx.get(f"{shop.url}/account/{token}")
    assert page.status_code == 200 and "The Club (trial)" in page.text and "€49.00" in page.text
    assert 'data-testid="invoice-pdf"' in page.text
    name = shop.ctx.settings.shop_name
    assert f"<title>Your account — {name}</title>" in page.text  # the shop's name, not ours
    assert f"</svg> {name}</a>" in page.text  # and in the header
    canceled = httpx.post(f"{shop.url}/account/{token}/cancel",
                          data={"subscription_id": sub_id})
    assert canceled.status_code == 303
    wait_long(lambda: "Ends on" in httpx.get(f"{shop.url}/account/{token}").text,
              "cancel_at_period_end on the page")
    assert entitlement(shop, email)["access"] is True  # paid up to the period's end
    advance(shop, email, 31)
    ended = wait_long(lambda: entitlement(shop, email).get("status") == "canceled"
                      and entitlement(shop, email), "the end of the period")
    assert ended["access"] is False
    # The customer's own cancellation: no "we could not collect your payment" email.
    assert not any(k.startswith(f"email:suspended:{sub_id}") for k in dedupe_keys(shop.ctx.engine))
    assert httpx.get(f"{shop.url}/account/{token[:-2]}xx").status_code == 404  # forged link


def test_a_one_off_invoice_is_sent_and_paid_on_its_hosted_page(shop: Shop) -> None:
    body = {"email": "client@example.com", "days_until_due": 14,
            "items": [{"description": "Consulting, March", "amount": 15000, "currency": "eur"},
                      {"description": "Travel", "amount": 2500, "currency": "EUR"}]}
    headers = AUTH | {"Idempotency-Key": "inv-march"}
    first = httpx.post(f"{shop.url}/api/admin/invoices", json=body, headers=headers, timeout=30)
    again = httpx.post(f"{shop.url}/api/admin/invoices", json=body, headers=headers, timeout=30)
    assert first.status_code == 201, first.text
    assert again.status_code == 201 and again.json() == first.json()
    made = first.json()
    assert made["status"] == "open" and made["hosted_invoice_url"] and made["invoice_pdf"]
    stripe = shop.ctx.stripe
    invoice = stripe.v1.invoices.retrieve(made["invoice_id"])
    assert invoice.amount_due == 17500 and invoice.collection_method == "send_invoice"
    assert len(stripe.v1.invoices.list({"customer": invoice.customer}).data) == 1
    reused = httpx.post(f"{shop.url}/api/admin/invoices", headers=headers, timeout=30,
                        json=body | {"days_until_due": 30})
    assert reused.status_code == 422  # same key, another body

    paid = httpx.post(made["hosted_invoice_url"], data={
        "email": "client@example.com", "card_number": "4242 4242 4242 4242",
        "card_expiry": "12/34", "card_cvc": "123", "cardholder_name": "Client",
    }, follow_redirects=True, timeout=30)
    assert paid.status_code == 200, paid.text[:300]

    def status() -> str | None:  # a transaction per look: one kept open would hold SQLite's lock
        with shop.ctx.engine.connect() as conn:
            return conn.execute(select(invoices.c.status).where(
                invoices.c.id == made["invoice_id"])).scalar()

    wait_long(lambda: status() == "paid", "invoice.paid")
    pdf = httpx.get(made["invoice_pdf"], timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def settled_lifecycle(shop: Shop, email: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Subscribe, renew, fail twice, pay the open invoice, renew again; returns every event of
    the account (Stripe's own list) and the shop's entitlement once it has settled."""
    sub_id = subscribe_and_pay(shop, email)
    use_card(shop, email, "pm_card_visa")
    advance(shop, email, 31)
    use_card(shop, email, "pm_card_chargeCustomerFail")
    advance(shop, email, 31)
    advance(shop, email, 4)
    card = use_card(shop, email, "pm_card_visa")
    stripe = shop.ctx.stripe
    customer = stripe.v1.customers.list({"email": email, "limit": 1}).data[0]
    [due] = stripe.v1.invoices.list({"customer": customer.id, "status": "open"}).data
    stripe.v1.invoices.pay(due.id, {"payment_method": card})
    advance(shop, email, 31)
    final = wait_long(lambda: paid_invoices(shop, email) == 4 and entitlement(shop, email),
                      "the first shop to settle")
    truth = stripe.v1.subscriptions.retrieve(sub_id)
    assert final["status"] == truth.status == "active"
    events = [orjson.loads(orjson.dumps(e.to_dict(recursive=True), default=str))
              for e in stripe.v1.events.list({"limit": 100}).auto_paging_iter()]
    assert {"invoice.payment_failed", "invoice.paid", "customer.subscription.updated"} <= {
        e["type"] for e in events}
    return events, final


def test_every_event_again_twice_shuffled_and_concurrent_ends_the_same(
    shop: Shop, tmp_path: Path
) -> None:
    """A whole lifecycle's events, replayed into a second shop: each delivered twice, in a
    shuffled order, from 8 threads at once, with 3 extra processors racing the shop's own. The
    entitlement ends exactly where Stripe (and the first shop) ended, emails once per key."""
    email = "replay@example.com"
    events, final = settled_lifecycle(shop, email)
    stripe = shop.ctx.stripe
    replica = make_ctx(f"sqlite:///{tmp_path}/replica.db")
    replica = dataclasses.replace(replica, stripe=stripe, client_url=shop.url)
    copy_catalog_and_customers(shop, replica)
    deliveries = [e for e in events for _ in range(2)]
    random.Random(7).shuffle(deliveries)
    with serve_pipeline(replica) as base:
        def deliver(evt: dict[str, Any]) -> int:
            return post(base, *signed(evt)).status_code

        with ThreadPoolExecutor(8) as pool:
            racers = [pool.submit(process_all, replica) for _ in range(3)]
            assert set(pool.map(deliver, deliveries)) == {200}
            for racer in racers:
                racer.result()
        wait_long(lambda: count(replica.engine, inbox_events,
                                inbox_events.c.status.in_(("received", "failed"))) == 0,
                  "the replica to process everything")
        again = httpx.get(f"{base}/api/entitlements/{email}", headers=AUTH).json()
    assert {k: again[k] for k in ("status", "access", "plan_id", "current_period_end")} == {
        k: final[k] for k in ("status", "access", "plan_id", "current_period_end")}
    keys = dedupe_keys(replica.engine)
    assert len(keys) == len(set(keys))
    assert sum(k.startswith("email:recovered:") for k in keys) == 1
    replica.engine.dispose()


def copy_catalog_and_customers(shop: Shop, replica: Any) -> None:
    with shop.ctx.engine.connect() as src, replica.engine.begin() as dst:
        for table in (products, billing_customers):
            rows = [dict(r) for r in src.execute(select(table)).mappings()]
            dst.execute(table.insert(), rows)


def test_the_admin_billing_overview_and_its_time_button(shop: Shop) -> None:
    email = "owner-view@example.com"
    sub_id = subscribe_and_pay(shop, email)
    use_card(shop, email, "pm_card_visa")
    wait_long(lambda: entitlement(shop, email).get("status") == "active", "the subscription")
    with httpx.Client(base_url=shop.url, timeout=60) as admin:
        assert admin.get("/admin", params={"token": AUTH["Authorization"][7:]}).status_code == 303
        page = admin.get("/admin/billing")
        assert page.status_code == 200
        assert "€49.00" in page.text and "<svg" in page.text and sub_id in page.text
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        moved = admin.post("/admin/billing/clock", data={"days": "31", "csrf": csrf})
        assert moved.status_code == 303 and "31d:1" in moved.headers["location"]
        assert admin.post("/admin/billing/clock", data={"days": "1"}).status_code == 403
        wait_long(lambda: paid_invoices(shop, email) == 2, "the renewal")
        detail = admin.get(f"/admin/billing/subscriptions/{sub_id}")
        assert detail.status_code == 200
        timeline = detail.text.split('data-testid="subscription-timeline"')[1]
        assert "Subscribed to club" in timeline and "paid: €49.00" in timeline
        assert "invoice.paid" not in timeline  # sentences, not event names
        assert ">granted<" in detail.text

        page = admin.get("/admin/billing").text
        form = {"csrf": csrf, "token": page.split('name="token" value="')[1].split('"')[0],
                "email": "walk-in@example.com", "description": "Cupping workshop",
                "amount": "120.00", "currency": "eur", "days_until_due": "7"}
        sent = [admin.post("/admin/billing/invoices", data=form) for _ in range(2)]
        assert [r.status_code for r in sent] == [303, 303]
        assert sent[0].headers["location"] == sent[1].headers["location"]  # one invoice
        invoice_id = sent[0].headers["location"].split("invoice=")[1]
        made = shop.ctx.stripe.v1.invoices.retrieve(invoice_id)
        assert made.amount_due == 12000 and made.status == "open"
        bad = admin.post("/admin/billing/invoices", data=form | {"amount": "12,0.0x",
                                                                  "token": "other"})
        assert "error=amount" in bad.headers["location"]


def test_the_drift_report_names_what_differs_from_stripe(shop: Shop) -> None:
    email = "drift@example.com"
    sub_id = subscribe_and_pay(shop, email)
    use_card(shop, email, "pm_card_visa")
    wait_long(lambda: entitlement(shop, email).get("status") == "active", "the subscription")
    assert [d for d in drift_report(shop.ctx, timedelta(days=3)) if d.id == sub_id] == []
    with shop.ctx.engine.begin() as conn:
        conn.execute(update(subscriptions).where(subscriptions.c.id == sub_id)
                     .values(status="past_due"))
    [drift] = [d for d in drift_report(shop.ctx, timedelta(days=3)) if d.id == sub_id]
    assert (drift.kind, drift.field, drift.local, drift.stripe) == (
        "subscription", "status", "past_due", "active")
