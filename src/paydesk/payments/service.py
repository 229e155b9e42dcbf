"""Orders paid with a PaymentIntent: create one per order, and fulfil it when it succeeds.

The order is priced and its stock reserved exactly as checkout does (the same functions), then
a PaymentIntent carries `metadata.order_id` and an idempotency key derived from the order.
Fulfilment goes through checkout's `fulfil_sessions`, so a PaymentIntent's order is fulfilled
exactly once whether the webhook or the buyer's return to the page gets there first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import Connection, select, update
from stripe.params import PaymentIntentCreateParams

from paydesk.checkout.cart import abandoned_if_unpaid, merge_cart, place_order
from paydesk.context import AppContext
from paydesk.core.ids import new_order_id
from paydesk.fulfilment.service import Fulfilment, fulfil_sessions
from paydesk.orders import moves
from paydesk.orders.lookup import UnknownOrder
from paydesk.orders.payments import PaymentIntent
from paydesk.orders.tables import orders

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Payment:
    order_id: str
    client_secret: str
    payment_intent_id: str


def payment_intent_idempotency_key(order_id: str) -> str:
    return f"payment_intent:{order_id}"


def create_payment(
    ctx: AppContext, items: Iterable[tuple[str, int]], email: str | None = None
) -> Payment:
    """Reserve stock for `items` and open a PaymentIntent for the order's total."""
    cart = merge_cart(items)
    order_id = new_order_id()
    with ctx.engine.begin() as conn:
        lines = place_order(conn, order_id, cart, email)
    params: PaymentIntentCreateParams = {
        "amount": sum(line.unit_amount * line.quantity for line in lines),
        "currency": lines[0].currency,
        "automatic_payment_methods": {"enabled": True},
        "metadata": {"order_id": order_id},
        "description": ", ".join(f"{line.quantity} × {line.name}" for line in lines)[:500],
    }
    if email:
        # The SDK's types no longer list this parameter; the API version we pin takes it.
        params["receipt_email"] = email  # type: ignore[typeddict-unknown-key]
    with abandoned_if_unpaid(ctx.engine, order_id, starting="a payment"):
        pi = ctx.stripe.v1.payment_intents.create(
            params, {"idempotency_key": payment_intent_idempotency_key(order_id)},
        )
    with ctx.engine.begin() as conn:
        conn.execute(
            update(orders)
            .where(orders.c.id == order_id)
            .values(payment_intent_id=pi.id, updated_at=datetime.now(UTC))
        )
    log.info("payment_intent.created", order_id=order_id, payment_intent=pi.id)
    return Payment(order_id, str(pi.client_secret), pi.id)


def order_for_intent(conn: Connection, pi: PaymentIntent) -> str | None:
    """The payment-page order this PaymentIntent pays, or None. Both ids must agree: the one
    in its metadata and the one we stored when we created it (Checkout's own PaymentIntents
    belong to orders with a session and are fulfilled through the session)."""
    if pi.claimed_order_id is None:
        return None
    row = conn.execute(
        select(orders.c.id).where(
            orders.c.id == pi.claimed_order_id,
            orders.c.payment_intent_id == pi.id,
            orders.c.checkout_session_id.is_(None),
        )
    ).first()
    return str(row.id) if row else None


def _unknown(pi: PaymentIntent) -> UnknownOrder:
    return UnknownOrder(f"no payment-page order of this shop for payment intent {pi.id}")


def fulfil_intent(
    conn: Connection, ctx: AppContext, pi: PaymentIntent, now: datetime, via: str = "webhook"
) -> Fulfilment:
    """payment_intent.succeeded (or the page's return): fulfil its order, exactly once.
    Raises UnknownOrder for a PaymentIntent that pays no payment-page order of ours."""
    if order_for_intent(conn, pi) is None:
        raise _unknown(pi)
    return fulfil_sessions(conn, ctx, [pi.as_payment()], now, via=via)


def payment_failed(conn: Connection, pi: PaymentIntent) -> str:
    """payment_intent.payment_failed: the order stays pending (the buyer may try another card);
    the reason is kept on the event for the admin. Returns that note."""
    order_id = order_for_intent(conn, pi)
    if order_id is None:
        raise _unknown(pi)
    reason = pi.failure_code or "unknown reason"
    message = pi.failure_message or "the payment failed"
    log.info("payment_intent.failed", order_id=order_id, payment_intent=pi.id, reason=reason)
    return f"order {order_id}: payment failed ({reason}): {message}"


def intent_canceled(conn: Connection, pi: PaymentIntent) -> bool:
    """payment_intent.canceled: the order can no longer be paid, so it expires and its stock
    returns (a paid order never moves back). True when this call expired the order."""
    order_id = order_for_intent(conn, pi)
    if order_id is None:
        raise _unknown(pi)
    done = moves.expire(conn, order_id, datetime.now(UTC))
    if done:
        log.info("order_expired", order_id=order_id, payment_intent=pi.id)
    return done
