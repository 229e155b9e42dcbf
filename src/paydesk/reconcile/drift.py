"""`paydesk reconcile --check`: a drift report. Compares local subscriptions and recent orders
with what Stripe says today, and lists every difference (reading only; it changes nothing: run
`paydesk reconcile` to recover missed events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import stripe as stripe_sdk
from sqlalchemy import select

from paydesk.billing.parse import parse_subscription
from paydesk.billing.tables import subscriptions
from paydesk.context import AppContext
from paydesk.orders.model import PAID_STATUSES
from paydesk.orders.payments import PAID_SESSION
from paydesk.orders.tables import orders
from paydesk.store.engine import aware, reading


@dataclass(frozen=True)
class Drift:
    kind: str  # subscription | order
    id: str
    field: str
    local: str
    stripe: str


def subscription_drift(ctx: AppContext) -> list[Drift]:
    with reading(ctx.engine) as conn:
        rows = conn.execute(select(subscriptions)).mappings().all()
    found: list[Drift] = []
    for row in rows:
        try:
            info = parse_subscription(
                ctx.stripe.v1.subscriptions.retrieve(row["id"]).to_dict(recursive=True)
            )
        except stripe_sdk.InvalidRequestError:
            found.append(Drift("subscription", row["id"], "exists", "yes", "no"))
            continue
        pairs = {
            "status": (row["status"], info.status.value),
            "current_period_end": (_iso(aware(row["current_period_end"])),
                                   _iso(info.snapshot.current_period_end)),
            "cancel_at_period_end": (str(bool(row["cancel_at_period_end"])),
                                     str(info.snapshot.cancel_at_period_end)),
        }
        found += [Drift("subscription", row["id"], name, local, theirs)
                  for name, (local, theirs) in pairs.items() if local != theirs]
    return found


def order_drift(ctx: AppContext, since: timedelta) -> list[Drift]:
    start = datetime.now(UTC) - since
    with reading(ctx.engine) as conn:
        rows = conn.execute(
            select(orders.c.id, orders.c.status, orders.c.checkout_session_id,
                   orders.c.amount_refunded)
            .where(orders.c.created_at >= start, orders.c.checkout_session_id.is_not(None))
        ).all()
    found: list[Drift] = []
    for row in rows:
        session = ctx.stripe.v1.checkout.sessions.retrieve(
            row.checkout_session_id, {"expand": ["payment_intent.latest_charge"]}
        ).to_dict(recursive=True)
        paid = session.get("payment_status") in PAID_SESSION
        ours = row.status in PAID_STATUSES
        if paid != ours:
            found.append(Drift("order", row.id, "paid", str(ours), str(paid)))
        charge = ((session.get("payment_intent") or {}).get("latest_charge") or {})
        refunded = int(charge.get("amount_refunded") or 0) if isinstance(charge, dict) else 0
        if paid and refunded != int(row.amount_refunded):
            found.append(Drift("order", row.id, "amount_refunded", str(row.amount_refunded),
                               str(refunded)))
    return found


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else "—"


def drift_report(ctx: AppContext, since: timedelta) -> list[Drift]:
    return subscription_drift(ctx) + order_drift(ctx, since)
