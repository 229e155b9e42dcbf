"""Which order a Stripe object names."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from paydesk.orders.payments import CheckoutSession, RefundedCharge
from paydesk.orders.tables import orders


class UnknownOrder(LookupError):
    """The Stripe object names no order of ours (another integration's): its event is ignored,
    with this message kept as the note."""


def orders_for_sessions(
    conn: Connection, sessions: Sequence[CheckoutSession]
) -> list[str | None]:
    """The order of each session (same positions), or None when it names no order of ours:
    first the order id our checkout put in its metadata, else the session id we stored. Two
    statements whatever the number of sessions (the batch path takes up to a hundred)."""
    claimed = {s.claimed_order_id for s in sessions if s.claimed_order_id}
    known: set[str] = set()
    if claimed:
        known = set(conn.execute(select(orders.c.id).where(orders.c.id.in_(claimed))).scalars())
    found: list[str | None] = [
        s.claimed_order_id if s.claimed_order_id in known else None for s in sessions
    ]
    missing = {s.id for s, f in zip(sessions, found, strict=True) if f is None}
    if missing:
        by_session = {
            row.checkout_session_id: row.id
            for row in conn.execute(
                select(orders.c.checkout_session_id, orders.c.id)
                .where(orders.c.checkout_session_id.in_(missing))
            )
        }
        found = [
            f if f is not None else by_session.get(s.id)
            for s, f in zip(sessions, found, strict=True)
        ]
    return found


def order_for_session(conn: Connection, session: CheckoutSession) -> str | None:
    return orders_for_sessions(conn, [session])[0]


def order_for_charge(conn: Connection, charge: RefundedCharge) -> str:
    """Our checkout puts the order id in the PaymentIntent's metadata, which Stripe copies to
    its charges, so a charge of ours is found even before its payment is recorded. Raises
    UnknownOrder for a charge that names no order of this shop."""
    row = None
    if charge.payment_intent_id:
        row = conn.execute(
            select(orders.c.id).where(orders.c.payment_intent_id == charge.payment_intent_id)
        ).first()
    if row is None and charge.claimed_order_id:
        row = conn.execute(
            select(orders.c.id).where(orders.c.id == charge.claimed_order_id)
        ).first()
    if row is None:
        claimed = charge.claimed_order_id
        raise UnknownOrder(
            f"charge {charge.id} (payment intent {charge.payment_intent_id}) names no order of "
            "this shop"
            + (f" (metadata order_id {claimed})" if claimed else " (no order_id metadata)")
        )
    return str(row.id)
