"""What a Checkout Session's end and a charge's refunds do to an order (paying is fulfilment's
entry point: it also grants access and queues the email)."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy import Connection

from paydesk.orders import moves
from paydesk.orders.lookup import UnknownOrder, order_for_charge, order_for_session
from paydesk.orders.payments import CheckoutSession, RefundedCharge

log = structlog.get_logger()


def expire_session(conn: Connection, session: CheckoutSession) -> bool:
    """checkout.session.expired / async_payment_failed: a pending order expires, stock returns.

    Never moves a paid order back; True when this call expired the order.
    """
    order_id = order_for_session(conn, session)
    if order_id is None:
        raise UnknownOrder.of_session(session.id)
    if not moves.expire(conn, order_id, datetime.now(UTC)):
        return False
    log.info("order_expired", order_id=order_id, checkout_session=session.id)
    return True


def record_refund(conn: Connection, charge: RefundedCharge) -> str:
    """charge.refunded: keep the refunded amount and move the status when the machine allows.
    Raises UnknownOrder for a charge that names no order of ours: retrying would never change
    that."""
    order_id = order_for_charge(conn, charge)
    moves.refund(conn, order_id, charge.amount_refunded, datetime.now(UTC))
    log.info("refund_recorded", order_id=order_id, charge=charge.id,
             payment_intent=charge.payment_intent_id)
    return order_id
