"""Prices: create (with `product_data` inline), update, `lookup_key` (+ `transfer_lookup_key`),
inline prices for Checkout's `line_items[].price_data`, and a product with its default price."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.objects.price import INTERVALS, TAX_BEHAVIORS
from paydesk.sandbox.objects.price import price as price_skeleton
from paydesk.sandbox.objects.price import recurring as recurring_skeleton
from paydesk.sandbox.operations.products import create_product
from paydesk.sandbox.params import (
    apply_metadata,
    get_bool,
    get_currency,
    get_dict,
    get_enum,
    get_int,
    get_str,
)

_MAX_DECIMAL = Decimal(10) ** 12


def create_price(account: Account, now: int, data: dict[str, Any], param: str = "") -> Obj:
    """Insert a price from create parameters; `param` prefixes names in errors (`price_data[`).
    Every parameter is checked before anything is made: a refusal changes nothing."""
    name = _namer(param)
    currency = _currency(data, name("currency"))
    product_id = get_str(data, "product")
    product_data = get_dict(data, "product_data")
    if not product_id and product_data is None:
        raise InvalidRequest(
            f"Missing required param: {name('product')}.",
            param=name("product"),
            code="parameter_missing",
        )
    product = account.get(product_id, "product", name("product")) if product_id else None
    owner = product["id"] if product is not None else None
    price = price_skeleton(account.new_id("price"), now, currency, owner)
    price.update(_fields(data, param))
    if price["lookup_key"]:
        transfer = get_bool(data, "transfer_lookup_key")
        _take_lookup_key(account, now, price["lookup_key"], transfer, name("lookup_key"))
    if product is None:
        assert product_data is not None
        price["product"] = create_product(account, now, product_data, name("product_data"))["id"]
    account.insert(price)
    account.emit("price.created", price, now=now)
    return price


def inline_price(
    account: Account, now: int, price_data: dict[str, Any], param: str, active: bool = False
) -> Obj:
    """An inline price (and product from `product_data`) for `line_items[].price_data`; Stripe
    makes such prices inactive so they never show in the catalog."""
    data = {k: v for k, v in price_data.items() if k not in ("lookup_key", "active")}
    price = create_price(account, now, data, param)
    if not active:
        account.update(price, {"active": False})
    return price


def create_product_with_price(account: Account, now: int, params: dict[str, Any]) -> Obj:
    """`POST /v1/products`: the product, and its default price from `default_price_data`."""
    default = get_dict(params, "default_price_data")
    product = create_product(
        account, now, {k: v for k, v in params.items() if k != "default_price"}
    )
    if default is not None:
        data = {**default, "product": product["id"]}
        price = inline_price(account, now, data, "default_price_data", active=True)
        account.update(product, {"default_price": price["id"]})
    return product


def update_price(account: Account, now: int, price: Obj, p: dict[str, Any]) -> Obj:
    previous = account.update(price, price_changes(account, now, price, p))
    if previous:
        account.emit("price.updated", price, previous, now=now)
    return price


def price_changes(account: Account, now: int, price: Obj, p: dict[str, Any]) -> dict[str, Any]:
    """The fields an update of `price` sets (a lookup key it takes is freed elsewhere first)."""
    changes: dict[str, Any] = {}
    if "active" in p:
        changes["active"] = get_bool(p, "active", True)
    if "nickname" in p:
        changes["nickname"] = get_str(p, "nickname") or None
    if "metadata" in p:
        changes["metadata"] = apply_metadata(price["metadata"], p)
    if "tax_behavior" in p:
        changes["tax_behavior"] = get_enum(p, "tax_behavior", TAX_BEHAVIORS)
    if "lookup_key" in p:
        key = get_str(p, "lookup_key") or None
        if key and key != price.get("lookup_key"):
            _take_lookup_key(account, now, key, get_bool(p, "transfer_lookup_key"), "lookup_key")
        changes["lookup_key"] = key
    return changes


def _namer(param: str) -> Callable[[str], str]:
    """Names parameters inside a container (`price_data[currency]`) for error messages."""
    return (lambda n: f"{param}[{n}]") if param else (lambda n: n)


def _fields(data: dict[str, Any], param: str) -> dict[str, Any]:
    """The price's fields that come from its parameters, each checked."""
    name = _namer(param)
    amount, decimal = _unit_amount(data, name("unit_amount_decimal"))
    custom = get_dict(data, "custom_unit_amount")
    if decimal is None and custom is None:
        raise InvalidRequest(
            f"Missing required param: {name('unit_amount')}.",
            param=name("unit_amount"),
            code="parameter_missing",
        )
    recurring = _recurring(data, name("recurring"))
    return {
        "active": get_bool(data, "active", True),
        "billing_scheme": get_enum(data, "billing_scheme", ("per_unit", "tiered"), "per_unit"),
        "custom_unit_amount": _custom(custom),
        "lookup_key": get_str(data, "lookup_key") or None,
        "metadata": apply_metadata({}, data),
        "nickname": get_str(data, "nickname"),
        "recurring": recurring,
        "tax_behavior": get_enum(data, "tax_behavior", TAX_BEHAVIORS, "unspecified"),
        "type": "recurring" if recurring else "one_time",
        "unit_amount": amount,
        "unit_amount_decimal": decimal,
    }


def _custom(custom: dict[str, Any] | None) -> Obj | None:
    if not custom:
        return None
    return {
        "maximum": get_int(custom, "maximum"),
        "minimum": get_int(custom, "minimum"),
        "preset": get_int(custom, "preset"),
    }


def _recurring(data: dict[str, Any], param: str) -> Obj | None:
    rec = get_dict(data, "recurring")
    if rec is None:
        return None
    interval = get_enum(rec, "interval", INTERVALS)
    if interval is None:
        raise InvalidRequest(
            f"Missing required param: {param}[interval].",
            param=f"{param}[interval]",
            code="parameter_missing",
        )
    return recurring_skeleton(
        interval,
        get_int(rec, "interval_count", minimum=1) or 1,
        get_int(rec, "trial_period_days"),
        get_enum(rec, "usage_type", ("licensed", "metered"), "licensed") or "licensed",
    )


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
            raise InvalidRequest(f"Invalid decimal: {raw}", param=param) from None
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


def _take_lookup_key(account: Account, now: int, key: str, transfer: bool, param: str) -> None:
    """Stripe keeps lookup keys unique per account; `transfer_lookup_key` moves one."""
    for other in account.newest("price", lambda pr: pr.get("lookup_key") == key):
        if not transfer:
            raise InvalidRequest(
                f"A price (`{other['id']}`) already uses that lookup key.",
                param=param,
            )
        previous = account.update(other, {"lookup_key": None})
        account.emit("price.updated", other, previous, now=now)
