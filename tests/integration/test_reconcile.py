"""Recovery: events the inbox never got (no webhook endpoint was registered) are found with
events.list on the sandbox and run through the same pipeline."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import stripe
from sqlalchemy import select, update
from test_webhook_support import make_ctx, order_row, seed_order, seed_product, stock_of

from paydesk.context import AppContext
from paydesk.orders.tables import orders
from paydesk.reconcile.service import parse_since, reconcile
from paydesk.webhooks.tables import inbox_events


@pytest.fixture
def ctx(database_url: str, stripe_client: stripe.StripeClient) -> Iterator[AppContext]:
    context = dataclasses.replace(make_ctx(database_url), stripe=stripe_client)
    seed_product(context.engine, stock=10)
    yield context
    context.engine.dispose()


def _pay(client: stripe.StripeClient, order_id: str) -> Any:
    """Open a Checkout Session for the order and pay it on the sandbox's hosted page."""
    session = client.v1.checkout.sessions.create({
        "mode": "payment", "client_reference_id": order_id, "metadata": {"order_id": order_id},
        "success_url": "http://shop.test/payment/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/payment/cancel",
        "line_items": [{"quantity": 2, "price_data": {
            "currency": "usd", "unit_amount": 1500, "product_data": {"name": "The ebook"}}}],
    })
    page = httpx.post(session.url, data={
        "email": "buyer@example.com", "card_number": "4242 4242 4242 4242",
        "card_expiry": "12/34", "card_cvc": "123", "cardholder_name": "Buyer",
    })
    assert page.status_code == 303, page.text
    return client.v1.checkout.sessions.retrieve(session.id)


def test_missed_payment_and_refund_are_recovered_once(
    ctx: AppContext, stripe_client: stripe.StripeClient
) -> None:
    order_id = seed_order(ctx.engine, quantity=2)
    session = _pay(stripe_client, order_id)
    stripe_client.v1.refunds.create({"payment_intent": session.payment_intent, "amount": 1000})

    recovered = reconcile(ctx, timedelta(hours=1))
    types = {item["type"] for item in recovered}
    assert {"checkout.session.completed", "charge.refunded"} <= types
    order = order_row(ctx.engine, order_id)
    assert (order.status, order.amount_refunded) == ("partially_refunded", 1000)
    assert stock_of(ctx.engine) == 8
    with ctx.engine.connect() as conn:
        sources = set(conn.execute(select(inbox_events.c.source)).scalars())
        failed = conn.execute(
            select(inbox_events.c.id).where(inbox_events.c.status == "failed")
        ).all()
    assert sources == {"reconcile"} and failed == []

    assert reconcile(ctx, timedelta(hours=1)) == []  # the inbox has them all now


def test_events_the_inbox_has_are_not_run_again(
    ctx: AppContext, stripe_client: stripe.StripeClient
) -> None:
    order_id = seed_order(ctx.engine, quantity=2)
    _pay(stripe_client, order_id)
    first = reconcile(ctx, timedelta(hours=1))
    assert first and reconcile(ctx, timedelta(hours=1)) == []
    assert order_row(ctx.engine, order_id).status == "fulfilled"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("3d", 259200), ("12h", 43200), ("30m", 1800), ("90s", 90), ("1w", 604800)],
)
def test_parse_since(text: str, seconds: int) -> None:
    assert parse_since(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "3", "d", "3x", "-1d", "3 days"])
def test_parse_since_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="--since"):
        parse_since(text)


