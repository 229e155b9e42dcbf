"""Tax rates, coupons, promotion codes and plans: create and update, with their events."""

from __future__ import annotations

import secrets
import string
from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import InvalidRequest, missing_param
from paydesk.sandbox.objects import catalog
from paydesk.sandbox.objects.price import INTERVALS
from paydesk.sandbox.operations.prices import create_price, price_changes
from paydesk.sandbox.operations.products import create_product
from paydesk.sandbox.params import (
    apply_metadata,
    get_bool,
    get_currency,
    get_dict,
    get_enum,
    get_int,
    get_list,
    get_str,
    req_int,
    req_str,
)

DURATIONS = ("once", "repeating", "forever")
TAX_TYPES = (
    "amusement_tax",
    "communications_tax",
    "gst",
    "hst",
    "igst",
    "jct",
    "lease_tax",
    "pst",
    "qst",
    "retail_delivery_fee",
    "rst",
    "sales_tax",
    "service_tax",
    "vat",
)


def _percent(params: dict[str, Any], name: str, required: bool) -> float | None:
    """A percentage between 0 and 100 (a float, as coupons' `percent_off` is)."""
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise missing_param(name)
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InvalidRequest(f"Invalid decimal: {raw}", param=name) from None
    if not 0 <= value <= 100:
        raise InvalidRequest(f"Invalid {name}: must be between 0 and 100.", param=name)
    return value


def _own_id(account: Account, params: dict[str, Any], kind: str) -> str | None:
    wanted = get_str(params, "id")
    if wanted and account.find(wanted) is not None:
        raise InvalidRequest(
            f"{kind.capitalize()} already exists.", param="id", code="resource_already_exists"
        )
    return wanted or None


# -- tax rates ---------------------------------------------------------------------------------


def create_tax_rate(account: Account, now: int, p: dict[str, Any]) -> Obj:
    if "inclusive" not in p:
        raise missing_param("inclusive")
    rate = catalog.tax_rate(account.new_id("txr"), now)
    percentage = _percent(p, "percentage", required=True)
    if percentage is not None and percentage.is_integer():
        # A tax rate's whole percentage goes out as a JSON integer, as Stripe's does (20).
        percentage = int(percentage)
    rate.update(
        display_name=req_str(p, "display_name"),
        percentage=percentage,
        effective_percentage=percentage,
        inclusive=get_bool(p, "inclusive"),
        active=get_bool(p, "active", True),
        country=get_str(p, "country"),
        state=get_str(p, "state"),
        description=get_str(p, "description"),
        jurisdiction=get_str(p, "jurisdiction"),
        tax_type=get_enum(p, "tax_type", TAX_TYPES),
        metadata=apply_metadata({}, p),
    )
    account.insert(rate)
    account.emit("tax_rate.created", rate, now=now)
    return rate


def update_tax_rate(account: Account, now: int, rate: Obj, p: dict[str, Any]) -> Obj:
    changes: dict[str, Any] = {}
    for name in ("display_name", "description", "country", "state", "jurisdiction"):
        if name in p:
            changes[name] = get_str(p, name) or None
    if "active" in p:
        changes["active"] = get_bool(p, "active", True)
    if "tax_type" in p:
        changes["tax_type"] = get_enum(p, "tax_type", TAX_TYPES)
    if "metadata" in p:
        changes["metadata"] = apply_metadata(rate["metadata"], p)
    previous = account.update(rate, changes)
    if previous:
        account.emit("tax_rate.updated", rate, previous, now=now)
    return rate


# -- coupons -----------------------------------------------------------------------------------


def create_coupon(account: Account, now: int, p: dict[str, Any]) -> Obj:
    coupon_id = _own_id(account, p, "coupon") or _code(8)
    coupon = catalog.coupon(coupon_id, now)
    percent = _percent(p, "percent_off", required=False)
    amount = get_int(p, "amount_off", minimum=1)
    if (percent is None) == (amount is None):
        raise InvalidRequest(
            "Must provide one of `percent_off` or `amount_off`.", param="percent_off"
        )
    currency = get_currency(p, required=amount is not None)
    duration = get_enum(p, "duration", DURATIONS, "once")
    months = get_int(p, "duration_in_months", minimum=1)
    if duration == "repeating" and months is None:
        raise InvalidRequest(
            "You must specify `duration_in_months` when `duration` is `repeating`.",
            param="duration_in_months",
        )
    coupon.update(
        percent_off=percent,
        amount_off=amount,
        currency=currency if amount is not None else None,
        duration=duration,
        duration_in_months=months if duration == "repeating" else None,
        max_redemptions=get_int(p, "max_redemptions", minimum=1),
        redeem_by=get_int(p, "redeem_by"),
        name=get_str(p, "name"),
        metadata=apply_metadata({}, p),
        applies_to=_applies_to(account, p),
    )
    account.insert(coupon)
    account.emit("coupon.created", coupon, now=now)
    return coupon


