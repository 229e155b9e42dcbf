"""Stripe-shaped subscription and invoice objects for the billing tests (no tests here)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert

from paydesk.billing.records import remember_customer
from paydesk.catalog.tables import products

JAN = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())
FEB = int(datetime(2027, 2, 1, tzinfo=UTC).timestamp())
MAR = int(datetime(2027, 3, 1, tzinfo=UTC).timestamp())


def seed_plan(engine: Engine, plan_id: str = "club", price_id: str = "price_club") -> None:
    with engine.begin() as conn:
        conn.execute(insert(products).values(
            id=plan_id, name="The Club", description="", unit_amount=4900, currency="eur",
            stock=None, type="recurring", interval="month", interval_count=1, trial_days=14,
            stripe_price_id=price_id, active=True,
        ))


def seed_customer(engine: Engine, email: str, customer_id: str) -> None:
    with engine.begin() as conn:
        remember_customer(conn, email, customer_id)


def sub_obj(sub_id: str, customer: str, status: str, period_end: int = JAN,
            price_id: str = "price_club", cancel_at_period_end: bool = False,
            metadata: dict[str, str] | None = None) -> dict[str, Any]:
    """The current API's shape: the period lives on the subscription's items."""
    return {
        "id": sub_id, "object": "subscription", "customer": customer, "status": status,
        "cancel_at_period_end": cancel_at_period_end, "metadata": metadata or {},
        "start_date": period_end - 30 * 86400, "trial_end": None, "test_clock": None,
        "latest_invoice": None, "ended_at": None,
        "items": {"object": "list", "data": [{
            "id": "si_" + sub_id, "object": "subscription_item", "quantity": 1,
            "current_period_start": period_end - 30 * 86400, "current_period_end": period_end,
            "price": {"id": price_id, "object": "price", "unit_amount": 4900, "currency": "eur",
                      "recurring": {"interval": "month", "interval_count": 1}},
        }]},
    }


def invoice_obj(invoice_id: str, customer: str, sub_id: str | None, status: str,
                attempt_count: int = 1, created: int = JAN, amount: int = 4900) -> dict[str, Any]:
    return {
        "id": invoice_id, "object": "invoice", "customer": customer, "status": status,
        "customer_email": None, "number": "N-" + invoice_id[-4:], "currency": "eur",
        "amount_due": amount, "amount_paid": amount if status == "paid" else 0,
        "attempt_count": attempt_count, "billing_reason": "subscription_cycle",
        "hosted_invoice_url": f"https://pay.test/{invoice_id}",
        "invoice_pdf": f"https://pay.test/{invoice_id}/pdf", "created": created,
        "status_transitions": {"paid_at": created if status == "paid" else None},
        "parent": {"type": "subscription_details",
                   "subscription_details": {"subscription": sub_id, "metadata": {}}},
    }
