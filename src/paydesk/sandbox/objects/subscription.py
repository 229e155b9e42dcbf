"""Subscriptions and their items in Stripe's shape, and Stripe's subscription status machine."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.listing import one_page
from paydesk.sandbox.objects.catalog import plan_view

# incomplete -> active once the first invoice is paid, incomplete_expired after 23 hours;
# trialing -> active (or paused with no payment method); past_due while retries run, then
# the account's final action (canceled, unpaid, or stay past_due).
TRANSITIONS: dict[str, frozenset[str]] = {
    "incomplete": frozenset({"active", "trialing", "incomplete_expired", "canceled"}),
    "trialing": frozenset({"active", "past_due", "paused", "canceled", "unpaid"}),
    "active": frozenset({"past_due", "canceled", "unpaid", "trialing", "paused"}),
    "past_due": frozenset({"active", "canceled", "unpaid"}),
    "unpaid": frozenset({"active", "canceled"}),
    "paused": frozenset({"active", "trialing", "canceled"}),
    "incomplete_expired": frozenset(),
    "canceled": frozenset(),
}


def subscription(obj_id: str, created: int, customer: Obj, currency: str) -> Obj:
    return {
        "id": obj_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": created,
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic"},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": created,
        "currency": currency,
        "customer": customer["id"],
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": one_page([], f"/v1/subscription_items?subscription={obj_id}", counted=True),
        "latest_invoice": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": {},
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": created,
        "status": "incomplete",
        "test_clock": customer.get("test_clock"),
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
    }


def item(
    obj_id: str,
    created: int,
    subscription_id: str,
    price: Obj,
    quantity: int,
    period: tuple[int, int],
) -> Obj:
    return {
        "id": obj_id,
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": created,
        "current_period_end": period[1],
        "current_period_start": period[0],
        "discounts": [],
        "metadata": {},
        "plan": plan_view(price),
        "price": price,
        "quantity": quantity,
        "subscription": subscription_id,
        "tax_rates": [],
    }
