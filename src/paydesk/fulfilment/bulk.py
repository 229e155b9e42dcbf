"""Fulfilment of many paid sessions at once: the same steps as `service.fulfil_session`, as a
handful of set-based statements per batch instead of a dozen statements per order.

Exactly once still comes from the conditional UPDATE: ``… WHERE id IN (…) AND status IN (states
that may pay) RETURNING id`` hands this transaction the orders it won; the rest were paid by
someone else. The caller runs this in a savepoint and falls back to one event at a time if
anything here fails, so one bad event cannot hold back the others.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from sqlalchemy import Connection, bindparam, select, update

from paydesk.catalog.tables import products
from paydesk.checkout.model import OrderStatus, Trigger
from paydesk.checkout.tables import order_items, orders
from paydesk.context import AppContext
from paydesk.fulfilment.email import confirmation
from paydesk.fulfilment.service import PAID_SESSION, _apply_refund_status, _from, _id_of
from paydesk.fulfilment.tables import access_grants
from paydesk.notify.tables import outbox
from paydesk.ops.metrics import metrics
from paydesk.store.upsert import insert_ignore

log = structlog.get_logger()


def session_order_id(session: dict[str, Any]) -> str | None:
    """The order a session names, or None when it is not a paid session of ours (slow path)."""
    if session.get("payment_status") not in PAID_SESSION:
        return None
    order_id = (session.get("metadata") or {}).get("order_id") or session.get(
        "client_reference_id"
    )
    return order_id if isinstance(order_id, str) else None


def fulfil_sessions(conn: Connection, ctx: AppContext, sessions: list[dict[str, Any]]) -> set[str]:
    """Fulfil the orders of these paid sessions; returns the order ids this call fulfilled."""
    by_order = {session_order_id(s): s for s in sessions}
    by_order.pop(None, None)
    if not by_order:
        return set()
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
            .where(orders.c.id.in_(list(by_order)), orders.c.status.in_(_from(Trigger.PAY)))
            .values(status=OrderStatus.PAID.value, paid_at=now, updated_at=now)
            .returning(orders.c.id)
        ).scalars()
    )
    if not won:
        return won
    conn.execute(
        update(orders)
        .where(orders.c.id == bindparam("oid"))
        .values(payment_intent_id=bindparam("pi"), checkout_session_id=bindparam("cs")),
        [
            {"oid": o, "pi": _id_of(by_order[o].get("payment_intent")), "cs": by_order[o]["id"]}
            for o in won
        ],
    )
    _commit_stock(conn, won)
    rows = list(conn.execute(select(orders).where(orders.c.id.in_(won))).all())
    items = _items(conn, won)
    _grant(conn, items, now)
    _queue_emails(conn, ctx, rows, items, now)
    conn.execute(
        update(orders)
        .where(orders.c.id.in_(won), orders.c.status == OrderStatus.PAID.value)
        .values(status=OrderStatus.FULFILLED.value, fulfilled_at=now, updated_at=now)
    )
    for row in rows:
        if row.amount_refunded:
            _apply_refund_status(conn, row.id, row.amount_refunded, row.amount_total, now)
    metrics().fulfilments.labels(via="webhook").inc(len(won))
    log.info(
        "orders_fulfilled", order_ids=sorted(won),
        checkout_sessions=sorted(by_order[o]["id"] for o in won), via="webhook",
    )
    return won


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


def _items(conn: Connection, won: set[str]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(
        select(order_items.c.order_id, order_items.c.product_id, order_items.c.name,
               order_items.c.quantity, products.c.type)
        .join(products, products.c.id == order_items.c.product_id)
        .where(order_items.c.order_id.in_(won))
        .order_by(order_items.c.id)
    ):
        found[row.order_id].append(row)
    return found


def _grant(conn: Connection, items: dict[str, list[Any]], now: datetime) -> None:
    insert_ignore(conn, access_grants, [
        {"order_id": order_id, "product_id": item.product_id, "created_at": now}
        for order_id, lines in items.items() for item in lines if item.type == "digital"
    ])


def _queue_emails(
    conn: Connection, ctx: AppContext, rows: list[Any], items: dict[str, list[Any]],
    now: datetime,
) -> None:
    mails = [
        {
            "kind": "email", "dedupe_key": f"email:confirm:{order.id}",
            "payload": orjson.dumps(confirmation(ctx, order, items[order.id])).decode(),
            "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
        }
        for order in rows
        if order.email
    ]
    insert_ignore(conn, outbox, mails)
