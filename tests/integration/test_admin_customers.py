"""The admin's customers pages over real HTTP, on SQLite and PostgreSQL: the list (access now,
MRR, last event, search by email, paging) and a customer's subscriptions, invoices and timeline
in sentences, from events delivered through the inbox."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
from billing_support import FEB, JAN, invoice_obj, seed_customer, seed_plan, sub_obj
from test_webhook_support import ADMIN_TOKEN, deliver, event, serve_pipeline

from paydesk.admin.customer_queries import PAGE_SIZE
from paydesk.billing.records import remember_customer
from paydesk.context import AppContext

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _with_before(evt: dict[str, Any], **before: Any) -> dict[str, Any]:
    evt["data"]["previous_attributes"] = before
    return evt


def _history(ctx: AppContext, base: str, t: int) -> None:
    """ada: subscribed, paid, then a failed renewal (past_due, in grace); bob: canceled.
    Stripe sends `created` after the first invoice's events, in the same second."""
    deliver(ctx, base, event("invoice.paid", invoice_obj("in_0001", "cus_ada", "sub_ada",
                                                         "paid"), created=t))
    deliver(ctx, base, event("customer.subscription.created",
                             sub_obj("sub_ada", "cus_ada", "active", JAN), created=t))
    deliver(ctx, base, _with_before(event(
        "customer.subscription.updated", sub_obj("sub_ada", "cus_ada", "past_due", FEB),
        created=t + 1), status="active"))
    deliver(ctx, base, event("invoice.payment_failed", invoice_obj(
        "in_0002", "cus_ada", "sub_ada", "open", 1, created=JAN), created=t + 1))
    deliver(ctx, base, event("customer.subscription.created",
                             sub_obj("sub_bob", "cus_bob", "active", JAN), created=t))
    deliver(ctx, base, event("customer.subscription.deleted",
                             sub_obj("sub_bob", "cus_bob", "canceled", JAN), created=t + 2))


def test_the_customers_list_and_a_customers_page(ctx: AppContext) -> None:
    seed_plan(ctx.engine)
    seed_customer(ctx.engine, "ada@example.com", "cus_ada")
    seed_customer(ctx.engine, "bob@example.com", "cus_bob")
    t = int(time.time())
    with serve_pipeline(ctx) as base:
        _history(ctx, base, t)
        assert httpx.get(f"{base}/admin/billing/customers").status_code == 401
        listed = httpx.get(f"{base}/admin/billing/customers", headers=AUTH)
        assert listed.status_code == 200
        rows = listed.text.split('data-testid="customers"')[1].split("<tr>")[2:]
        ada = next(r for r in rows if "ada@example.com" in r)
        bob = next(r for r in rows if "bob@example.com" in r)
        assert "cus_ada" in ada and "in grace until" in ada and "€49.00" in ada
        last = datetime.fromtimestamp(t + 1, UTC).strftime("%Y-%m-%d %H:%M")
        assert last in ada  # the failed payment, the newest event about ada
        assert ">none<" in bob and "€49.00" not in bob  # canceled: no access, no MRR
        found = httpx.get(f"{base}/admin/billing/customers", params={"q": " ADA@"},
                          headers=AUTH).text
        assert "ada@example.com" in found and "bob@example.com" not in found
        nobody = httpx.get(f"{base}/admin/billing/customers", params={"q": "%"},
                           headers=AUTH).text
        assert "No customers whose email contains" in nobody  # LIKE wildcards are literal

        page = httpx.get(f"{base}/admin/billing/customers/cus_ada", headers=AUTH)
        assert page.status_code == 200
        text = page.text
        assert "in grace until" in text and "past due" in text
        assert "N-0001" in text and "N-0002" in text
        assert 'href="https://pay.test/in_0002/pdf"' in text
        assert 'href="https://pay.test/in_0002"' in text
        timeline = text.split('data-testid="customer-timeline"')[1]
        assert timeline.index("Subscribed to club (active)") < timeline.index(
            "Invoice N-0001 paid: €49.00") < timeline.index(
            "Subscription to club is now past due")
        assert "Payment of €49.00 failed (attempt 1)" in timeline
        assert "customer.subscription" not in timeline and "invoice." not in timeline
        ours = text.split('href="/admin/billing/subscriptions/')[1].split('"')[0]
        assert ours == "sub_ada"

        sub_page = httpx.get(f"{base}/admin/billing/subscriptions/sub_ada", headers=AUTH).text
        assert "in grace until" in sub_page and "N-0002" in sub_page
        assert "Payment of €49.00 failed (attempt 1)" in sub_page
        assert 'href="/admin/billing/customers/cus_ada"' in sub_page

        bob_page = httpx.get(f"{base}/admin/billing/customers/cus_bob", headers=AUTH).text
        assert "Subscription to club ended" in bob_page and ">none<" in bob_page
        missing = httpx.get(f"{base}/admin/billing/customers/cus_nobody", headers=AUTH)
        assert missing.status_code == 404 and "No customer cus_nobody" in missing.text
        no_sub = httpx.get(f"{base}/admin/billing/subscriptions/sub_nobody", headers=AUTH)
        assert no_sub.status_code == 404 and "No subscription sub_nobody" in no_sub.text
        assert '<a href="/admin/billing" class="on">Billing</a>' in no_sub.text  # still signed in
        subs_page = httpx.get(f"{base}/admin/billing", headers=AUTH).text
        assert 'href="/admin/billing/customers/cus_ada"' in subs_page
        assert 'href="/admin/billing/customers"' in subs_page


def test_the_customers_list_pages_fifty_at_a_time(ctx: AppContext) -> None:
    with ctx.engine.begin() as conn:
        for n in range(PAGE_SIZE + 3):
            remember_customer(conn, f"c{n:03}@example.com", f"cus_{n:03}")
    with serve_pipeline(ctx) as base:
        first = httpx.get(f"{base}/admin/billing/customers", headers=AUTH).text
        second = httpx.get(f"{base}/admin/billing/customers", params={"page": "2"},
                           headers=AUTH).text
    assert first.count("@example.com</a>") == PAGE_SIZE and "Page 1 of 2" in first
    assert second.count("@example.com</a>") == 3 and "Page 2 of 2" in second
