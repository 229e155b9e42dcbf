"""Giving a pending order's stock back without waiting for Stripe's expiry: the admin's
"Release" button, and the sweep's answer to a session Stripe no longer has."""

from __future__ import annotations

import stripe as stripe_sdk
from sqlalchemy import Connection, select

from paydesk.context import AppContext
from paydesk.orders.model import OrderStatus
from paydesk.orders.payments import CheckoutSession
from paydesk.orders.service import expire_session
from paydesk.orders.tables import orders
from paydesk.store.engine import reading


class NotReleasable(Exception):
    """The order is not pending (paid, expired already, or unknown); the message says which."""


def release_pending(ctx: AppContext, order_id: str) -> None:
    """End the order's Checkout Session at Stripe, then expire the order and give its stock back.

    Stripe is asked first: a session the buyer completed meanwhile cannot be expired, and the
    order then stays as the payment makes it. The webhook that follows finds the order expired
    already and changes nothing."""
    with reading(ctx.engine) as conn:
        row = conn.execute(
            select(orders.c.status, orders.c.checkout_session_id).where(orders.c.id == order_id)
        ).first()
    if row is None:
        raise NotReleasable(f"No order {order_id}.")
    if row.status != OrderStatus.PENDING.value:
        raise NotReleasable(f"Order {order_id} is {row.status}, not pending: nothing to release.")
    session = _unknown_session(order_id, row.checkout_session_id or "")
    if row.checkout_session_id:
        try:
            ended = ctx.stripe.v1.checkout.sessions.expire(row.checkout_session_id).to_dict()
            session = CheckoutSession.parse(ended) or session
        except stripe_sdk.InvalidRequestError as exc:
            if exc.code != "resource_missing":
                raise NotReleasable(
                    "Stripe would not end the checkout (the buyer may be paying right now): "
                    f"{exc.user_message}"
                ) from exc
    with ctx.engine.begin() as conn:
        expire_session(conn, session)


def release_abandoned(conn: Connection, order_id: str, session_id: str) -> bool:
    """Expire a pending order whose session Stripe no longer has; True when this call did."""
    return expire_session(conn, _unknown_session(order_id, session_id))


def _unknown_session(order_id: str, session_id: str) -> CheckoutSession:
    """What the shop knows of a session it cannot read from Stripe: its id and our order."""
    return CheckoutSession(
        id=session_id, status=None, payment_status=None, claimed_order_id=order_id,
        payment_intent_id=None, email=None, amount_total=None, currency=None,
    )