def _applies_to(account: Account, p: dict[str, Any]) -> dict[str, Any] | None:
    """`applies_to[products][]`: the discount only reaches those products' lines."""
    applies = get_dict(p, "applies_to")
    if applies is None:
        return None
    products = [str(each) for each in get_list(applies, "products") or []]
    for product in products:
        account.get(product, "product", "applies_to[products]")
    return {"products": products}


def _code(length: int) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def update_coupon(account: Account, now: int, coupon: Obj, p: dict[str, Any]) -> Obj:
    changes: dict[str, Any] = {}
    if "name" in p:
        changes["name"] = get_str(p, "name") or None
    if "metadata" in p:
        changes["metadata"] = apply_metadata(coupon["metadata"], p)
    previous = account.update(coupon, changes)
    if previous:
        account.emit("coupon.updated", coupon, previous, now=now)
    return coupon


def delete_coupon(account: Account, now: int, coupon: Obj) -> Obj:
    account.emit("coupon.deleted", coupon, now=now)
    return account.delete(coupon)


def redeemable(coupon: Obj, now: int, param: str) -> Obj:
    """`coupon` if it may be applied now, else Stripe's refusal naming `param`."""
    limit = coupon.get("max_redemptions")
    over = limit is not None and coupon["times_redeemed"] >= limit
    expired = coupon.get("redeem_by") is not None and coupon["redeem_by"] < now
    if over or expired or not coupon.get("valid", True):
        raise InvalidRequest(f"Coupon expired: {coupon['id']}", param=param, code="coupon_expired")
    return coupon


def redeem(account: Account, coupon: Obj) -> None:
    times = coupon["times_redeemed"] + 1
    limit = coupon.get("max_redemptions")
    account.update(coupon, {"times_redeemed": times, "valid": limit is None or times < limit})


# -- promotion codes ---------------------------------------------------------------------------


def create_promotion_code(account: Account, now: int, p: dict[str, Any]) -> Obj:
    promotion = get_dict(p, "promotion") or {}
    coupon_id = get_str(promotion, "coupon") or get_str(p, "coupon")
    if not coupon_id:
        raise missing_param("promotion[coupon]")
    coupon = account.get(coupon_id, "coupon", "promotion[coupon]")
    code = get_str(p, "code") or _code(8)
    if any(account.newest("promotion_code", lambda o: o["code"] == code and o["active"])):
        raise InvalidRequest("An active promotion code with `code` already exists.", param="code")
    promo = catalog.promotion_code(account.new_id("promo"), now, coupon["id"])
    restrictions = get_dict(p, "restrictions") or {}
    promo.update(
        code=code,
        active=get_bool(p, "active", True),
        customer=get_str(p, "customer"),
        expires_at=get_int(p, "expires_at"),
        max_redemptions=get_int(p, "max_redemptions", minimum=1),
        metadata=apply_metadata({}, p),
    )
    promo["restrictions"].update(
        first_time_transaction=get_bool(restrictions, "first_time_transaction"),
        minimum_amount=get_int(restrictions, "minimum_amount", minimum=0),
        minimum_amount_currency=get_currency(
            restrictions, "minimum_amount_currency", required=False
        ),
    )
    account.insert(promo)
    account.emit("promotion_code.created", promo, now=now)
    return promo


def update_promotion_code(account: Account, now: int, promo: Obj, p: dict[str, Any]) -> Obj:
    changes: dict[str, Any] = {}
    if "active" in p:
        changes["active"] = get_bool(p, "active", True)
    if "metadata" in p:
        changes["metadata"] = apply_metadata(promo["metadata"], p)
    previous = account.update(promo, changes)
    if previous:
        account.emit("promotion_code.updated", promo, previous, now=now)
    return promo


