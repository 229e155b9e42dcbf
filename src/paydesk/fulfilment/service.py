"""Fulfilment: pay → commit stock → grant access → queue email → fulfilled, exactly once, for
one paid Checkout Session or a batch of them, as a handful of set-based statements per batch.

Exactly once comes from the database, not from locks in this process: `orders.moves.pay` hands
this transaction the orders it won, and everything after it happens in the same transaction, so
a crash leaves all or nothing. The webhook processor runs a batch in a savepoint and falls back
to one event at a time if anything here fails; the success page and reconcile take one session.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from sqlalchemy import Connection, select

from paydesk.catalog.tables import products
from paydesk.context import AppContext
from paydesk.core.money import format_money
from paydesk.fulfilment.email import OrderedItem, PaidOrder, confirmation
from paydesk.fulfilment.tables import access_grants
from paydesk.notify.outbox import Email, queue_emails
from paydesk.ops.metrics import metrics
from paydesk.orders import moves
from paydesk.orders.lookup import UnknownOrder, orders_for_sessions
from paydesk.orders.model import OrderStatus
from paydesk.orders.payments import CheckoutSession
from paydesk.orders.tables import order_items, orders
from paydesk.store.sets import among
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


def mismatch(session: CheckoutSession, amount_total: int, currency: str) -> str | None:
    """Why the session's payment does not pay for this order, or None when it does.

    A paid session of ours always carries its amount (our checkout is payment mode): one
    without it is held for the admin rather than fulfilled unchecked."""
    paid, paid_currency = session.amount_total, session.currency
    if paid is None:
        expected = f"{format_money(amount_total, currency)} ({currency.upper()})"
        return (
            f"payment unverified: session {session.id} carries no amount_total, so "
            f"the payment cannot be checked against the order's {expected}; kept paid, not "
            "fulfilled — check the payment in Stripe"
        )
    if paid != amount_total or (paid_currency or "").lower() != currency.lower():
        shown = format_money(paid, paid_currency or currency)
        return (
            f"payment mismatch: session {session.id} paid {shown} "
            f"({str(paid_currency).upper()}) but the order is "
            f"{format_money(amount_total, currency)} ({currency.upper()}); kept paid, "
            "not fulfilled — check the payment in Stripe"
        )
    return None


def fulfil_checkout(ctx: AppContext, session: CheckoutSession) -> bool:
    """Fulfil the order a paid Checkout Session belongs to; True when this call did the work.

    Safe to call any number of times, from the webhook and the success page, concurrently and
    from several processes: only one call ever returns True for an order.
    """
    with ctx.engine.begin() as conn:
        now = datetime.now(UTC)
        return bool(fulfil_session(conn, ctx, session, now, via="success_page").fulfilled)


def fulfil_session(
    conn: Connection, ctx: AppContext, session: CheckoutSession, now: datetime,
    via: str = "webhook",
) -> Fulfilment:
    """`fulfil_checkout` inside the caller's transaction; raises UnknownOrder for a paid
    session that names no order of ours."""
    result = fulfil_sessions(conn, ctx, [session], now, via=via)
    if result.unknown:
        raise UnknownOrder.of_session(session.id)
    return result


def fulfil_sessions(
    conn: Connection, ctx: AppContext, sessions: list[CheckoutSession], now: datetime,
    via: str = "webhook",
) -> Fulfilment:
    """Fulfil the orders of the paid sessions among `sessions` (unpaid ones are skipped), as
    of `now` (the moment the caller's transaction acts for: paid_at, fulfilled_at, grants)."""
    result = Fulfilment()
    paid = [s for s in sessions if s.paid]
    by_order: dict[str, CheckoutSession] = {}
    for session, order_id in zip(paid, orders_for_sessions(conn, paid), strict=True):
        if order_id is None:
            result.unknown.add(session.id)
        else:
            by_order[order_id] = session
            result.order_of[session.id] = order_id
    if not by_order:
        return result
    won = moves.pay(conn, by_order, now)
    rows = {
        row.id: row
        for row in conn.execute(select(orders).where(among(conn, orders.c.id, by_order)))
    }
    # Held: paid (now or earlier) with a payment that does not match. Told on every event about
    # them, so the admin sees the reason on the event that paid the order.
    for order_id, session in by_order.items():
        row = rows[order_id]
        if row.status == OrderStatus.PAID.value:
            reason = mismatch(session, row.amount_total, row.currency)
            if reason is not None:
                result.held[order_id] = reason
    result.fulfilled = won - result.held.keys()
    if result.fulfilled:
        _deliver(conn, ctx, {o: rows[o] for o in result.fulfilled}, now)
        moves.fulfil(conn, result.fulfilled, now)
        metrics().fulfilments.labels(via=via).inc(len(result.fulfilled))
        log.info(
            "orders_fulfilled", order_ids=sorted(result.fulfilled),
            checkout_sessions=sorted(by_order[o].id for o in result.fulfilled), via=via,
        )
    for order_id in sorted(won):
        if order_id in result.held:
            log.warning("order_payment_mismatch", order_id=order_id,
                        checkout_session=by_order[order_id].id, via=via,
                        reason=result.held[order_id])
        if rows[order_id].amount_refunded:
            # A refund seen before the payment: apply it now, after fulfilment.
            moves.settle_refund(conn, order_id, now)
    return result


def _deliver(
    conn: Connection, ctx: AppContext, rows: Mapping[str, PaidOrder], now: datetime
) -> None:
    """Grant the digital resources and queue the confirmation emails of these orders."""
    items = _items(conn, set(rows))
    insert_ignore(conn, access_grants, [
        {"order_id": order_id, "product_id": item.product_id, "created_at": now}
        for order_id, lines in items.items() for item in lines if item.type == "digital"
    ])
    queue_emails(conn, [
        Email(f"email:confirm:{o}", **confirmation(ctx, rows[o], items[o]))
        for o in sorted(rows) if rows[o].email
    ])


def _items(conn: Connection, order_ids: set[str]) -> dict[str, list[OrderedItem]]:
    found: dict[str, list[OrderedItem]] = defaultdict(list)
    for row in conn.execute(
        select(order_items.c.order_id, order_items.c.product_id, order_items.c.name,
               order_items.c.quantity, products.c.type)
        .join(products, products.c.id == order_items.c.product_id)
        .where(among(conn, order_items.c.order_id, order_ids))
        .order_by(order_items.c.id)
    ):
        found[row.order_id].append(row)
    return found
