"""The Stripe customer of an email: the one this shop made, else one Stripe already has, else a
new one, created once (idempotency key from our own id) and, in sandbox mode, on a test clock
of its own so its time can be moved forward."""

from __future__ import annotations

import time

import stripe as stripe_sdk
from sqlalchemy import update

from paydesk.billing import records
from paydesk.billing.tables import billing_customers
from paydesk.context import AppContext
from paydesk.store.engine import reading


def ensure_customer(ctx: AppContext, email: str) -> str:
    email = email.lower()
    with reading(ctx.engine) as conn:
        row = records.customer_by_email(conn, email)
    if row is not None and row["stripe_customer_id"] and _exists(ctx, row["stripe_customer_id"]):
        return str(row["stripe_customer_id"])
    found = ctx.stripe.v1.customers.list({"email": email, "limit": 1})
    if found.data and row is None:
        with ctx.engine.begin() as conn:
            records.remember_customer(conn, email, found.data[0].id)
        return str(found.data[0].id)
    our_id = _our_id(ctx, email) if row is None else str(row["id"])
    return _create(ctx, our_id, email)


def _exists(ctx: AppContext, customer_id: str) -> bool:
    try:
        customer = ctx.stripe.v1.customers.retrieve(customer_id)
    except stripe_sdk.InvalidRequestError:
        return False  # gone from this account (a fresh sandbox): make it again
    return not getattr(customer, "deleted", False)


def _our_id(ctx: AppContext, email: str) -> str:
    with ctx.engine.begin() as conn:
        records.remember_customer(conn, email, None)
        row = records.customer_by_email(conn, email)
    assert row is not None
    return str(row["id"])


def _create(ctx: AppContext, our_id: str, email: str) -> str:
    params: dict[str, object] = {"email": email, "metadata": {"paydesk_customer_id": our_id}}
    clock_id = None
    if ctx.test_clocks:
        clock = ctx.stripe.v1.test_helpers.test_clocks.create(
            {"frozen_time": int(time.time()), "name": email[:100]},
            {"idempotency_key": f"clock:{our_id}"},
        )
        clock_id = clock.id
        params["test_clock"] = clock_id
    customer = ctx.stripe.v1.customers.create(
        params,  # type: ignore[arg-type]
        {"idempotency_key": f"customer:{our_id}"},
    )
    with ctx.engine.begin() as conn:
        conn.execute(
            update(billing_customers).where(billing_customers.c.id == our_id)
            .values(stripe_customer_id=customer.id, test_clock_id=clock_id)
        )
    return str(customer.id)
