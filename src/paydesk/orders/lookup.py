"""Which order a Stripe object names."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from paydesk.orders.payments import CheckoutSession, RefundedCharge
from paydesk.orders.tables import orders
from paydesk.store.sets import among


class UnknownOrder(LookupError):
    """The Stripe object names no order of ours (another integration's): its event is ignored,
    with this message kept as the note."""

    @classmethod
    def of_session(cls, session_id: str) -> UnknownOrder:
        return cls(f"no order of this shop for checkout session {session_id}")


def orders_for_sessions(
    conn: Connection, sessions: Sequence[CheckoutSession]
) -> list[str | None]:
    """The order of each session (same positions), or None when it names no order of ours.

    The order id our checkout put in the session's metadata, else the order that stored the
    session's id. A session whose metadata names one order while another order holds its id
    is not ours to act on (recording it would break the unique session id on every retry):
    None, decided once. Two statements whatever the number of sessions (the batch path takes
    up to a hundred)."""
    session_ids = {s.id for s in sessions}
    claimed = {s.claimed_order_id for s in sessions if s.claimed_order_id}
    owners: dict[str, str] = {}
    if session_ids:
        owners = {
            row.checkout_session_id: row.id
            for row in conn.execute(
                select(orders.c.checkout_session_id, orders.c.id)
                .where(among(conn, orders.c.checkout_session_id, session_ids))
            )
        }
    known: set[str] = set()
    if claimed:
        found = conn.execute(select(orders.c.id).where(among(conn, orders.c.id, claimed)))
        known = set(found.scalars())
    return [_order_of(s, owners, known) for s in sessions]


def _order_of(session: CheckoutSession, owners: dict[str, str], known: set[str]) -> str | None:
    owner, claimed = owners.get(session.id), session.claimed_order_id
    if claimed is None or claimed not in known:
        return owner
    return claimed if owner in (None, claimed) else None


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
