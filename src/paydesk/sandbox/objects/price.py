"""A price as Stripe shapes it (one-time or recurring)."""

from __future__ import annotations

from paydesk.sandbox.account import Obj

INTERVALS = ("day", "week", "month", "year")
TAX_BEHAVIORS = ("inclusive", "exclusive", "unspecified")


def price(obj_id: str, created: int, currency: str, product_id: str | None) -> Obj:
    return {
        "id": obj_id,
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": product_id,
        "recurring": None,
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time",
        "unit_amount": None,
        "unit_amount_decimal": None,
    }


def recurring(interval: str, count: int, trial_days: int | None, usage_type: str) -> Obj:
    return {
        "interval": interval,
        "interval_count": count,
        "meter": None,
        "trial_period_days": trial_days,
        "usage_type": usage_type,
    }
