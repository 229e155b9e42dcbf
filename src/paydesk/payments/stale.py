"""Pay-page orders nobody paid. A Checkout Session expires by itself; a PaymentIntent never does,
so after CHECKOUT_SESSION_MINUTES the sweep cancels it at Stripe and the order expires, giving
its stock back. A PaymentIntent that is processing or paid is left to Stripe and the normal path.
"""

from __future__ import annotations

from datetime import datetime

import stripe as stripe_sdk
import structlog
from sqlalchemy import select

from paydesk.checkout.release import NotReleasable, release_pending
from paydesk.context import AppContext
from paydesk.orders import moves
from paydesk.orders.lookup import UnknownOrder
from paydesk.orders.model import OrderStatus
from paydesk.orders.payments import PaymentIntent
from paydesk.orders.tables import orders
from paydesk.payments.service import fulfil_intent
from paydesk.store.engine import reading
from paydesk.store.gate import WriteGate

log = structlog.get_logger(__name__)

# Stripe cancels a PaymentIntent in these statuses without touching money. `requires_capture`
# is left alone: the buyer authorised a payment, and dropping it is the shop owner's call.
CANCELABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def cancel_idempotency_key(order_id: str) -> str:
    return f"payment_intent_cancel:{order_id}"


def settle_stale_intent(
    ctx: AppContext, gate: WriteGate, order_id: str, pi_id: str, now: datetime
) -> bool:
    """Cancel the order's unpaid PaymentIntent and expire the order (or fulfil it when Stripe
    says it was paid after all). True when this call moved the order."""
    pi = _read(ctx, pi_id)
    if pi is not None and pi.status in CANCELABLE:
        pi = _cancel(ctx, order_id, pi_id)
    with gate.hold(), ctx.engine.begin() as conn:
        if pi is None or pi.status == "canceled":
            # No such PaymentIntent (a wiped sandbox, another account) cannot be paid either.
            done = moves.expire(conn, order_id, now)
            if done:
                log.info("order_expired", order_id=order_id, payment_intent=pi_id,
                         reason="payment intent abandoned")
            return done
        if pi.status == "succeeded":
            try:
                return bool(fulfil_intent(conn, ctx, pi, now, via="reconcile").fulfilled)
            except UnknownOrder:
                log.warning("stale_intent_not_ours", order_id=order_id, payment_intent=pi_id)
    return False


def release_order(ctx: AppContext, order_id: str, now: datetime) -> None:
    """The admin's "Release" button: a Checkout order's session is ended (checkout/release.py);
    a pay-page order's PaymentIntent is canceled first, so nobody can pay an order whose stock
    went back on sale. Raises NotReleasable when the order is not pending or the buyer paid."""
    with reading(ctx.engine) as conn:
        row = conn.execute(
            select(orders.c.status, orders.c.checkout_session_id, orders.c.payment_intent_id)
            .where(orders.c.id == order_id)
        ).first()
    if row is None or row.checkout_session_id or not row.payment_intent_id or (
        row.status != OrderStatus.PENDING.value
    ):
        release_pending(ctx, order_id)  # ends the session, or says why nothing is released
        return
    settle_stale_intent(ctx, WriteGate(ctx.engine), order_id, row.payment_intent_id, now)
    with reading(ctx.engine) as conn:
        status = conn.execute(select(orders.c.status).where(orders.c.id == order_id)).scalar()
    if status != OrderStatus.EXPIRED.value:
        raise NotReleasable(
            f"The buyer's payment for order {order_id} is processing or went through "
            f"(the order is {status}): nothing to release."
        )


def _read(ctx: AppContext, pi_id: str) -> PaymentIntent | None:
    try:
        found = ctx.stripe.v1.payment_intents.retrieve(pi_id).to_dict()
    except stripe_sdk.InvalidRequestError as exc:
        if exc.code != "resource_missing":
            raise
        return None
    return PaymentIntent.parse(found)


def _cancel(ctx: AppContext, order_id: str, pi_id: str) -> PaymentIntent | None:
    """Cancel at Stripe; when the buyer paid in the meantime, the PaymentIntent as it is now."""
    try:
        canceled = ctx.stripe.v1.payment_intents.cancel(
            pi_id,
            {"cancellation_reason": "abandoned"},
            {"idempotency_key": cancel_idempotency_key(order_id)},
        ).to_dict()
    except stripe_sdk.InvalidRequestError as exc:
        if exc.code != "payment_intent_unexpected_state":
            raise
        return _read(ctx, pi_id)
    return PaymentIntent.parse(canceled)
