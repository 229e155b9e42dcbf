"""/v1/tax_rates, /v1/coupons, /v1/promotion_codes and /v1/plans."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.listing import both, equals, paginate
from paydesk.sandbox.objects.catalog import plan_view
from paydesk.sandbox.operations import catalog
from paydesk.sandbox.params import check_known, get_bool, get_str
from paydesk.sandbox.routing import Call, api

_TAX_RATE_FIELDS = {
    "display_name",
    "percentage",
    "inclusive",
    "active",
    "country",
    "state",
    "description",
    "jurisdiction",
    "tax_type",
    "metadata",
}


@api.route("POST", "/v1/tax_rates")
def create_tax_rate(call: Call) -> Obj:
    check_known(call.params, _TAX_RATE_FIELDS)
    return catalog.create_tax_rate(call.account, call.now, call.params)


api.retrieve("/v1/tax_rates/{id}", "tax_rate")


@api.route("POST", "/v1/tax_rates/{id}")
def update_tax_rate(call: Call) -> Obj:
    check_known(call.params, _TAX_RATE_FIELDS - {"percentage", "inclusive"})
    rate = call.account.get(call.args[0], "tax_rate")
    return catalog.update_tax_rate(call.account, call.now, rate, call.params)


@api.route("GET", "/v1/tax_rates")
def list_tax_rates(call: Call) -> Obj:
    p = call.params
    active = get_bool(p, "active") if "active" in p else None
    inclusive = get_bool(p, "inclusive") if "inclusive" in p else None
    keep = both(
        equals("active", active),
        equals("inclusive", inclusive),
    )
    return paginate(call.account, "tax_rate", p, "/v1/tax_rates", keep)


_COUPON_FIELDS = {
    "id",
    "percent_off",
    "amount_off",
    "currency",
    "duration",
    "duration_in_months",
    "max_redemptions",
    "redeem_by",
    "name",
    "metadata",
    "applies_to",
    "currency_options",
}


@api.route("POST", "/v1/coupons")
def create_coupon(call: Call) -> Obj:
    check_known(call.params, _COUPON_FIELDS)
    return catalog.create_coupon(call.account, call.now, call.params)


api.retrieve("/v1/coupons/{id}", "coupon")


@api.route("POST", "/v1/coupons/{id}")
def update_coupon(call: Call) -> Obj:
    check_known(call.params, {"name", "metadata", "currency_options"})
    coupon = call.account.get(call.args[0], "coupon")
    return catalog.update_coupon(call.account, call.now, coupon, call.params)


@api.route("DELETE", "/v1/coupons/{id}")
def delete_coupon(call: Call) -> Obj:
    coupon = call.account.get(call.args[0], "coupon")
    return catalog.delete_coupon(call.account, call.now, coupon)


@api.route("GET", "/v1/coupons")
def list_coupons(call: Call) -> Obj:
    return paginate(call.account, "coupon", call.params, "/v1/coupons")


_PROMO_FIELDS = {
    "promotion",
    "coupon",
    "code",
    "active",
    "customer",
    "expires_at",
    "max_redemptions",
    "restrictions",
    "metadata",
}


@api.route("POST", "/v1/promotion_codes")
def create_promotion_code(call: Call) -> Obj:
    check_known(call.params, _PROMO_FIELDS)
    return catalog.create_promotion_code(call.account, call.now, call.params)


api.retrieve("/v1/promotion_codes/{id}", "promotion_code")


@api.route("POST", "/v1/promotion_codes/{id}")
def update_promotion_code(call: Call) -> Obj:
    check_known(call.params, {"active", "metadata", "restrictions"})
    promo = call.account.get(call.args[0], "promotion_code")
    return catalog.update_promotion_code(call.account, call.now, promo, call.params)


@api.route("GET", "/v1/promotion_codes")
def list_promotion_codes(call: Call) -> Obj:
    p = call.params
    code = get_str(p, "code")
    coupon = get_str(p, "coupon")
    active = get_bool(p, "active") if "active" in p else None
    keep = both(
        equals("code", code),
        (lambda o: o["promotion"]["coupon"] == coupon) if coupon else None,
        equals("active", active),
    )
    return paginate(call.account, "promotion_code", p, "/v1/promotion_codes", keep)


_PLAN_FIELDS = {
    "id",
    "amount",
    "amount_decimal",
    "currency",
    "interval",
    "interval_count",
    "product",
    "nickname",
    "active",
    "metadata",
    "trial_period_days",
    "usage_type",
    "billing_scheme",
}


@api.route("POST", "/v1/plans")
def create_plan(call: Call) -> Obj:
    check_known(call.params, _PLAN_FIELDS)
    return catalog.create_plan(call.account, call.now, call.params)


def _recurring_price(call: Call) -> Obj:
    price = call.account.find(call.args[0])
    if price is None or price.get("object") != "price" or price.get("type") != "recurring":
        return call.account.get(call.args[0], "plan")  # Stripe's 404 naming a plan
    return call.account.get(call.args[0], "price")


@api.route("GET", "/v1/plans/{id}")
def retrieve_plan(call: Call) -> Obj:
    return plan_view(_recurring_price(call))


@api.route("POST", "/v1/plans/{id}")
def update_plan(call: Call) -> Obj:
    check_known(call.params, {"active", "metadata", "nickname", "trial_period_days"})
    return catalog.update_plan(call.account, call.now, _recurring_price(call), call.params)


@api.route("DELETE", "/v1/plans/{id}")
def delete_plan(call: Call) -> Obj:
    return catalog.delete_plan(call.account, call.now, _recurring_price(call))


@api.route("GET", "/v1/plans")
def list_plans(call: Call) -> Obj:
    p = call.params
    active = get_bool(p, "active") if "active" in p else None
    product = get_str(p, "product")
    keep = both(
        lambda o: o.get("type") == "recurring",
        equals("active", active),
        equals("product", product),
    )
    page = paginate(call.account, "price", p, "/v1/plans", keep)
    page["data"] = [plan_view(price) for price in page["data"]]
    return page
