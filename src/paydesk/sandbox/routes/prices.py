"""`/v1/prices`: parse, then call one operation (operations/prices.py)."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.listing import both, equals, paginate
from paydesk.sandbox.operations.prices import create_price, update_price
from paydesk.sandbox.params import (
    check_known,
    get_bool,
    get_currency,
    get_dict,
    get_enum,
    get_list,
    get_str,
)
from paydesk.sandbox.routing import Call, api

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
_UPDATE_FIELDS = {
    "active",
    "metadata",
    "nickname",
    "lookup_key",
    "transfer_lookup_key",
    "tax_behavior",
    "currency_options",
}


@api.route("POST", "/v1/prices")
def create(call: Call) -> Obj:
    check_known(call.params, _FIELDS)
    return create_price(call.account, call.now, call.params)


api.retrieve("/v1/prices/{id}", "price")


@api.route("POST", "/v1/prices/{id}")
def update(call: Call) -> Obj:
    check_known(call.params, _UPDATE_FIELDS)
    price = call.account.get(call.args[0], "price")
    return update_price(call.account, call.now, price, call.params)


@api.route("GET", "/v1/prices")
def list_all(call: Call) -> Obj:
    p = call.params
    active = get_bool(p, "active") if "active" in p else None
    currency = get_currency(p, required=False)
    product = get_str(p, "product")
    kind = get_enum(p, "type", ("one_time", "recurring"))
    keys = get_list(p, "lookup_keys")
    recurring = get_dict(p, "recurring") or {}
    interval = recurring.get("interval")
    keep = both(
        equals("active", active),
        equals("currency", currency),
        equals("product", product),
        equals("type", kind),
        (lambda o: o.get("lookup_key") in keys) if keys else None,
        (lambda o: (o.get("recurring") or {}).get("interval") == interval) if interval else None,
    )
    return paginate(call.account, "price", p, "/v1/prices", keep)
