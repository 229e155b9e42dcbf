"""Reading and writing the billing tables: customers by email or Stripe id, subscription rows as
the model's `Held`/`Entitlement`, invoice upserts that never move a status backwards."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import Connection, RowMapping, select, update
from sqlalchemy.exc import IntegrityError

from paydesk.billing.model import Entitlement, Held, Snapshot, Status
from paydesk.billing.parse import InvoiceInfo
from paydesk.billing.tables import billing_customers, invoices, subscriptions
from paydesk.catalog.tables import products
from paydesk.store.engine import aware

# An invoice only moves forward: draft → open → paid | void | uncollectible (→ paid).
_INVOICE_ORDER = {"draft": 0, "open": 1, "uncollectible": 2, "void": 3, "paid": 3}


def new_customer_id() -> str:
    return "bcu_" + secrets.token_urlsafe(12)


def customer_by_email(conn: Connection, email: str) -> RowMapping | None:
    return conn.execute(
        select(billing_customers).where(billing_customers.c.email == email.lower())
    ).mappings().one_or_none()


def email_of_customer(conn: Connection, stripe_customer_id: str) -> str | None:
    found = conn.execute(
        select(billing_customers.c.email)
        .where(billing_customers.c.stripe_customer_id == stripe_customer_id)
    ).scalar()
    return str(found) if found is not None else None


def remember_customer(
    conn: Connection, email: str, stripe_customer_id: str | None,
    test_clock_id: str | None = None,
) -> None:
    """Record a Stripe customer found or made for `email` (first one wins)."""
    with conn.begin_nested() as nested:
        try:
            conn.execute(billing_customers.insert().values(
                id=new_customer_id(), email=email.lower(), stripe_customer_id=stripe_customer_id,
                test_clock_id=test_clock_id, created_at=datetime.now(UTC),
            ))
        except IntegrityError:
            nested.rollback()


def subscription_row(conn: Connection, sub_id: str) -> RowMapping | None:
    """The row, locked until the transaction ends on PostgreSQL, so two processors applying
    events of one subscription take turns (SQLite's processor holds the write lock already)."""
    query = select(subscriptions).where(subscriptions.c.id == sub_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).mappings().one_or_none()


def held_of(row: RowMapping | None) -> Held | None:
    if row is None:
        return None
    return Held(
        Snapshot(Status(row["status"]), aware(row["current_period_end"]),
                 bool(row["cancel_at_period_end"])),
        int(row["event_created"]),
    )


def entitlement_of(row: RowMapping) -> Entitlement:
    """A `subscriptions` row's entitlement."""
    return Entitlement(
        subscription_id=row["id"], plan_id=row["plan_id"], status=Status(row["status"]),
        current_period_end=aware(row["current_period_end"]),
        grace_until=aware(row["grace_until"]), clock_time=aware(row["clock_time"]),
    )


def plan_for_price(conn: Connection, price_id: str | None) -> str | None:
    if not price_id:
        return None
    found = conn.execute(
        select(products.c.id).where(products.c.stripe_price_id == price_id)
    ).scalar()
    return str(found) if found is not None else None


def save_invoice(
    conn: Connection, info: InvoiceInfo, email: str | None, event_created: int, now: datetime
) -> RowMapping | None:
    """Upsert the invoice unless the row is further along; returns the row as it was before."""
    before = conn.execute(
        select(invoices).where(invoices.c.id == info.id)
    ).mappings().one_or_none()
    values: dict[str, object] = {
        "customer_id": info.customer_id, "email": email, "subscription_id": info.subscription_id,
        "number": info.number, "status": info.status, "currency": info.currency,
        "amount_due": info.amount_due, "amount_paid": info.amount_paid,
        "attempt_count": info.attempt_count, "billing_reason": info.billing_reason,
        "hosted_invoice_url": info.hosted_invoice_url, "invoice_pdf": info.invoice_pdf,
        "created": info.created, "paid_at": info.paid_at, "event_created": event_created,
        "updated_at": now,
    }
    if before is None:
        conn.execute(invoices.insert().values(id=info.id, recovered=False, **values))
        return None
    if _invoice_behind(before, info, event_created):
        return before
    values["attempt_count"] = max(info.attempt_count, int(before["attempt_count"]))
    conn.execute(update(invoices).where(invoices.c.id == info.id).values(**values))
    return before


def _invoice_behind(before: RowMapping, info: InvoiceInfo, event_created: int) -> bool:
    old = _INVOICE_ORDER.get(str(before["status"]), 0)
    new = _INVOICE_ORDER.get(info.status, 0)
    if new != old:
        return new < old
    return event_created < int(before["event_created"]) or (
        info.attempt_count < int(before["attempt_count"])
    )


def mark_recovered(conn: Connection, invoice_id: str) -> None:
    conn.execute(update(invoices).where(invoices.c.id == invoice_id).values(recovered=True))
