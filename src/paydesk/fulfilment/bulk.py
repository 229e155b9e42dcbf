"""Fulfilment: pay → commit stock → grant access → queue email → fulfilled, exactly once, for
one paid Checkout Session or a batch of them, as a handful of set-based statements per batch.

Exactly once comes from the database, not from locks in this process: the conditional
``UPDATE orders SET status='paid' … WHERE id IN (…) AND status IN (states that may pay)
RETURNING id`` hands this transaction the orders it won (PostgreSQL re-checks the WHERE after a
concurrent winner commits; SQLite has one writer), and everything after it happens in the same
transaction, so a crash leaves all or nothing. The webhook processor runs a batch in a
savepoint and falls back to one event at a time if anything here fails.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import Connection, bindparam, func, select, update

from paydesk.catalog.tables import products
from paydesk.checkout.model import OrderStatus, Trigger
from paydesk.checkout.tables import order_items, orders
from paydesk.context import AppContext
from paydesk.core.money import format_money
from paydesk.fulfilment.email import confirmation
from paydesk.fulfilment.lookup import (
    PAID_SESSION,
    apply_refund_status,
    from_states,
    id_of,
    orders_for_sessions,
)
from paydesk.fulfilment.tables import access_grants
from paydesk.notify.outbox import Email, queue_emails
from paydesk.ops.metrics import metrics
from paydesk.store.upsert import insert_ignore

log = structlog.get_logger()


@dataclass
class Fulfilment:
    """What one call did with its sessions."""

    fulfilled: set[str] = field(default_factory=set)  # order ids this call fulfilled
    # Paid orders kept from fulfilment (the payment does not match the order) → why.
    held: dict[str, str] = field(default_factory=dict)
    order_of: dict[str, str] = field(default_factory=dict)  # session id → order id
    unknown: set[str] = field(default_factory=set)  # paid session ids naming no order of ours


def _customer_email(session: dict[str, Any]) -> str | None:
    email = (session.get("customer_details") or {}).get("email")
    return email if isinstance(email, str) and email else None


def _session_id(paid: dict[str, Any]) -> str | None:
    # A PaymentIntent paid on the shop's own page (payments.service.as_payment) has no session.
    return paid["id"] if paid.get("object", "checkout.session") == "checkout.session" else None


def mismatch(session: dict[str, Any], amount_total: int, currency: str) -> str | None:
    """Why the session's payment does not pay for this order, or None when it does. A session
    without an amount (none is sent for setup-mode sessions) is not checked."""
    paid, paid_currency = session.get("amount_total"), session.get("currency")
    if paid is None:
        return None
    if int(paid) != amount_total or str(paid_currency or "").lower() != currency.lower():
        shown = format_money(int(paid), str(paid_currency or currency))
        return (
            f"payment mismatch: session {session.get('id')} paid {shown} "
            f"({str(paid_currency).upper()}) but the order is "
            f"{format_money(amount_total, currency)} ({currency.upper()}); kept paid, "
            "not fulfilled — check the payment in Stripe"
        )
    return None


def fulfil_sessions(
    conn: Connection, ctx: AppContext, sessions: list[dict[str, Any]], via: str = "webhook"
) -> Fulfilment:
    """Fulfil the orders of the paid sessions among `sessions` (unpaid ones are skipped)."""
    result = Fulfilment()
    paid = [s for s in sessions if s.get("payment_status") in PAID_SESSION]
    by_order: dict[str, dict[str, Any]] = {}
    for session, order_id in zip(paid, orders_for_sessions(conn, paid), strict=True):
        if order_id is None:
            result.unknown.add(str(session.get("id")))
        else:
            by_order[order_id] = session
            result.order_of[str(session.get("id"))] = order_id
    if not by_order:
        return result
    now = datetime.now(UTC)
    if conn.dialect.name == "postgresql":
        # Lock the batch's orders in one order (by id), so two processes fulfilling
        # overlapping batches queue behind each other instead of deadlocking.
        conn.execute(
            select(orders.c.id).where(orders.c.id.in_(list(by_order)))
            .order_by(orders.c.id).with_for_update()
        ).all()
    won = set(
        conn.execute(
            update(orders)
            .where(orders.c.id.in_(list(by_order)), orders.c.status.in_(from_states(Trigger.PAY)))
            .values(status=OrderStatus.PAID.value, paid_at=now, updated_at=now)
            .returning(orders.c.id)
        ).scalars()
    )
    if won:
        # The buyer's address Stripe collected, unless checkout was given one.
        conn.execute(
            update(orders)
            .where(orders.c.id == bindparam("oid"))
            .values(
                payment_intent_id=bindparam("pi"), checkout_session_id=bindparam("cs"),
                email=func.coalesce(orders.c.email, bindparam("em")),
            ),
            [
                {"oid": o, "pi": id_of(by_order[o].get("payment_intent")),
                 "cs": _session_id(by_order[o]), "em": _customer_email(by_order[o])}
                for o in won
            ],
        )
    rows = {
        row.id: row
        for row in conn.execute(select(orders).where(orders.c.id.in_(list(by_order))))
    }
    # Held: paid (now or earlier) with a payment that does not match. Told on every event about
    # them, so the admin sees the reason on the event that paid the order.
    for order_id, session in by_order.items():
        row = rows[order_id]
        if row.status == OrderStatus.PAID.value:
            reason = mismatch(session, row.amount_total, row.currency)
            if reason is not None:
                result.held[order_id] = reason
    if not won:
        return result
    _commit_stock(conn, won)
    fulfil = won - result.held.keys()
    if fulfil:
        items = _items(conn, fulfil)
        _grant(conn, items, now)
        queue_emails(conn, [
            Email(f"email:confirm:{o}", **confirmation(ctx, rows[o], items[o]))
            for o in sorted(fulfil) if rows[o].email
        ])
        conn.execute(
            update(orders)
            .where(orders.c.id.in_(fulfil), orders.c.status == OrderStatus.PAID.value)
            .values(status=OrderStatus.FULFILLED.value, fulfilled_at=now, updated_at=now)
        )
        metrics().fulfilments.labels(via=via).inc(len(fulfil))
        log.info(
            "orders_fulfilled", order_ids=sorted(fulfil),
            checkout_sessions=sorted(by_order[o]["id"] for o in fulfil), via=via,
        )
    for order_id in sorted(won):
        if order_id in result.held:
            log.warning("order_payment_mismatch", order_id=order_id,
                        checkout_session=by_order[order_id].get("id"), via=via,
                        reason=result.held[order_id])
        row = rows[order_id]
        if row.amount_refunded:
            # A refund seen before the payment: apply it now, after fulfilment.
            apply_refund_status(conn, order_id, row.amount_refunded, row.amount_total, now)
    result.fulfilled = fulfil
    return result


def _commit_stock(conn: Connection, won: set[str]) -> None:
    from paydesk.checkout.service import commit_stock

    # Reserved units only change their state when paid for (stock was taken at checkout), so
    # that move is one statement for the batch; the rare released order takes checkout's path.
    conn.execute(
        update(orders)
        .where(orders.c.id.in_(won), orders.c.stock_state == "reserved")
        .values(stock_state="committed")
    )
    leftover = conn.execute(
        select(orders.c.id).where(orders.c.id.in_(won), orders.c.stock_state != "committed")
    ).scalars()
    for order_id in leftover:
        commit_stock(conn, order_id)


def _items(conn: Connection, order_ids: set[str]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(
        select(order_items.c.order_id, order_items.c.product_id, order_items.c.name,
               order_items.c.quantity, products.c.type)
        .join(products, products.c.id == order_items.c.product_id)
        .where(order_items.c.order_id.in_(order_ids))
        .order_by(order_items.c.id)
    ):
        found[row.order_id].append(row)
    return found


def _grant(conn: Connection, items: dict[str, list[Any]], now: datetime) -> None:
    insert_ignore(conn, access_grants, [
        {"order_id": order_id, "product_id": item.product_id, "created_at": now}
        for order_id, lines in items.items() for item in lines if item.type == "digital"
    ])
