"""Read-only queries behind the admin's customers pages: one page of billing customers with what
each is worth and may use now, and one customer with every subscription, invoice and event."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, or_, select

from paydesk.admin.customer_timeline import billing_timeline
from paydesk.admin.queries import PAGE_SIZE  # the size routes.pagination counts pages in
from paydesk.billing.metrics import monthly_totals
from paydesk.billing.model import AccessNow, access_now, best
from paydesk.billing.records import entitlement_of
from paydesk.billing.tables import billing_customers, invoices, subscriptions
from paydesk.core.money import format_money
from paydesk.store.engine import aware
from paydesk.webhooks.tables import inbox_events


def list_customers(
    conn: Connection, search: str | None, page: int, now: datetime
) -> tuple[list[dict[str, Any]], int]:
    """One page of customers, newest first (`search`: part of the email), and how many match."""
    c = billing_customers.c
    where = [c.email.contains(search.strip().lower(), autoescape=True)] if search else []
    total = int(conn.execute(
        select(func.count()).select_from(billing_customers).where(*where)
    ).scalar_one())
    rows = conn.execute(
        select(billing_customers).where(*where).order_by(c.created_at.desc(), c.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).mappings().all()
    emails = [r["email"] for r in rows]
    subs = _by_email(conn.execute(
        select(subscriptions).where(subscriptions.c.email.in_(emails))
    ).mappings().all())
    bills = _by_email(conn.execute(
        select(invoices.c.id, invoices.c.email).where(invoices.c.email.in_(emails))
    ).mappings().all())
    last = _last_events(conn, [row["id"] for rows_of in (*subs.values(), *bills.values())
                               for row in rows_of]
                        + [r["stripe_customer_id"] for r in rows if r["stripe_customer_id"]])
    return [_summary(r, subs.get(r["email"], []), bills.get(r["email"], []), last, now)
            for r in rows], total


def _by_email(rows: Iterable[RowMapping]) -> dict[str, list[RowMapping]]:
    grouped: dict[str, list[RowMapping]] = defaultdict(list)
    for row in rows:
        grouped[row["email"]].append(row)
    return grouped


def _last_events(conn: Connection, object_ids: list[str]) -> dict[str, int]:
    if not object_ids:
        return {}
    e = inbox_events.c
    return {str(oid): int(at) for oid, at in conn.execute(
        select(e.object_id, func.max(e.stripe_created))
        .where(e.object_id.in_(object_ids)).group_by(e.object_id)
    ).all()}


def _summary(
    customer: RowMapping, subs: list[RowMapping], bills: list[RowMapping],
    last: dict[str, int], now: datetime,
) -> dict[str, Any]:
    chosen = best([entitlement_of(s) for s in subs], now)
    ids = [row["id"] for row in (*subs, *bills)] + [customer["stripe_customer_id"]]
    seen = [last[i] for i in ids if i in last]
    return {
        "id": customer["id"], "email": customer["email"],
        "stripe_customer_id": customer["stripe_customer_id"],
        "subscriptions": len(subs),
        "access": access_now(chosen, now) if chosen else AccessNow("none"),
        "mrr": mrr_of(subs),
        "last_event": datetime.fromtimestamp(max(seen), UTC) if seen else None,
    }


def mrr_of(subs: Iterable[RowMapping]) -> str | None:
    """What these subscriptions bring each month, per currency ("€49.00 · $10.00")."""
    return " · ".join(format_money(v, c) for c, v in monthly_totals(subs).items()) or None


def customer_detail(conn: Connection, key: str, now: datetime) -> dict[str, Any] | None:
    """The customer by our id (bcu_…) or Stripe's (cus_…), or None."""
    c = billing_customers.c
    customer = conn.execute(
        select(billing_customers).where(or_(c.id == key, c.stripe_customer_id == key))
    ).mappings().first()
    if customer is None:
        return None
    email, cus = customer["email"], customer["stripe_customer_id"]
    match_sub = [subscriptions.c.email == email]
    match_inv = [invoices.c.email == email]
    if cus:
        match_sub.append(subscriptions.c.customer_id == cus)
        match_inv.append(invoices.c.customer_id == cus)
    subs = conn.execute(select(subscriptions).where(or_(*match_sub))
                        .order_by(subscriptions.c.created_at.desc())).mappings().all()
    bills = conn.execute(select(invoices).where(or_(*match_inv))
                         .order_by(invoices.c.created.desc())).mappings().all()
    ids = [*(s["id"] for s in subs), *(b["id"] for b in bills), *([cus] if cus else [])]
    return {
        "id": customer["id"], "email": email, "stripe_customer_id": cus,
        "created_at": aware(customer["created_at"]), "mrr": mrr_of(subs),
        "subscriptions": [_subscription(s, bills, now) for s in subs],
        "other_invoices": [invoice_view(b) for b in bills if b["subscription_id"] not in
                           {s["id"] for s in subs}],
        "timeline": billing_timeline(conn, ids, {s["id"]: s["plan_id"] for s in subs}),
    }


def _subscription(sub: RowMapping, bills: Sequence[RowMapping], now: datetime) -> dict[str, Any]:
    return {
        "id": sub["id"], "plan_id": sub["plan_id"], "status": sub["status"],
        "access": access_now(entitlement_of(sub), now),
        "grace_until": aware(sub["grace_until"]),
        "current_period_end": aware(sub["current_period_end"]),
        "cancel_at_period_end": bool(sub["cancel_at_period_end"]),
        "invoices": [invoice_view(b) for b in bills if b["subscription_id"] == sub["id"]],
    }


def invoice_view(bill: RowMapping) -> dict[str, Any]:
    amount = bill["amount_paid"] if bill["status"] == "paid" else bill["amount_due"]
    return {
        "id": bill["id"], "number": bill["number"], "created": aware(bill["created"]),
        "amount": format_money(int(amount), bill["currency"]), "status": bill["status"],
        "invoice_pdf": bill["invoice_pdf"], "hosted_invoice_url": bill["hosted_invoice_url"],
    }
