"""Giving a pending order's stock back without waiting for Stripe's expiry: the admin's
"Release" button, and the sweep's answer to a session Stripe no longer has."""

from __future__ import annotations

import stripe as stripe_sdk
from sqlalchemy import Connection, select

from paydesk.checkout.model import OrderStatus
from paydesk.checkout.tables import orders
from paydesk.context import AppContext
from paydesk.fulfilment.service import expire_session


class NotReleasable(Exception):
    """The order is not pending (paid, expired already, or unknown); the message says which."""


def release_pending(ctx: AppContext, order_id: str) -> None:
    """End the order's Checkout Session at Stripe, then expire the order and give its stock back.

    Stripe is asked first: a session the buyer completed meanwhile cannot be expired, and the
    order then stays as the payment makes it. The webhook that follows finds the order expired
    already and changes nothing."""
    with ctx.engine.connect() as conn:
        row = conn.execute(
            select(orders.c.status, orders.c.checkout_session_id).where(orders.c.id == order_id)
        ).first()
    if row is None:
        raise NotReleasable(f"No order {order_id}.")
    if row.status != OrderStatus.PENDING.value:
        raise NotReleasable(f"Order {order_id} is {row.status}, not pending: nothing to release.")
    session = {"id": row.checkout_session_id, "metadata": {"order_id": order_id}}
    if row.checkout_session_id:
        try:
            session = ctx.stripe.v1.checkout.sessions.expire(row.checkout_session_id).to_dict()
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
    return expire_session(conn, {"id": session_id, "metadata": {"order_id": order_id}})