def test_reconcile_command_prints_what_it_recovered(
    ctx: AppContext, stripe_client: stripe.StripeClient, stripe_key: str, sandbox_url: str,
    database_url: str, tmp_path: Any,
) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    order_id = seed_order(ctx.engine, quantity=2)
    session = _pay(stripe_client, order_id)
    env = {**os.environ, "DATABASE_URL": database_url, "STRIPE_SECRET_KEY": stripe_key,
           "STRIPE_API_BASE": sandbox_url, "COLUMNS": "200"}
    paydesk = str(Path(sys.executable).parent / "paydesk")
    done = subprocess.run([paydesk, "reconcile", "--since", "1h"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Recovered" in done.stdout and "checkout.session.completed" in done.stdout
    assert session.id in done.stdout
    assert order_row(ctx.engine, order_id).status == "fulfilled"
    again = subprocess.run([paydesk, "reconcile", "--since", "1h"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
    assert "Nothing to recover" in again.stdout


def test_server_reconciles_on_a_schedule(
    database_url: str, stripe_client: stripe.StripeClient
) -> None:
    from test_webhook_support import serve_pipeline, wait_until

    context = dataclasses.replace(
        make_ctx(database_url, reconcile_interval_seconds=1), stripe=stripe_client
    )
    seed_product(context.engine, stock=10)
    order_id = seed_order(context.engine, quantity=2)
    _pay(stripe_client, order_id)  # no webhook endpoint: only the schedule can find it
    try:
        with serve_pipeline(context):
            wait_until(lambda: order_row(context.engine, order_id).status == "fulfilled", 15)
    finally:
        context.engine.dispose()


def test_only_handled_event_types_are_listed(
    ctx: AppContext, stripe_client: stripe.StripeClient
) -> None:
    from paydesk.webhooks.dispatch import EVENT_TYPES

    stripe_client.v1.customers.create({"email": "someone@example.com"})  # customer.created
    order_id = seed_order(ctx.engine, quantity=2)
    _pay(stripe_client, order_id)
    reconcile(ctx, timedelta(hours=1))
    with ctx.engine.connect() as conn:
        stored = set(conn.execute(select(inbox_events.c.type)).scalars())
    assert "checkout.session.completed" in stored and stored <= EVENT_TYPES


def _age(ctx: AppContext, order_id: str, session_id: str) -> None:
    """Make the order look placed long ago, through this real session."""
    with ctx.engine.begin() as conn:
        conn.execute(update(orders).where(orders.c.id == order_id).values(
            checkout_session_id=session_id, created_at=datetime.now(UTC) - timedelta(hours=2)))


def test_sweep_settles_pending_orders_whose_events_were_lost(
    ctx: AppContext, stripe_client: stripe.StripeClient
) -> None:
    """No event ever arrives (and they are older than any window): the sweep reads each stale
    pending order's session and expires or fulfils it like its event would."""
    from paydesk.reconcile.service import sweep_pending

    abandoned, paid, fresh = (seed_order(ctx.engine, quantity=2) for _ in range(3))
    assert stock_of(ctx.engine) == 4
    session = stripe_client.v1.checkout.sessions.create({
        "mode": "payment", "client_reference_id": abandoned,
        "metadata": {"order_id": abandoned},
        "success_url": "http://shop.test/ok", "cancel_url": "http://shop.test/no",
        "line_items": [{"quantity": 2, "price_data": {
            "currency": "usd", "unit_amount": 1500, "product_data": {"name": "The ebook"}}}],
    })
    stripe_client.v1.checkout.sessions.expire(session.id)
    _age(ctx, abandoned, session.id)
    _age(ctx, paid, _pay(stripe_client, paid).id)
    assert sorted(sweep_pending(ctx, now=datetime.now(UTC))) == sorted([abandoned, paid])
    assert order_row(ctx.engine, abandoned).status == "expired"
    assert order_row(ctx.engine, paid).status == "fulfilled"
    assert order_row(ctx.engine, fresh).status == "pending"  # its session may still be paid
    assert stock_of(ctx.engine) == 6  # the abandoned order's two units came back
    assert sweep_pending(ctx, now=datetime.now(UTC)) == []


def test_server_reconciles_once_at_start_up(
    database_url: str, stripe_client: stripe.StripeClient
) -> None:
    from test_webhook_support import serve_pipeline, wait_until

    context = dataclasses.replace(
        make_ctx(database_url, reconcile_interval_seconds=3600), stripe=stripe_client
    )
    seed_product(context.engine, stock=10)
    order_id = seed_order(context.engine, quantity=2)
    _pay(stripe_client, order_id)  # paid while the shop was down
    try:
        with serve_pipeline(context):
            wait_until(lambda: order_row(context.engine, order_id).status == "fulfilled", 15)
    finally:
        context.engine.dispose()


def test_sweep_releases_an_order_whose_session_stripe_no_longer_has_and_goes_on(
    ctx: AppContext, stripe_client: stripe.StripeClient
) -> None:
    """A session Stripe does not know (a wiped demo sandbox, another account) can never be
    paid: its order gives the stock back, and the orders after it are still swept."""
    from paydesk.reconcile.service import sweep_pending

    lost, abandoned = (seed_order(ctx.engine, quantity=2) for _ in range(2))
    _age(ctx, lost, "cs_test_nobody_has_this_one")
    session = stripe_client.v1.checkout.sessions.create({
        "mode": "payment", "client_reference_id": abandoned,
        "metadata": {"order_id": abandoned},
        "success_url": "http://shop.test/ok", "cancel_url": "http://shop.test/no",
        "line_items": [{"quantity": 2, "price_data": {
            "currency": "usd", "unit_amount": 1500, "product_data": {"name": "The ebook"}}}],
    })
    stripe_client.v1.checkout.sessions.expire(session.id)
    _age(ctx, abandoned, session.id)
    with ctx.engine.begin() as conn:  # the missing one is the oldest: swept first
        conn.execute(update(orders).where(orders.c.id == lost).values(
            created_at=datetime.now(UTC) - timedelta(hours=3)))
    assert stock_of(ctx.engine) == 6
    assert sorted(sweep_pending(ctx, now=datetime.now(UTC))) == sorted([lost, abandoned])
    assert order_row(ctx.engine, lost).status == "expired"
    assert order_row(ctx.engine, abandoned).status == "expired"
    assert stock_of(ctx.engine) == 10


def test_the_sweep_waits_as_long_as_checkout_session_minutes(
    ctx: AppContext, stripe_client: stripe.StripeClient
) -> None:
    from paydesk.reconcile.service import sweep_pending

    order_id = seed_order(ctx.engine, quantity=2)
    _age(ctx, order_id, "cs_test_nobody_has_this_one")  # two hours old
    patient = dataclasses.replace(
        ctx, settings=ctx.settings.model_copy(update={"checkout_session_minutes": 180})
    )
    # Its session could still be paid for an hour.
    assert sweep_pending(patient, now=datetime.now(UTC)) == []
    assert sweep_pending(ctx, now=datetime.now(UTC)) == [order_id]
