"""Which order a Stripe object names, and the small state-machine helpers every fulfilment
step shares (the single and the batch paths, expiry and refunds)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from paydesk.orders.model import TRANSITIONS, OrderStatus, Trigger, next_status, refund_trigger
from paydesk.orders.tables import orders

PAID_SESSION = frozenset({"paid", "no_payment_required"})


class UnknownOrder(LookupError):
    """The Stripe object names no order of ours (another integration's): its event is ignored,
    with this message kept as the note."""


def from_states(trigger: Trigger) -> list[str]:
    """The statuses an order may leave through `trigger`."""
    return [str(state) for (state, t) in TRANSITIONS if t == trigger]


def id_of(value: Any) -> str | None:
    # Stripe sends ids, or whole objects when expanded.
    if isinstance(value, dict):
        return value.get("id")
    return value if isinstance(value, str) else None


def _claimed(session: dict[str, Any]) -> str | None:
    order_id = (session.get("metadata") or {}).get("order_id") or session.get(
        "client_reference_id"
    )
    return order_id if isinstance(order_id, str) else None


def orders_for_sessions(
    conn: Connection, sessions: Sequence[dict[str, Any]]
) -> list[str | None]:
    """The order of each session (same positions), or None when it names no order of ours:
    first the order id our checkout put in its metadata, else the session id we stored. Two
    statements whatever the number of sessions (the batch path takes up to a hundred)."""
    claimed = {c for c in map(_claimed, sessions) if c}
    known: set[str] = set()
    if claimed:
        known = set(conn.execute(select(orders.c.id).where(orders.c.id.in_(claimed))).scalars())
    found: list[str | None] = [c if c in known else None for c in map(_claimed, sessions)]
    missing = {
        s["id"] for s, f in zip(sessions, found, strict=True)
        if f is None and isinstance(s.get("id"), str)
    }
    if missing:
        by_session = {
            row.checkout_session_id: row.id
            for row in conn.execute(
                select(orders.c.checkout_session_id, orders.c.id)
                .where(orders.c.checkout_session_id.in_(missing))
            )
        }
        found = [
            f if f is not None else by_session.get(s.get("id"))
            for s, f in zip(sessions, found, strict=True)
        ]
    return found


def order_for_session(conn: Connection, session: dict[str, Any]) -> str | None:
    return orders_for_sessions(conn, [session])[0]


def apply_refund_status(
    conn: Connection, order_id: str, refunded: int, total: int, now: datetime
) -> None:
    """Move the order to (partially) refunded when the state machine allows it."""
    if refunded <= 0:
        return
    status = OrderStatus(
        conn.execute(select(orders.c.status).where(orders.c.id == order_id)).scalar_one()
    )
    new = next_status(status, refund_trigger(refunded, total))
    if new is not None and new != status:
        conn.execute(
            update(orders)
            .where(orders.c.id == order_id, orders.c.status == status.value)
            .values(status=new.value, updated_at=now)
        )
