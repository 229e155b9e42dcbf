"""Orders left pending on the pay page (/pay/{order_id}): their PaymentIntent never expires by
itself, so the stale-orders sweep cancels it at Stripe after CHECKOUT_SESSION_MINUTES and the
order gives its stock back; a PaymentIntent that is processing or paid is left to the normal
path; the admin's "Release" cancels it the same way. Time is a parameter, never patched."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stripe
from sqlalchemy import update
from test_webhook_support import make_ctx, order_row, seed_product, stock_of

from paydesk.checkout.release import NotReleasable
from paydesk.checkout.service import session_lifetime
from paydesk.context import AppContext
from paydesk.orders.tables import orders
from paydesk.payments.service import create_payment
from paydesk.payments.stale import cancel_idempotency_key, release_order
from paydesk.reconcile.service import sweep_pending


@pytest.fixture
def ctx(database_url: str, stripe_client: stripe.StripeClient) -> Iterator[AppContext]:
    context = dataclasses.replace(make_ctx(database_url), stripe=stripe_client)
    seed_product(context.engine, stock=10)
    yield context
    context.engine.dispose()


def _later(ctx: AppContext, extra: timedelta = timedelta(minutes=1)) -> datetime:
    """A moment just past CHECKOUT_SESSION_MINUTES from now."""
    lifetime = session_lifetime(ctx.settings.checkout_session_minutes)
    return datetime.now(UTC) + timedelta(seconds=lifetime) + extra


def _intent_of(ctx: AppContext, client: stripe.StripeClient, order_id: str) -> Any:
    return client.v1.payment_intents.retrieve(order_row(ctx.engine, order_id).payment_intent_id)


def test_an_abandoned_pay_page_order_is_canceled_at_stripe_and_its_stock_returns(
    ctx: AppContext, stripe_client: stripe.StripeClient
) -> None:
    order_id = create_payment(ctx, [("ebook", 2)]).order_id
    assert stock_of(ctx.engine) == 8
    assert sweep_pending(ctx, now=datetime.now(UTC)) == []  # the buyer may still pay
    assert sweep_pending(ctx, now=_later(ctx, timedelta(minutes=-2))) == []
    assert order_row(ctx.engine, order_id).status == "pending"

    assert sweep_pending(ctx, now=_later(ctx)) == [order_id]
    assert order_row(ctx.engine, order_id).status == "expired"
    assert stock_of(ctx.engine) == 10
    pi = _intent_of(ctx, stripe_client, order_id)
    assert (pi.status, pi.cancellation_reason) == ("canceled", "abandoned")
    assert sweep_pending(ctx, now=_later(ctx)) == []
    assert stock_of(ctx.engine) == 10
    # The cancel carried the order's key: replaying it answers the same, where a new cancel of
    # a canceled PaymentIntent would be refused.
    again = stripe_client.v1.payment_intents.cancel(
        pi.id, {"cancellation_reason": "abandoned"},
        {"idempotency_key": cancel_idempotency_key(order_id)},
    )
    assert again.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.cancel(pi.id)


def test_a_pay_page_order_paid_without_its_event_is_fulfilled_not_canceled(
    ctx: AppContext, stripe_client: stripe.StripeClient
) -> None:
    order_id = create_payment(ctx, [("ebook", 2)]).order_id
    pi = _intent_of(ctx, stripe_client, order_id)
    stripe_client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    assert sweep_pending(ctx, now=_later(ctx)) == [order_id]
    assert order_row(ctx.engine, order_id).status == "fulfilled"
    assert _intent_of(ctx, stripe_client, order_id).status == "succeeded"
    assert stock_of(ctx.engine) == 8


def test_a_processing_payment_intent_is_left_alone(
    ctx: AppContext, stripe_client: stripe.StripeClient
) -> None:
    order_id = create_payment(ctx, [("ebook", 2)]).order_id
    pi = _intent_of(ctx, stripe_client, order_id)
    debit = stripe_client.v1.payment_methods.create({
        "type": "sepa_debit", "sepa_debit": {"iban": "DE89370400440532013000"},
        "billing_details": {"name": "Jenny Rosen", "email": "jenny@example.com"},
    })
    stripe_client.v1.payment_intents.confirm(pi.id, {
        "payment_method": debit.id,
        "mandate_data": {"customer_acceptance": {"type": "offline"}},
    })
    assert _intent_of(ctx, stripe_client, order_id).status == "processing"
    assert sweep_pending(ctx, now=_later(ctx)) == []
    assert order_row(ctx.engine, order_id).status == "pending"
    assert _intent_of(ctx, stripe_client, order_id).status == "processing"
    assert stock_of(ctx.engine) == 8


def test_a_payment_intent_stripe_no_longer_has_releases_its_order_and_the_sweep_goes_on(
    ctx: AppContext, stripe_client: stripe.StripeClient
) -> None:
    lost = create_payment(ctx, [("ebook", 2)]).order_id
    abandoned = create_payment(ctx, [("ebook", 3)]).order_id
    with ctx.engine.begin() as conn:  # the missing one is the oldest: swept first
        conn.execute(update(orders).where(orders.c.id == lost).values(
            payment_intent_id="pi_nobody_has_this_one",
            created_at=datetime.now(UTC) - timedelta(hours=1)))
    assert stock_of(ctx.engine) == 5
    assert sweep_pending(ctx, now=_later(ctx)) == [lost, abandoned]
    assert stock_of(ctx.engine) == 10


def test_checkout_orders_are_not_the_intent_sweeps_to_cancel(
    ctx: AppContext, stripe_client: stripe.StripeClient
) -> None:
    """A Checkout order that has a PaymentIntent (its session's) is settled through the session:
    the sweep never cancels that PaymentIntent itself."""
    order_id = create_payment(ctx, [("ebook", 2)]).order_id
    with ctx.engine.begin() as conn:
        conn.execute(update(orders).where(orders.c.id == order_id).values(
            checkout_session_id="cs_test_nobody_has_this_one"))
    assert sweep_pending(ctx, now=_later(ctx)) == [order_id]  # released as a lost session
    assert _intent_of(ctx, stripe_client, order_id).status == "requires_payment_method"


def test_releasing_a_pay_page_order_by_hand_cancels_its_payment_intent(
    ctx: AppContext, stripe_client: stripe.StripeClient
) -> None:
    """The admin's "Release": the stock goes back on sale only once nobody can pay the order."""
    order_id = create_payment(ctx, [("ebook", 2)]).order_id
    release_order(ctx, order_id, datetime.now(UTC))
    assert order_row(ctx.engine, order_id).status == "expired"
    assert _intent_of(ctx, stripe_client, order_id).status == "canceled"
    assert stock_of(ctx.engine) == 10
    with pytest.raises(NotReleasable, match="not pending"):
        release_order(ctx, order_id, datetime.now(UTC))


def test_a_pay_page_order_the_buyer_paid_is_not_released(
    ctx: AppContext, stripe_client: stripe.StripeClient
) -> None:
    order_id = create_payment(ctx, [("ebook", 2)]).order_id
    pi = _intent_of(ctx, stripe_client, order_id)
    stripe_client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    with pytest.raises(NotReleasable, match="went through"):
        release_order(ctx, order_id, datetime.now(UTC))
    assert order_row(ctx.engine, order_id).status == "fulfilled"
    assert stock_of(ctx.engine) == 8
