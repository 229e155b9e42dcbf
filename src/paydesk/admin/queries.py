"""Read-only queries behind the admin pages (SQLAlchemy Core; plain dicts for the templates)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, or_, select

from paydesk.admin.timeline import timeline
from paydesk.catalog.tables import products
from paydesk.core.money import format_money
from paydesk.notify.tables import mailbox, outbox
from paydesk.orders.model import PAID_STATUSES, OrderStatus
from paydesk.orders.tables import order_items, orders
from paydesk.store.engine import aware
from paydesk.webhooks.tables import EVENT_STATUSES as EVENT_STATUSES  # the admin filter lists them
from paydesk.webhooks.tables import inbox_events

ORDER_STATUSES = tuple(str(status) for status in OrderStatus)
OUTBOX_STATUSES = ("pending", "sent", "dead")
LOW_STOCK = 5
PAGE_SIZE = 50


def _counts(conn: Connection, column: Any, keys: tuple[str, ...]) -> dict[str, int]:
    rows = conn.execute(select(column, func.count()).group_by(column)).all()
    found: dict[Any, Any] = {row[0]: row[1] for row in rows}
    return {key: int(found.get(key, 0)) for key in keys} | {
        str(k): int(v) for k, v in found.items() if k not in keys
    }


def overview(conn: Connection, now: datetime) -> dict[str, Any]:
    o, e = orders.c, inbox_events.c
    revenue_rows = conn.execute(
        select(o.currency, func.sum(o.amount_total), func.sum(o.amount_refunded), func.count())
        .where(o.status.in_(sorted(PAID_STATUSES)))
        .group_by(o.currency)
        .order_by(o.currency)
    ).all()
    revenue = [
        {
            "currency": cur.upper(), "gross": format_money(int(gross), cur),
            "refunded": format_money(int(refunded or 0), cur),
            "net": format_money(int(gross) - int(refunded or 0), cur), "orders": int(n),
        }
        for cur, gross, refunded, n in revenue_rows
    ]
    oldest = conn.execute(
        select(func.min(e.received_at)).where(e.status.in_(("received", "failed")))
    ).scalar()
    oldest = aware(oldest)
    low = conn.execute(
        select(products.c.id, products.c.name, products.c.stock)
        .where(products.c.stock.is_not(None), products.c.stock <= LOW_STOCK,
               products.c.active.is_(True))
        .order_by(products.c.stock, products.c.id)
    ).all()
    return {
        "orders": _counts(conn, o.status, ORDER_STATUSES),
        "revenue": revenue,
        "events": _counts(conn, e.status, EVENT_STATUSES),
        "oldest_unprocessed": (now - oldest) if oldest else None,
        "outbox": _counts(conn, outbox.c.status, OUTBOX_STATUSES),
        "low_stock": [{"id": r.id, "name": r.name, "stock": r.stock} for r in low],
    }


def _order_summary(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "status": row.status, "email": row.email,
        "total": format_money(row.amount_total, row.currency),
        "refunded": format_money(row.amount_refunded, row.currency)
        if row.amount_refunded else None,
        "created_at": aware(row.created_at),
    }


def list_orders(
    conn: Connection, status: str | None, page: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of orders, newest first, and how many match in all."""
    where = [orders.c.status == status] if status else []
    total = int(conn.execute(select(func.count()).select_from(orders).where(*where)).scalar_one())
    rows = conn.execute(
        select(orders).where(*where)
        .order_by(orders.c.created_at.desc(), orders.c.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return [_order_summary(r) for r in rows], total


def order_detail(conn: Connection, order_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(orders).where(orders.c.id == order_id)).one_or_none()
    if row is None:
        return None
    cur = row.currency
    items = [
        {"name": i.name, "product_id": i.product_id, "quantity": i.quantity,
         "unit": format_money(i.unit_amount, cur),
         "line": format_money(i.unit_amount * i.quantity, cur)}
        for i in conn.execute(
            select(order_items).where(order_items.c.order_id == order_id)
            .order_by(order_items.c.id)
        ).all()
    ]
    events = _order_events(conn, row)
    emails = _order_emails(conn, order_id)
    return _order_summary(row) | {
        "currency": cur.upper(), "stock_state": row.stock_state,
        "session_id": row.checkout_session_id, "payment_intent_id": row.payment_intent_id,
        # Nothing was received until the order is paid: a pending order has no net.
        "net": format_money(row.amount_total - row.amount_refunded, cur) if row.paid_at else None,
        "items": items, "events": events, "emails": emails,
        "timeline": timeline(conn, row, [e["id"] for e in events]),
    }


def _order_events(conn: Connection, order: Any) -> list[dict[str, Any]]:
    """Inbox events about this order: by object id, or naming the order or its payment."""
    e = inbox_events.c
    keys = [k for k in (order.checkout_session_id, order.payment_intent_id) if k]
    match: list[ColumnElement[bool]] = [e.object_id.in_(keys)] if keys else []
    # Charges and refunds point at the order through its payment intent inside the payload.
    match += [e.payload.contains(k, autoescape=True) for k in [order.id, *keys]]
    rows = conn.execute(
        select(e.id, e.type, e.status, e.attempts, e.received_at, e.stripe_created)
        .where(or_(*match))
        .order_by(e.stripe_created, e.received_at)
        .limit(200)
    ).all()
    return [_event_summary(r) for r in rows]


def _order_emails(conn: Connection, order_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(outbox, mailbox.c.id.label("mailbox_id"))
        .outerjoin(mailbox, mailbox.c.outbox_id == outbox.c.id)
        .where(outbox.c.dedupe_key.contains(order_id, autoescape=True))
        .order_by(outbox.c.id)
    ).all()
    emails = []
    for r in rows:
        payload = _loads(r.payload)
        emails.append({
            "to": payload.get("to"), "subject": payload.get("subject"), "status": r.status,
            "attempts": r.attempts, "created_at": aware(r.created_at),
            "sent_at": aware(r.sent_at), "last_error": r.last_error,
            "in_mailbox": r.mailbox_id is not None,
        })
    return emails


def _event_summary(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "type": row.type, "status": row.status, "attempts": row.attempts,
        "received_at": aware(row.received_at),
        "stripe_created": datetime.fromtimestamp(row.stripe_created, UTC),
    }


def list_events(
    conn: Connection, status: str | None, event_type: str | None, page: int
) -> tuple[list[dict[str, Any]], int]:
    e = inbox_events.c
    where = []
    if status:
        where.append(e.status == status)
    if event_type:
        where.append(e.type == event_type)
    total = int(conn.execute(
        select(func.count()).select_from(inbox_events).where(*where)
    ).scalar_one())
    rows = conn.execute(
        select(e.id, e.type, e.status, e.attempts, e.received_at, e.stripe_created,
               e.last_error, e.object_id, e.next_attempt_at)
        .where(*where)
        .order_by(e.received_at.desc(), e.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return [
        _event_summary(r) | {
            "object_id": r.object_id, "next_attempt_at": aware(r.next_attempt_at),
            "error": _first_line(r.last_error),
        }
        for r in rows
    ], total


def event_types(conn: Connection) -> list[str]:
    return list(conn.execute(
        select(inbox_events.c.type).distinct().order_by(inbox_events.c.type)
    ).scalars())


def event_detail(conn: Connection, event_id: str) -> dict[str, Any] | None:
    r = conn.execute(select(inbox_events).where(inbox_events.c.id == event_id)).one_or_none()
    if r is None:
        return None
    return _event_summary(r) | {
        "object_id": r.object_id, "source": r.source, "last_error": r.last_error,
        "processed_at": aware(r.processed_at), "next_attempt_at": aware(r.next_attempt_at),
        "payload": _pretty(r.payload), "order_id": _order_of(conn, r.object_id, r.payload),
    }


def _order_of(conn: Connection, object_id: str | None, payload: str) -> str | None:
    obj = (_loads(payload).get("data") or {}).get("object") or {}
    order_id = (obj.get("metadata") or {}).get("order_id") if isinstance(obj, dict) else None
    keys = [k for k in (object_id, obj.get("payment_intent") if isinstance(obj, dict) else None)
            if isinstance(k, str)]
    if not order_id and keys:
        order_id = conn.execute(
            select(orders.c.id).where(or_(orders.c.checkout_session_id.in_(keys),
                                          orders.c.payment_intent_id.in_(keys)))
        ).scalar()
    return str(order_id) if order_id else None


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text  # shown as stored; the template escapes it either way


def _first_line(error: str | None) -> str | None:
    if not error:
        return None
    lines = [line for line in error.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else None  # a traceback's last line names the exception
