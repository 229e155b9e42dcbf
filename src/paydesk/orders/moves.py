"""The order's moves — pay, fulfil, expire, refund — applied here and nowhere else.

Each move is one conditional UPDATE whose WHERE lists the states the transition table lets the
order leave by that trigger, so a move that is not in the table does nothing (a state never
moves backwards), and running a move twice, or from two processes at once, moves the order
once: PostgreSQL re-checks the WHERE after a concurrent winner commits; SQLite has one writer.
Every move runs inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, String, bindparam, column, func, select, update, values

from paydesk.orders.model import TRANSITIONS, OrderStatus, Trigger, next_status, refund_trigger
from paydesk.orders.payments import CheckoutSession
from paydesk.orders.stock import commit_stock, release_stock
from paydesk.orders.tables import orders
from paydesk.store.sets import among


def from_states(trigger: Trigger) -> list[str]:
    """The statuses an order may leave through `trigger`."""
    return [str(state) for (state, t) in TRANSITIONS if t == trigger]


def pay(conn: Connection, sessions: Mapping[str, CheckoutSession], now: datetime) -> set[str]:
    """Mark the orders (order id → the session that paid it) paid and keep their stock; returns
    the ones this call moved (the others were paid already, or cannot pay)."""
    if not sessions:
        return set()
    ids = sorted(sessions)
    if conn.dialect.name == "postgresql":
        # Lock the batch's orders in one order (by id), so two processes paying overlapping
        # batches queue behind each other instead of deadlocking.
        conn.execute(
            select(orders.c.id).where(among(conn, orders.c.id, ids))
            .order_by(orders.c.id).with_for_update()
        ).all()
    won = set(
        conn.execute(
            update(orders)
            .where(among(conn, orders.c.id, ids), orders.c.status.in_(from_states(Trigger.PAY)))
            .values(status=OrderStatus.PAID.value, paid_at=now, updated_at=now)
            .returning(orders.c.id)
        ).scalars()
    )
    if not won:
        return won
    # The buyer's address Stripe collected, unless checkout was given one.
    _record_payment(conn, [
        (o, sessions[o].payment_intent_id, _session_id(sessions[o]), sessions[o].email)
        for o in sorted(won)
    ])
    _commit_stock(conn, won)
    return won


def _session_id(session: CheckoutSession) -> str | None:
    # An order paid on the shop's own page is paid by its PaymentIntent (PaymentIntent.
    # as_payment), whose id is its own payment_intent_id: there is no session to record.
    return None if session.id == session.payment_intent_id else session.id


def _record_payment(
    conn: Connection, paid: list[tuple[str, str | None, str | None, str | None]]
) -> None:
    """Store (order, payment intent, session, email-if-none-yet) for each paid order."""
    t = orders.c
    if conn.dialect.name == "postgresql":
        # One UPDATE … FROM (VALUES …) instead of a statement per order: on PostgreSQL each
        # statement is a round trip (SQLite, in-process, does not support this form).
        v = values(column("oid", String), column("pi", String), column("cs", String),
                   column("em", String), name="paid").data(paid)
        conn.execute(update(orders).where(t.id == v.c.oid).values(
            payment_intent_id=v.c.pi, checkout_session_id=v.c.cs,
            email=func.coalesce(t.email, v.c.em),
        ))
        return
    conn.execute(
        update(orders).where(t.id == bindparam("oid")).values(
            payment_intent_id=bindparam("pi"), checkout_session_id=bindparam("cs"),
            email=func.coalesce(t.email, bindparam("em")),
        ),
        [{"oid": o, "pi": pi, "cs": cs, "em": em} for o, pi, cs, em in paid],
    )


def _commit_stock(conn: Connection, won: set[str]) -> None:
    # Reserved units only change their state when paid for (stock was taken at checkout), so
    # that move is one statement for the batch; the rare released order takes the slow path.
    conn.execute(
        update(orders)
        .where(among(conn, orders.c.id, won), orders.c.stock_state == "reserved")
        .values(stock_state="committed")
    )
    leftover = conn.execute(
        select(orders.c.id)
        .where(among(conn, orders.c.id, won), orders.c.stock_state != "committed")
    ).scalars()
    for order_id in leftover:
        commit_stock(conn, order_id)


def fulfil(conn: Connection, order_ids: set[str], now: datetime) -> None:
    """Paid → fulfilled (access granted and email queued by the caller, same transaction)."""
    conn.execute(
        update(orders)
        .where(among(conn, orders.c.id, order_ids),
               orders.c.status.in_(from_states(Trigger.FULFIL)))
        .values(status=OrderStatus.FULFILLED.value, fulfilled_at=now, updated_at=now)
    )


def expire(conn: Connection, order_id: str, now: datetime) -> bool:
    """A pending order expires and its stock returns; True when this call expired it."""
    done = conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.status.in_(from_states(Trigger.EXPIRE)))
        .values(status=OrderStatus.EXPIRED.value, updated_at=now)
    ).rowcount
    if done != 1:
        return False
    release_stock(conn, order_id)
    return True


def refund(conn: Connection, order_id: str, amount_refunded: int, now: datetime) -> None:
    """Keep the refunded total whatever the order's status; move the status when the machine
    allows (a refund seen before the payment is applied by `settle_refund` after fulfilment)."""
    # Refund totals only grow; an older charge.refunded arriving late must not shrink them.
    conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.amount_refunded < amount_refunded)
        .values(amount_refunded=amount_refunded, updated_at=now)
    )
    settle_refund(conn, order_id, now)


def settle_refund(conn: Connection, order_id: str, now: datetime) -> None:
    """Move the order to (partially) refunded when it has refunds and the machine allows."""
    row = conn.execute(
        select(orders.c.status, orders.c.amount_refunded, orders.c.amount_total)
        .where(orders.c.id == order_id)
    ).one()
    if row.amount_refunded <= 0:
        return
    status = OrderStatus(row.status)
    new = next_status(status, refund_trigger(row.amount_refunded, row.amount_total))
    if new is not None and new != status:
        conn.execute(
            update(orders)
            .where(orders.c.id == order_id, orders.c.status == status.value)
            .values(status=new.value, updated_at=now)
        )
