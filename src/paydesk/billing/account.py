"""What the account page shows: the email's subscriptions from the local record, its invoices
from Stripe (live PDF and pay links), and the two things it can do: open the billing portal and
cancel at the period's end."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import stripe as stripe_sdk
import structlog
from sqlalchemy import select

from paydesk.billing import records
from paydesk.billing.model import Status, has_access
from paydesk.billing.parse import when
from paydesk.billing.tables import invoices, subscriptions
from paydesk.catalog.tables import products
from paydesk.context import AppContext
from paydesk.core.money import format_money
from paydesk.store.engine import aware, reading

log = structlog.get_logger(__name__)


def account_view(ctx: AppContext, email: str) -> dict[str, Any]:
    with reading(ctx.engine) as conn:
        customer = records.customer_by_email(conn, email)
        subs = conn.execute(
            select(subscriptions, products.c.name.label("plan_name"))
            .join(products, products.c.id == subscriptions.c.plan_id, isouter=True)
            .where(subscriptions.c.email == email)
            .order_by(subscriptions.c.created_at.desc())
        ).mappings().all()
        local_invoices = conn.execute(
            select(invoices).where(invoices.c.email == email)
            .order_by(invoices.c.created.desc()).limit(24)
        ).mappings().all()
    customer_id = customer["stripe_customer_id"] if customer else None
    return {
        "email": email,
        "subscriptions": [_subscription(row) for row in subs],
        "invoices": _invoices(ctx, customer_id, local_invoices),
        "has_customer": bool(customer_id),
    }


def _subscription(row: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    clock = aware(row["clock_time"])
    amount = (row["unit_amount"] or 0) * (row["quantity"] or 1)
    status = Status(row["status"])
    return {
        "id": row["id"], "plan": row["plan_name"] or row["plan_id"], "status": status.value,
        "access": has_access(status, aware(row["grace_until"]), max(now, clock or now)),
        "period_end": aware(row["current_period_end"]),
        "amount": format_money(amount, row["currency"]) if row["currency"] else None,
        "cancel_at_period_end": bool(row["cancel_at_period_end"]),
        "grace_until": aware(row["grace_until"]),
        "cancellable": status in (Status.ACTIVE, Status.TRIALING, Status.PAST_DUE)
        and not row["cancel_at_period_end"],
    }


def _invoices(ctx: AppContext, customer_id: str | None, local: Any) -> list[dict[str, Any]]:
    if customer_id:
        try:
            listed = ctx.stripe.v1.invoices.list({"customer": customer_id, "limit": 24})
            return [_invoice(inv.to_dict()) for inv in listed.data]
        except stripe_sdk.StripeError as exc:
            # The local copy is a webhook behind at worst: better than an empty page.
            log.warning("account.invoices_failed", error=type(exc).__name__)
    return [_invoice({**row, "created": int(aware(row["created"]).timestamp())})  # type: ignore[union-attr]
            for row in local]


def _invoice(inv: dict[str, Any]) -> dict[str, Any]:
    amount = inv.get("amount_paid") if inv.get("status") == "paid" else inv.get("amount_due")
    return {
        "id": inv.get("id"), "number": inv.get("number") or inv.get("id"),
        "date": when(inv.get("created")), "status": inv.get("status"),
        "amount": format_money(int(amount or 0), str(inv.get("currency") or "usd")),
        "pdf": inv.get("invoice_pdf"),
        "pay": inv.get("hosted_invoice_url") if inv.get("status") == "open" else None,
        "view": inv.get("hosted_invoice_url"),
    }


def portal_url(ctx: AppContext, email: str, return_url: str) -> str | None:
    with reading(ctx.engine) as conn:
        customer = records.customer_by_email(conn, email)
    if customer is None or not customer["stripe_customer_id"]:
        return None
    session = ctx.stripe.v1.billing_portal.sessions.create(
        {"customer": customer["stripe_customer_id"], "return_url": return_url}
    )
    return str(session.url)


def cancel_at_period_end(ctx: AppContext, email: str, subscription_id: str) -> bool:
    """Ask Stripe to end the subscription when its period ends; the local record follows the
    customer.subscription.updated event. False when the subscription is not this email's."""
    with reading(ctx.engine) as conn:
        owner = conn.execute(
            select(subscriptions.c.email).where(subscriptions.c.id == subscription_id)
        ).scalar()
    if owner != email:
        return False
    ctx.stripe.v1.subscriptions.update(
        subscription_id, {"cancel_at_period_end": True},
        {"idempotency_key": f"cancel-at-period-end:{subscription_id}"},
    )
    return True
