"""A billing customer's history as sentences ("Payment of €49.00 failed (attempt 2)"), read from
the inbox events about their subscriptions and invoices, like an order's timeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from paydesk.billing.parse import (
    InvoiceInfo,
    NotASubscription,
    SubscriptionInfo,
    parse_invoice,
    parse_subscription,
)
from paydesk.core.money import format_money
from paydesk.webhooks.tables import inbox_events

LIMIT = 500


def billing_timeline(
    conn: Connection, object_ids: list[str], plans: dict[str, str | None]
) -> list[dict[str, Any]]:
    """One step per event about `object_ids` that says something, oldest first (duplicates of
    one event id are one row in the inbox already)."""
    if not object_ids:
        return []
    e = inbox_events.c
    rows = conn.execute(
        select(e.id, e.type, e.stripe_created, e.payload)
        .where(e.object_id.in_(object_ids))
        .order_by(e.stripe_created, e.received_at).limit(LIMIT)
    ).all()
    steps = []
    for row in rows:
        data = _data(row.payload)
        try:
            what = _sentence(row.type, data, plans)
        except NotASubscription:
            what = None
        if what:
            steps.append({"at": datetime.fromtimestamp(row.stripe_created, UTC),
                          "what": what, "event_id": row.id})
    return steps


def _data(payload: str) -> dict[str, Any]:
    try:
        data = json.loads(payload).get("data")
    except (ValueError, AttributeError):
        return {}
    return data if isinstance(data, dict) else {}


def _sentence(kind: str, data: dict[str, Any], plans: dict[str, str | None]) -> str | None:
    obj = data.get("object")
    if not isinstance(obj, dict):
        return None
    if kind.startswith("customer.subscription."):
        sub = parse_subscription(obj)
        before = data.get("previous_attributes")
        return _subscription_sentence(kind, sub, before if isinstance(before, dict) else {},
                                      plans.get(sub.id) or sub.plan_hint or "a plan")
    if kind.startswith("invoice."):
        return _invoice_sentence(kind, parse_invoice(obj))
    return None


def _day(value: datetime | None) -> str:
    return f"{value:%d %b %Y}" if value is not None else "—"


def _subscription_sentence(
    kind: str, sub: SubscriptionInfo, before: dict[str, Any], plan: str
) -> str | None:
    status = sub.status.value.replace("_", " ")
    if kind == "customer.subscription.created":
        return f"Subscribed to {plan} ({status})"
    if kind == "customer.subscription.deleted":
        return f"Subscription to {plan} ended"
    if kind == "customer.subscription.trial_will_end":
        return f"Trial of {plan} ends on {_day(sub.trial_end)}: reminder sent"
    if kind != "customer.subscription.updated":
        return None
    if "status" in before:
        return f"Subscription to {plan} is now {status}"
    if "cancel_at_period_end" in before:
        return (f"Set to end on {_day(sub.snapshot.current_period_end)}"
                if sub.snapshot.cancel_at_period_end else "Cancellation withdrawn")
    if sub.snapshot.current_period_end is not None and (
            "items" in before or "current_period_end" in before):
        return f"Renewed until {_day(sub.snapshot.current_period_end)}"
    return None


def _invoice_sentence(kind: str, inv: InvoiceInfo) -> str | None:
    label = f"Invoice {inv.number}" if inv.number else "An invoice"
    due = format_money(inv.amount_due, inv.currency)
    if kind == "invoice.finalized":
        return f"{label} issued for {due}"
    if kind == "invoice.paid":
        return f"{label} paid: {format_money(inv.amount_paid, inv.currency)}"
    if kind == "invoice.payment_failed":
        return f"Payment of {due} failed (attempt {max(inv.attempt_count, 1)})"
    if kind == "invoice.payment_action_required":
        return f"The bank asked the customer to confirm the payment of {due}"
    return None
