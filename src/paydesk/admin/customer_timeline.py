"""A billing customer's history as sentences ("Payment of €49.00 failed (attempt 2)"), read from
the inbox events about their subscriptions and invoices (parsed by webhooks/dispatch.py), like an
order's timeline."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, select

from paydesk.billing.parse import InvoiceInfo
from paydesk.core.money import format_money
from paydesk.webhooks.dispatch import (
    BILLING_TIMELINE_TYPES,
    Event,
    InvoiceChanged,
    SubscriptionChanged,
    TrialEnding,
    parse_payload,
)
from paydesk.webhooks.tables import inbox_events

LIMIT = 500


def billing_timeline(
    conn: Connection, object_ids: list[str], plans: dict[str, str | None]
) -> list[dict[str, object]]:
    """One step per event about `object_ids` that says something, oldest first (duplicates of
    one event id are one row in the inbox already)."""
    if not object_ids:
        return []
    e = inbox_events.c
    rows = conn.execute(
        select(e.id, e.stripe_created, e.payload)
        .where(e.object_id.in_(object_ids), e.type.in_(BILLING_TIMELINE_TYPES))
        .order_by(e.stripe_created, e.received_at).limit(LIMIT)
    ).all()
    steps: list[tuple[int, int, dict[str, object]]] = []
    for row in rows:
        event = parse_payload(row.payload)
        what = _sentence(event, plans) if event is not None else None
        if event is not None and what:
            steps.append((row.stripe_created, _rank(event), {
                "at": datetime.fromtimestamp(row.stripe_created, UTC),
                "what": what, "event_id": row.id}))
    # Stripe sends `customer.subscription.created` once the first payment has settled, in the
    # same second as that payment's invoice events: the story reads better with it first.
    return [step for _, _, step in sorted(steps, key=lambda s: (s[0], s[1]))]


def _rank(event: Event) -> int:
    return 0 if isinstance(event, SubscriptionChanged) and event.change == "created" else 1


def _sentence(event: Event, plans: dict[str, str | None]) -> str | None:
    if isinstance(event, SubscriptionChanged | TrialEnding):
        sub = event.subscription
        plan = plans.get(sub.id) or sub.plan_hint or "a plan"
        if isinstance(event, TrialEnding):
            return f"Trial of {plan} ends on {_day(sub.trial_end)}: reminder sent"
        return _subscription_sentence(event, plan)
    if isinstance(event, InvoiceChanged):
        return _invoice_sentence(event.kind, event.invoice)
    return None


def _day(value: datetime | None) -> str:
    return f"{value:%d %b %Y}" if value is not None else "—"


def _subscription_sentence(event: SubscriptionChanged, plan: str) -> str | None:
    sub, before = event.subscription, event.changed
    status = sub.status.value.replace("_", " ")
    if event.change == "created":
        return f"Subscribed to {plan} ({status})"
    if event.change == "deleted":
        return f"Subscription to {plan} ended"
    if event.change != "updated":
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
    if kind == "finalized":
        return f"{label} issued for {due}"
    if kind == "paid":
        return f"{label} paid: {format_money(inv.amount_paid, inv.currency)}"
    if kind == "payment_failed":
        return f"Payment of {due} failed (attempt {max(inv.attempt_count, 1)})"
    if kind == "payment_action_required":
        return f"The bank asked the customer to confirm the payment of {due}"
    return None
