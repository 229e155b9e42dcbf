"""`/v1/products`: parse, then call one operation (operations/products.py, or prices.py for a
product made with its default price)."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.listing import both, equals, paginate
from paydesk.sandbox.operations.prices import create_product_with_price
from paydesk.sandbox.operations.products import delete_product, update_product
from paydesk.sandbox.params import check_known, get_bool, get_list
from paydesk.sandbox.routing import Call, api

_FIELDS = {
    "id",
    "name",
    "active",
    "description",
    "images",
    "metadata",
    "default_price_data",
    "default_price",
    "shippable",
    "statement_descriptor",
    "tax_code",
    "unit_label",
    "url",
    "marketing_features",
    "package_dimensions",
    "type",
}


@api.route("POST", "/v1/products")
def create(call: Call) -> Obj:
    check_known(call.params, _FIELDS)
    return create_product_with_price(call.account, call.now, call.params)


api.retrieve("/v1/products/{id}", "product")


@api.route("POST", "/v1/products/{id}")
def update(call: Call) -> Obj:
    check_known(call.params, _FIELDS - {"id", "default_price_data", "type"})
    product = call.account.get(call.args[0], "product")
    return update_product(call.account, call.now, product, call.params)


@api.route("DELETE", "/v1/products/{id}")
def delete(call: Call) -> Obj:
    product = call.account.get(call.args[0], "product")
    return delete_product(call.account, call.now, product)


@api.route("GET", "/v1/products")
def list_all(call: Call) -> Obj:
    p = call.params
    active = get_bool(p, "active") if "active" in p else None
    ids = get_list(p, "ids")
    shippable = get_bool(p, "shippable") if "shippable" in p else None
    keep = both(
        equals("active", active),
        (lambda o: o["id"] in ids) if ids else None,
        equals("shippable", shippable),
    )
    return paginate(call.account, "product", p, "/v1/products", keep)
