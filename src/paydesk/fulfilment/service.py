"""Fulfilment: pay → commit stock → grant access → queue email → fulfilled, exactly once.

Exactly once comes from the database, not from locks in this process: the conditional
``UPDATE orders SET status='paid' … WHERE status IN (states that may pay)`` succeeds for one
caller only (PostgreSQL re-checks the WHERE after the winner commits; SQLite has one writer),
and everything after it happens in the same transaction, so a crash leaves all or nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import Connection, select, update

from paydesk.catalog.tables import products
from paydesk.checkout.model import TRANSITIONS, OrderStatus, Trigger, next_status, refund_trigger
from paydesk.checkout.tables import order_items, orders
from paydesk.context import AppContext
from paydesk.fulfilment.email import confirmation
from paydesk.fulfilment.tables import access_grants
from paydesk.notify.outbox import queue_email
from paydesk.ops.metrics import metrics
from paydesk.store.upsert import insert_ignore

log = structlog.get_logger()

PAID_SESSION = frozenset({"paid", "no_payment_required"})


def _from(trigger: Trigger) -> list[str]:
    return [str(state) for (state, t) in TRANSITIONS if t == trigger]


class UnknownOrder(LookupError):
    """The Stripe object names no order of ours (another integration's, or not yet linked)."""


def _id_of(value: Any) -> str | None:
    # Stripe sends ids, or whole objects when expanded.
    if isinstance(value, dict):
        return value.get("id")
    return value if isinstance(value, str) else None


def order_for_session(conn: Connection, session: dict[str, Any]) -> str | None:
    order_id = (session.get("metadata") or {}).get("order_id") or session.get(
        "client_reference_id"
    )
    if order_id:
        found = conn.execute(select(orders.c.id).where(orders.c.id == order_id)).scalar()
        if found:
            return str(found)
    if session.get("id"):
        found = conn.execute(
            select(orders.c.id).where(orders.c.checkout_session_id == session["id"])
        ).scalar()
        return str(found) if found else None
    return None


def fulfil_checkout(ctx: AppContext, session: dict[str, Any]) -> bool:
    """Fulfil the order a paid Checkout Session belongs to; True when this call did the work.

    Safe to call any number of times, from the webhook and the success page, concurrently and
    from several processes: only one call ever returns True for an order.
    """
    raw: Any = session
    if not isinstance(raw, dict) and hasattr(raw, "to_dict"):
        session = raw.to_dict(recursive=True)  # a StripeObject straight from the SDK
    with ctx.engine.begin() as conn:
        return fulfil_session(conn, ctx, session, via="success_page")


def fulfil_session(
    conn: Connection, ctx: AppContext, session: dict[str, Any], via: str = "webhook"
) -> bool:
    """`fulfil_checkout` inside the caller's transaction (the webhook processor's)."""
    if session.get("payment_status") not in PAID_SESSION:
        return False  # e.g. an async payment still pending: async_payment_succeeded follows
    order_id = order_for_session(conn, session)
    if order_id is None:
        raise UnknownOrder(f"no order for checkout session {session.get('id')}")
    now = datetime.now(UTC)
    won = conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.status.in_(_from(Trigger.PAY)))
        .values(
            status=OrderStatus.PAID.value,
            payment_intent_id=_id_of(session.get("payment_intent")),
            checkout_session_id=session.get("id"),
            paid_at=now,
            updated_at=now,
        )
    ).rowcount
    if won != 1:
        return False  # someone else paid it (or it is refunded): nothing to do, ever
    _fulfil_paid_order(conn, ctx, order_id, now)
    metrics().fulfilments.labels(via=via).inc()
    log.info("order_fulfilled", order_id=order_id, checkout_session=session.get("id"), via=via)
    return True


def _fulfil_paid_order(conn: Connection, ctx: AppContext, order_id: str, now: datetime) -> None:
    from paydesk.checkout.service import commit_stock

    commit_stock(conn, order_id)
    digital = conn.execute(
        select(order_items.c.product_id)
        .join(products, products.c.id == order_items.c.product_id)
        .where(order_items.c.order_id == order_id, products.c.type == "digital")
    ).scalars()
    insert_ignore(
        conn,
        access_grants,
        [{"order_id": order_id, "product_id": pid, "created_at": now} for pid in digital],
    )
    order = conn.execute(select(orders).where(orders.c.id == order_id)).one()
    if order.email:
        _queue_confirmation(conn, ctx, order)
    conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.status == OrderStatus.PAID.value)
        .values(status=OrderStatus.FULFILLED.value, fulfilled_at=now, updated_at=now)
    )
    if order.amount_refunded:
        # A refund that arrived before the payment was recorded: apply it now, after fulfilment.
        _apply_refund_status(conn, order_id, order.amount_refunded, order.amount_total, now)


def _queue_confirmation(conn: Connection, ctx: AppContext, order: Any) -> None:
    items = conn.execute(
        select(order_items.c.name, order_items.c.quantity, order_items.c.product_id,
               products.c.type)
        .join(products, products.c.id == order_items.c.product_id)
        .where(order_items.c.order_id == order.id)
        .order_by(order_items.c.id)
    ).all()
    mail = confirmation(ctx, order, items)
    queue_email(conn, f"email:confirm:{order.id}", mail["to"], mail["subject"], mail["body"])


def expire_session(conn: Connection, session: dict[str, Any]) -> bool:
    """checkout.session.expired / async_payment_failed: a pending order expires, stock returns.

    Never moves a paid order back; True when this call expired the order.
    """
    order_id = order_for_session(conn, session)
    if order_id is None:
        raise UnknownOrder(f"no order for checkout session {session.get('id')}")
    now = datetime.now(UTC)
    done = conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.status.in_(_from(Trigger.EXPIRE)))
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

    Raises UnknownOrder when no order has this payment intent yet (the event is retried).
    """
    pi = _id_of(charge.get("payment_intent"))
    order_id = (charge.get("metadata") or {}).get("order_id")
    row = None
    if pi:
        row = conn.execute(select(orders.c.id).where(orders.c.payment_intent_id == pi)).first()
    if row is None and order_id:
        row = conn.execute(select(orders.c.id).where(orders.c.id == order_id)).first()
    if row is None:
        raise UnknownOrder(f"no order for payment intent {pi} (charge {charge.get('id')})")
    order_id = row.id
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
    _apply_refund_status(conn, order_id, order.amount_refunded, order.amount_total, now)
    log.info("refund_recorded", order_id=order_id, charge=charge.get("id"), payment_intent=pi)
    return str(order_id)


def _apply_refund_status(
    conn: Connection, order_id: str, refunded: int, total: int, now: datetime
) -> None:
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
