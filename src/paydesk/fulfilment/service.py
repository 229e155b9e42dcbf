"""What Stripe's events do to an order: paid (fulfil), expired (release stock), refunded.

Fulfilment itself lives in bulk.py (one implementation for one session or a batch); this module
gives it the one-session entry points the success page and the event handlers call.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import Connection, select, update

from paydesk.context import AppContext
from paydesk.fulfilment.bulk import Fulfilment, fulfil_sessions
from paydesk.orders.lookup import (
    UnknownOrder,
    apply_refund_status,
    from_states,
    id_of,
    order_for_session,
)
from paydesk.orders.model import OrderStatus, Trigger
from paydesk.orders.tables import orders

__all__ = [
    "UnknownOrder", "expire_session", "fulfil_checkout", "fulfil_session", "order_for_session",
    "record_refund",
]

log = structlog.get_logger()


def fulfil_checkout(ctx: AppContext, session: dict[str, Any]) -> bool:
    """Fulfil the order a paid Checkout Session belongs to; True when this call did the work.

    Safe to call any number of times, from the webhook and the success page, concurrently and
    from several processes: only one call ever returns True for an order.
    """
    with ctx.engine.begin() as conn:
        return bool(fulfil_session(conn, ctx, session, via="success_page").fulfilled)


def fulfil_session(
    conn: Connection, ctx: AppContext, session: dict[str, Any], via: str = "webhook"
) -> Fulfilment:
    """`fulfil_checkout` inside the caller's transaction; raises UnknownOrder for a paid
    session that names no order of ours."""
    result = fulfil_sessions(conn, ctx, [session], via=via)
    if result.unknown:
        raise UnknownOrder(f"no order of this shop for checkout session {session.get('id')}")
    return result


def expire_session(conn: Connection, session: dict[str, Any]) -> bool:
    """checkout.session.expired / async_payment_failed: a pending order expires, stock returns.

    Never moves a paid order back; True when this call expired the order.
    """
    order_id = order_for_session(conn, session)
    if order_id is None:
        raise UnknownOrder(f"no order of this shop for checkout session {session.get('id')}")
    now = datetime.now(UTC)
    done = conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.status.in_(from_states(Trigger.EXPIRE)))
        .values(status=OrderStatus.EXPIRED.value, updated_at=now)
    ).rowcount
    if done != 1:
        return False
    from paydesk.checkout.service import release_stock

    release_stock(conn, order_id)
    log.info("order_expired", order_id=order_id, checkout_session=session.get("id"))
    return True


def record_refund(conn: Connection, charge: dict[str, Any]) -> str:
    """charge.refunded: keep the refunded amount whatever the order's status; move the status
    when the machine allows (a refund seen before the payment is applied after fulfilment).

    Our checkout puts the order id in the PaymentIntent's metadata, which Stripe copies to its
    charges, so a charge of ours is found even before its payment is recorded. Raises
    UnknownOrder for a charge that names no order of ours: retrying would never change that.
    """
    pi = id_of(charge.get("payment_intent"))
    order_id = (charge.get("metadata") or {}).get("order_id")
    row = None
    if pi:
        row = conn.execute(select(orders.c.id).where(orders.c.payment_intent_id == pi)).first()
    if row is None and isinstance(order_id, str):
        row = conn.execute(select(orders.c.id).where(orders.c.id == order_id)).first()
    if row is None:
        raise UnknownOrder(
            f"charge {charge.get('id')} (payment intent {pi}) names no order of this shop"
            + (f" (metadata order_id {order_id})" if order_id else " (no order_id metadata)")
        )
    order_id = str(row.id)
    amount = int(charge.get("amount_refunded") or 0)
    now = datetime.now(UTC)
    # Refund totals only grow; an older charge.refunded arriving late must not shrink them.
    conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.amount_refunded < amount)
        .values(amount_refunded=amount, updated_at=now)
    )
    order = conn.execute(
        select(orders.c.amount_refunded, orders.c.amount_total).where(orders.c.id == order_id)
    ).one()
    apply_refund_status(conn, order_id, order.amount_refunded, order.amount_total, now)
    log.info("refund_recorded", order_id=order_id, charge=charge.get("id"), payment_intent=pi)
    return order_id
