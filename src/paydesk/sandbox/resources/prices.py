"""Prices: one-time and recurring, `lookup_key` (+ `transfer_lookup_key`), `product_data`
inline, and `price_from_data` for Checkout's `line_items[].price_data`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.clock import now
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.listing import both, paginate
from paydesk.sandbox.params import (
    apply_metadata,
    check_known,
    get_bool,
    get_currency,
    get_dict,
    get_enum,
    get_int,
    get_list,
    get_str,
)
from paydesk.sandbox.resources.products import new_product
from paydesk.sandbox.routing import Call, api

INTERVALS = ("day", "week", "month", "year")
_FIELDS = {
    "currency",
    "product",
    "product_data",
    "unit_amount",
    "unit_amount_decimal",
    "recurring",
    "lookup_key",
    "transfer_lookup_key",
    "nickname",
    "active",
    "metadata",
    "tax_behavior",
    "billing_scheme",
    "custom_unit_amount",
    "currency_options",
}


def _recurring(data: dict[str, Any], param: str) -> Obj | None:
    rec = get_dict(data, "recurring")
    if rec is None:
        return None
    interval = get_enum(rec, "interval", INTERVALS)
    if interval is None:
        raise InvalidRequest(
            f"Missing required param: {param}[recurring][interval].",
            param=f"{param}[recurring][interval]",
            code="parameter_missing",
        )
    count = get_int(rec, "interval_count", minimum=1) or 1
    return {
        "interval": interval,
        "interval_count": count,
        "meter": None,
        "trial_period_days": get_int(rec, "trial_period_days"),
        "usage_type": get_enum(rec, "usage_type", ("licensed", "metered"), "licensed"),
    }


_MAX_DECIMAL = Decimal(10) ** 12


def _unit_amount(data: dict[str, Any], param: str) -> tuple[int | None, str | None]:
    if data.get("unit_amount") not in (None, ""):
        amount = get_int(data, "unit_amount", minimum=0)
        return amount, str(amount)
    raw = get_str(data, "unit_amount_decimal")
    if raw:
        try:
            dec = Decimal(raw)
            # NaN, Infinity and 1e999999 parse; none is a price (nor fits 64 bits as an amount).
            if not dec.is_finite() or not 0 <= dec < _MAX_DECIMAL:
                raise InvalidOperation
        except InvalidOperation:
            raise InvalidRequest(
                f"Invalid decimal: {raw}", param=f"{param}unit_amount_decimal"
            ) from None
        return (int(dec) if dec == dec.to_integral_value() else None), raw
    return None, None


def _currency(data: dict[str, Any], param: str) -> str:
    try:
        value = get_currency(data, "currency")
    except InvalidRequest as error:
        error.param = param
        raise
    assert value is not None
    return value


def _take_lookup_key(account: Account, key: str, transfer: bool, param: str) -> None:
    """Stripe keeps lookup keys unique per account; `transfer_lookup_key` moves one."""
    for other in account.newest("price", lambda pr: pr.get("lookup_key") == key):
        if not transfer:
            raise InvalidRequest(
                f"A price (`{other['id']}`) already uses that lookup key.",
                param=f"{param}lookup_key",
            )
        previous = account.update(other, {"lookup_key": None})
        account.emit("price.updated", other, previous)


def new_price(account: Account, data: dict[str, Any], param: str = "") -> Obj:
    """Insert a price from create parameters; `param` prefixes names in errors (`price_data[`)."""
    prefix = f"{param}[" if param else ""
    close = "]" if param else ""

    def name(n: str) -> str:
        return f"{prefix}{n}{close}"

    currency = _currency(data, name("currency"))
    product_id = get_str(data, "product")
    product_data = get_dict(data, "product_data")
    if product_id:
        product: Obj | None = account.get(product_id, "product", name("product"))
    elif product_data is not None:
        product = None  # made once every parameter is checked: a refusal changes nothing
    else:
        raise InvalidRequest(
            f"Missing required param: {name('product')}.",
            param=name("product"),
            code="parameter_missing",
        )
    amount, decimal = _unit_amount(data, name(""))
    custom = get_dict(data, "custom_unit_amount")
    if decimal is None and custom is None:
        raise InvalidRequest(
            f"Missing required param: {name('unit_amount')}.",
            param=name("unit_amount"),
            code="parameter_missing",
        )
    recurring = _recurring(data, param or "")
    lookup_key = get_str(data, "lookup_key") or None
    price: Obj = {
        "id": account.new_id("price"),
        "object": "price",
        "active": get_bool(data, "active", True),
        "billing_scheme": get_enum(data, "billing_scheme", ("per_unit", "tiered"), "per_unit"),
        "created": now(),
        "currency": currency,
        "custom_unit_amount": (
            {
                "maximum": get_int(custom, "maximum"),
                "minimum": get_int(custom, "minimum"),
                "preset": get_int(custom, "preset"),
            }
            if custom
            else None
        ),
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": apply_metadata({}, data),
        "nickname": get_str(data, "nickname"),
        "product": product["id"] if product else None,
        "recurring": recurring,
        "tax_behavior": get_enum(
            data, "tax_behavior", ("inclusive", "exclusive", "unspecified"), "unspecified"
        ),
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": amount,
        "unit_amount_decimal": decimal,
    }
    if lookup_key:
        _take_lookup_key(account, lookup_key, get_bool(data, "transfer_lookup_key"), prefix)
    if product is None:
        assert product_data is not None
        price["product"] = new_product(account, product_data, name("product_data"))["id"]
    account.insert(price)
    account.emit("price.created", price)
    return price


def price_from_data(
    account: Account, price_data: dict[str, Any], param: str, active: bool = False
) -> Obj:
    """An inline price (and product from `product_data`) for `line_items[].price_data`; Stripe
    makes such prices inactive so they never show in the catalog."""
    data = {k: v for k, v in price_data.items() if k not in ("lookup_key", "active")}
    price = new_price(account, data, param)
    if not active:
        account.update(price, {"active": False})
    return price


@api.route("POST", "/v1/prices")
def create_price(call: Call) -> Obj:
    check_known(call.params, _FIELDS)
    return new_price(call.account, call.params)


@api.route("GET", "/v1/prices/{id}")
def retrieve_price(call: Call) -> Obj:
    return call.account.get(call.args[0], "price")


@api.route("POST", "/v1/prices/{id}")
def update_price(call: Call) -> Obj:
    p = call.params
    check_known(
        p,
        {
            "active",
            "metadata",
            "nickname",
            "lookup_key",
            "transfer_lookup_key",
            "tax_behavior",
            "currency_options",
        },
    )
    account = call.account
    price = account.get(call.args[0], "price")
    changes: dict[str, Any] = {}
    if "active" in p:
        changes["active"] = get_bool(p, "active", True)
    if "nickname" in p:
        changes["nickname"] = get_str(p, "nickname") or None
    if "metadata" in p:
        changes["metadata"] = apply_metadata(price["metadata"], p)
    if "tax_behavior" in p:
        changes["tax_behavior"] = get_enum(
            p, "tax_behavior", ("inclusive", "exclusive", "unspecified")
        )
    if "lookup_key" in p:
        key = get_str(p, "lookup_key") or None
        if key and key != price.get("lookup_key"):
            _take_lookup_key(account, key, get_bool(p, "transfer_lookup_key"), "")
        changes["lookup_key"] = key
    previous = account.update(price, changes)
    if previous:
        account.emit("price.updated", price, previous)
    return price


@api.route("GET", "/v1/prices")
def list_prices(call: Call) -> Obj:
    p = call.params
    active = get_bool(p, "active") if "active" in p else None
    currency = get_currency(p, required=False)
    product = get_str(p, "product")
    kind = get_enum(p, "type", ("one_time", "recurring"))
    keys = get_list(p, "lookup_keys")
    recurring = get_dict(p, "recurring") or {}
    interval = recurring.get("interval")
    keep = both(
        (lambda o: o.get("active") == active) if active is not None else None,
        (lambda o: o.get("currency") == currency) if currency else None,
        (lambda o: o.get("product") == product) if product else None,
        (lambda o: o.get("type") == kind) if kind else None,
        (lambda o: o.get("lookup_key") in keys) if keys else None,
        (lambda o: (o.get("recurring") or {}).get("interval") == interval) if interval else None,
    )
    return paginate(call.account, "price", p, "/v1/prices", keep)
