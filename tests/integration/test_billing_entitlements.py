"""Entitlements follow verified events through the inbox, and GET /api/entitlements/{email}
answers from the local record (on SQLite and PostgreSQL, over real HTTP)."""

from __future__ import annotations

import time

import httpx
from billing_support import FEB, JAN, MAR, invoice_obj, seed_customer, seed_plan, sub_obj
from test_webhook_support import (
    ADMIN_TOKEN,
    dedupe_keys,
    deliver,
    event,
    post,
    serve_pipeline,
    signed,
)

from paydesk.billing.tables import subscriptions
from paydesk.context import AppContext

EMAIL = "ada@example.com"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _entitlement(base: str, email: str = EMAIL) -> httpx.Response:
    return httpx.get(f"{base}/api/entitlements/{email}", headers=AUTH)


def test_access_follows_payment_through_grace_suspension_and_recovery(ctx: AppContext) -> None:
    seed_plan(ctx.engine)
    seed_customer(ctx.engine, EMAIL, "cus_ada")
    t = int(time.time())
    with serve_pipeline(ctx) as base:
        assert _entitlement(base).status_code == 404  # never subscribed
        deliver(ctx, base, event("customer.subscription.created",
                                 sub_obj("sub_1", "cus_ada", "active", JAN), created=t))
        body = _entitlement(base).json()
        assert body == {"email": EMAIL, "access": True, "plan_id": "club", "status": "active",
                        "current_period_end": "2027-01-01T00:00:00Z", "grace_until": None}

        failed = event("invoice.payment_failed",
                       invoice_obj("in_0001", "cus_ada", "sub_1", "open", 1), created=t + 1)
        deliver(ctx, base, event("customer.subscription.updated",
                                 sub_obj("sub_1", "cus_ada", "past_due", JAN), created=t + 1))
        deliver(ctx, base, failed)
        assert post(base, *signed(failed)).status_code == 200  # the same attempt again
        body = _entitlement(base).json()
        assert body["status"] == "past_due" and body["access"] is True
        assert body["grace_until"] is not None
        assert dedupe_keys(ctx.engine).count("email:dunning:in_0001:1") == 1

        deliver(ctx, base, event("invoice.payment_failed",
                                 invoice_obj("in_0001", "cus_ada", "sub_1", "open", 2),
                                 created=t + 2))
        deliver(ctx, base, event("customer.subscription.updated",
                                 sub_obj("sub_1", "cus_ada", "unpaid", JAN), created=t + 3))
        body = _entitlement(base).json()
        assert body["status"] == "unpaid" and body["access"] is False
        assert body["grace_until"] is None

        deliver(ctx, base, event("customer.subscription.updated",
                                 sub_obj("sub_1", "cus_ada", "active", FEB), created=t + 4))
        deliver(ctx, base, event("invoice.paid",
                                 invoice_obj("in_0001", "cus_ada", "sub_1", "paid", 3),
                                 created=t + 4))
        body = _entitlement(base).json()
        assert body["access"] is True and body["current_period_end"] == "2027-02-01T00:00:00Z"
    keys = dedupe_keys(ctx.engine)
    assert "email:dunning:in_0001:2" in keys
    assert any(k.startswith("email:suspended:sub_1:") for k in keys)
    assert "email:recovered:in_0001" in keys


def test_an_event_from_an_earlier_period_never_moves_the_record_back(ctx: AppContext) -> None:
    seed_plan(ctx.engine)
    seed_customer(ctx.engine, EMAIL, "cus_ada")
    t = int(time.time())
    with serve_pipeline(ctx) as base:
        deliver(ctx, base, event("customer.subscription.updated",
                                 sub_obj("sub_1", "cus_ada", "active", MAR), created=t))
        deliver(ctx, base, event("customer.subscription.created",
                                 sub_obj("sub_1", "cus_ada", "incomplete", JAN), created=t - 5))
        deliver(ctx, base, event("customer.subscription.updated",
                                 sub_obj("sub_1", "cus_ada", "past_due", FEB), created=t - 1))
        body = _entitlement(base).json()
    assert body["status"] == "active" and body["current_period_end"] == "2027-03-01T00:00:00Z"


def test_the_best_subscription_of_an_email_answers(ctx: AppContext) -> None:
    seed_plan(ctx.engine)
    seed_customer(ctx.engine, EMAIL, "cus_ada")
    t = int(time.time())
    with serve_pipeline(ctx) as base:
        deliver(ctx, base, event("customer.subscription.deleted",
                                 sub_obj("sub_old", "cus_ada", "canceled", MAR), created=t))
        deliver(ctx, base, event("customer.subscription.created",
                                 sub_obj("sub_new", "cus_ada", "trialing", FEB), created=t))
        body = _entitlement(base).json()
        assert body["status"] == "trialing" and body["access"] is True
        # The email is matched whatever its case in the URL.
        assert _entitlement(base, "ADA@Example.com").json()["status"] == "trialing"


def test_subscriptions_of_other_products_are_ignored(ctx: AppContext) -> None:
    seed_plan(ctx.engine)
    seed_customer(ctx.engine, EMAIL, "cus_ada")
    with serve_pipeline(ctx) as base:
        deliver(ctx, base, event("customer.subscription.created",
                                 sub_obj("sub_x", "cus_ada", "active", price_id="price_other")))
        assert _entitlement(base).status_code == 404


def test_the_entitlements_api_needs_the_admin_token(ctx: AppContext) -> None:
    with serve_pipeline(ctx) as base:
        url = f"{base}/api/entitlements/{EMAIL}"
        refused = httpx.get(url)
        assert refused.status_code == 401
        assert refused.headers["x-content-type-options"] == "nosniff"
        assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.post(url, headers=AUTH).status_code == 405
        bad = httpx.get(f"{base}/api/entitlements/not-an-email", headers=AUTH)
        assert bad.status_code == 400 and "email" in bad.json()["detail"]


def test_the_entitlements_api_answers_503_when_the_database_fails(ctx: AppContext) -> None:
    """The route sits in front of the framework's error page, so it answers its own failures."""
    with serve_pipeline(ctx) as base:
        subscriptions.drop(ctx.engine)  # the database refuses the read
        response = httpx.get(f"{base}/api/entitlements/{EMAIL}", headers=AUTH)
    assert response.status_code == 503
    assert "database" in response.json()["detail"]
