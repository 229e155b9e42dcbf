"""Products: create (with `default_price_data`), retrieve, update, delete, list."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.clock import now
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.listing import both, paginate
from paydesk.sandbox.params import (
    apply_metadata,
    check_known,
    get_bool,
    get_dict,
    get_list,
    get_str,
)
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


def new_product(account: Account, params: dict[str, Any], param: str = "") -> Obj:
    """Insert a product from create parameters (also `product_data` inline, then `param` names
    the container in errors); emits product.created."""
    obj_id = get_str(params, "id") or account.new_id("prod")
    if account.find(obj_id) is not None:
        raise InvalidRequest(
            "Product already exists.", param=_named(param, "id"), code="resource_already_exists"
        )
    created = now()
    product: Obj = {
        "id": obj_id,
        "object": "product",
        "active": get_bool(params, "active", True),
        "created": created,
        "default_price": None,
        "description": None,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": {},
        "name": _name(params, param),
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": created,
        "url": None,
    }
    product.update(_changes(account, params, product))
    account.insert(product)
    account.emit("product.created", product, now=now())
    return product


def _named(container: str, name: str) -> str:
    return f"{container}[{name}]" if container else name


def _name(params: dict[str, Any], container: str) -> str:
    name = get_str(params, "name")
    if not name:
        param = _named(container, "name")
        raise InvalidRequest(
            f"Missing required param: {param}.", param=param, code="parameter_missing"
        )
    return name


def _changes(account: Account, p: dict[str, Any], product: Obj) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "name" in p:
        changes["name"] = _name(p, "")
    for name in ("description", "statement_descriptor", "tax_code", "unit_label", "url"):
        if name in p:
            changes[name] = get_str(p, name) or None
    if "active" in p:
        changes["active"] = get_bool(p, "active", True)
    if "shippable" in p:
        changes["shippable"] = get_bool(p, "shippable")
    if "images" in p:
        changes["images"] = [str(i) for i in get_list(p, "images") or []]
    if "marketing_features" in p:
        features = get_list(p, "marketing_features") or []
        changes["marketing_features"] = [
            {"name": f.get("name")} for f in features if isinstance(f, dict)
        ]
    if "package_dimensions" in p:
        dims = get_dict(p, "package_dimensions")
        changes["package_dimensions"] = (
            {k: float(dims[k]) for k in ("height", "length", "weight", "width") if k in dims}
            if dims
            else None
        )
    if "metadata" in p:
        changes["metadata"] = apply_metadata(product.get("metadata") or {}, p)
    if "default_price" in p and product.get("id"):
        price_id = get_str(p, "default_price")
        if price_id:
            price = account.get(price_id, "price", "default_price")
            if price["product"] != product["id"]:
                raise InvalidRequest(
                    "The default price must belong to this product.", param="default_price"
                )
        changes["default_price"] = price_id or None
    return changes


@api.route("POST", "/v1/products")
def create_product(call: Call) -> Obj:
    p = call.params
    check_known(p, _FIELDS)
    default = get_dict(p, "default_price_data")
    product = new_product(call.account, {k: v for k, v in p.items() if k != "default_price"})
    if default is not None:
        from paydesk.sandbox.resources.prices import price_from_data

        price = price_from_data(
            call.account, {**default, "product": product["id"]}, "default_price_data", True
        )
        call.account.update(product, {"default_price": price["id"]})
    return product


@api.route("GET", "/v1/products/{id}")
def retrieve_product(call: Call) -> Obj:
    return call.account.get(call.args[0], "product")


@api.route("POST", "/v1/products/{id}")
def update_product(call: Call) -> Obj:
    check_known(call.params, _FIELDS - {"id", "default_price_data", "type"})
    account = call.account
    product = account.get(call.args[0], "product")
    previous = account.update(product, _changes(account, call.params, product))
    if previous:
        account.update(product, {"updated": now()})
        account.emit("product.updated", product, previous, now=now())
    return product


@api.route("DELETE", "/v1/products/{id}")
def delete_product(call: Call) -> Obj:
    account = call.account
    product = account.get(call.args[0], "product")
    pid = product["id"]
    if any(True for _ in account.newest("price", lambda pr: pr.get("product") == pid)):
        raise InvalidRequest(
            "This product cannot be deleted because it has one or more user-created prices."
        )
    account.emit("product.deleted", product, now=now())
    return account.delete(product)


@api.route("GET", "/v1/products")
def list_products(call: Call) -> Obj:
    p = call.params
    active = get_bool(p, "active") if "active" in p else None
    ids = get_list(p, "ids")
    shippable = get_bool(p, "shippable") if "shippable" in p else None
    keep = both(
        (lambda o: o.get("active") == active) if active is not None else None,
        (lambda o: o["id"] in ids) if ids else None,
        (lambda o: o.get("shippable") == shippable) if shippable is not None else None,
    )
    return paginate(call.account, "product", p, "/v1/products", keep)