def promotion_coupon(account: Account, now: int, promo_id: str, param: str) -> Obj:
    promo = account.get(promo_id, "promotion_code", param)
    expired = promo.get("expires_at") is not None and promo["expires_at"] < now
    limit = promo.get("max_redemptions")
    if not promo["active"] or expired or (limit is not None and promo["times_redeemed"] >= limit):
        raise InvalidRequest(
            f"This promotion code cannot be redeemed: {promo['code']}", param=param
        )
    coupon_id = promo["promotion"]["coupon"]
    return redeemable(account.get(coupon_id, "coupon", param), now, param)


def check_restrictions(
    account: Account, promo_id: str, customer_id: str, amount: int, currency: str
) -> None:
    """A promotion code's `restrictions`, refused with Stripe's words when not met:
    first-time customers only (no successful payment yet), and a minimum purchase."""
    restrictions = account.get(promo_id, "promotion_code")["restrictions"]
    if restrictions.get("first_time_transaction") and _has_paid(account, customer_id):
        raise InvalidRequest(
            "This promotion code cannot be redeemed because the associated customer has prior "
            "transactions.",
            param="promotion_code",
        )
    minimum = restrictions.get("minimum_amount")
    if minimum is not None and (
        amount < minimum or currency != restrictions.get("minimum_amount_currency")
    ):
        raise InvalidRequest(
            "This promotion code cannot be redeemed because the associated purchase does not "
            "meet the minimum amount requirement.",
            param="promotion_code",
            code="promotion_code_amount_insufficient",
        )


def _has_paid(account: Account, customer_id: str) -> bool:
    paid = account.newest(
        "charge", lambda c: c.get("customer") == customer_id and c.get("status") == "succeeded"
    )
    return next(paid, None) is not None


# -- plans -------------------------------------------------------------------------------------


def create_plan(account: Account, now: int, p: dict[str, Any]) -> Obj:
    """A plan is a recurring price created through the legacy endpoint: same id, both faces."""
    plan_id = _own_id(account, p, "plan")
    product_ref = p.get("product")
    if isinstance(product_ref, dict):
        product_id = create_product(account, now, product_ref, "product")["id"]
    else:
        product_id = req_str(p, "product")
    interval = get_enum(p, "interval", INTERVALS)
    if interval is None:
        raise missing_param("interval")
    data: dict[str, Any] = {
        "currency": p.get("currency"),
        "product": product_id,
        "nickname": p.get("nickname"),
        "active": p.get("active"),
        "recurring": {
            "interval": interval,
            "interval_count": p.get("interval_count"),
            "trial_period_days": p.get("trial_period_days"),
            "usage_type": p.get("usage_type"),
        },
    }
    if "amount_decimal" in p:
        data["unit_amount_decimal"] = p["amount_decimal"]
    else:
        data["unit_amount"] = req_int(p, "amount", minimum=0)
    if "metadata" in p:
        data["metadata"] = p["metadata"]
    price = create_price(account, now, {k: v for k, v in data.items() if v is not None})
    if plan_id:
        _rename(account, price, plan_id)
    plan = catalog.plan_view(price)
    account.emit("plan.created", plan, now=now)
    return plan


def update_plan(account: Account, now: int, price: Obj, p: dict[str, Any]) -> Obj:
    """Changes the price behind a plan; the event shows the plan face."""
    before = catalog.plan_view(price)
    account.update(price, price_changes(account, now, price, p))
    after = catalog.plan_view(price)
    previous = {k: v for k, v in before.items() if after.get(k) != v}
    if previous:
        account.emit("plan.updated", after, previous, now=now)
    return after


def delete_plan(account: Account, now: int, price: Obj) -> Obj:
    """The price behind a deleted plan is deactivated, not removed."""
    account.emit("plan.deleted", catalog.plan_view(price), now=now)
    account.update(price, {"active": False})
    return {"id": price["id"], "object": "plan", "deleted": True}


def _rename(account: Account, price: Obj, new_id: str) -> None:
    """Stripe lets a plan choose its id; the price behind it answers to the same id."""
    account.delete(price)
    price["id"] = new_id
    account.insert(price)
