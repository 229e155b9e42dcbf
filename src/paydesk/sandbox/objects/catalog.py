"""Skeletons of the billing catalogue: tax rates, coupons, promotion codes, plans."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Obj


def tax_rate(obj_id: str, created: int) -> Obj:
    return {
        "id": obj_id,
        "object": "tax_rate",
        "active": True,
        "country": None,
        "created": created,
        "description": None,
        "display_name": "",
        "effective_percentage": None,
        "flat_amount": None,
        "inclusive": False,
        "jurisdiction": None,
        "jurisdiction_level": None,
        "livemode": False,
        "metadata": {},
        "percentage": 0.0,
        "rate_type": "percentage",
        "state": None,
        "tax_type": None,
    }


def coupon(obj_id: str, created: int) -> Obj:
    return {
        "id": obj_id,
        "object": "coupon",
        "amount_off": None,
        "applies_to": None,
        "created": created,
        "currency": None,
        "duration": "once",
        "duration_in_months": None,
        "livemode": False,
        "max_redemptions": None,
        "metadata": {},
        "name": None,
        "percent_off": None,
        "redeem_by": None,
        "times_redeemed": 0,
        "valid": True,
    }


def promotion_code(obj_id: str, created: int, coupon_id: str) -> Obj:
    return {
        "id": obj_id,
        "object": "promotion_code",
        "active": True,
        "code": "",
        "created": created,
        "customer": None,
        "customer_account": None,
        "expires_at": None,
        "livemode": False,
        "max_redemptions": None,
        "metadata": {},
        "promotion": {"coupon": coupon_id, "type": "coupon"},
        "restrictions": {
            "currency_options": {},
            "first_time_transaction": False,
            "minimum_amount": None,
            "minimum_amount_currency": None,
        },
        "times_redeemed": 0,
    }


def plan_view(price: Obj) -> Obj:
    """The legacy Plan face of a recurring Price: same id, same money, flatter shape."""
    recurring: dict[str, Any] = price.get("recurring") or {}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count", 1),
        "livemode": False,
        "metadata": price["metadata"],
        "meter": recurring.get("meter"),
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": price.get("tiers_mode"),
        "transform_usage": None,
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": recurring.get("usage_type", "licensed"),
    }


def discount(obj_id: str, coupon_obj: Obj, start: int, end: int | None) -> Obj:
    return {
        "id": obj_id,
        "object": "discount",
        "checkout_session": None,
        "customer": None,
        "customer_account": None,
        "end": end,
        "invoice": None,
        "invoice_item": None,
        "promotion_code": None,
        "source": {"coupon": coupon_obj["id"], "type": "coupon"},
        "start": start,
        "subscription": None,
        "subscription_item": None,
    }
