"""Products: create, update, delete, with their events. A product with a default price is made
by operations/prices.py (prices need products, never the other way round)."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.objects.product import product as product_skeleton
from paydesk.sandbox.params import apply_metadata, get_bool, get_dict, get_list, get_str


def create_product(account: Account, now: int, params: dict[str, Any], param: str = "") -> Obj:
    """Insert a product from create parameters (also `product_data` inline, then `param` names
    the container in errors); emits product.created."""
    obj_id = get_str(params, "id") or account.new_id("prod")
    if account.find(obj_id) is not None:
        raise InvalidRequest(
            "Product already exists.", param=_named(param, "id"), code="resource_already_exists"
        )
    product = product_skeleton(obj_id, now, _name(params, param))
    product["active"] = get_bool(params, "active", True)
    product.update(_changes(account, params, product))
    account.insert(product)
    account.emit("product.created", product, now=now)
    return product


def update_product(account: Account, now: int, product: Obj, params: dict[str, Any]) -> Obj:
    previous = account.update(product, _changes(account, params, product))
    if previous:
        account.update(product, {"updated": now})
        account.emit("product.updated", product, previous, now=now)
    return product


def delete_product(account: Account, now: int, product: Obj) -> Obj:
    pid = product["id"]
    if any(True for _ in account.newest("price", lambda pr: pr.get("product") == pid)):
        raise InvalidRequest(
            "This product cannot be deleted because it has one or more user-created prices."
        )
    account.emit("product.deleted", product, now=now)
    return account.delete(product)


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
        changes["package_dimensions"] = _dimensions(get_dict(p, "package_dimensions"))
    if "metadata" in p:
        changes["metadata"] = apply_metadata(product.get("metadata") or {}, p)
    if "default_price" in p and product.get("id"):
        changes["default_price"] = _default_price(account, p, product)
    return changes


def _dimensions(dims: dict[str, Any] | None) -> dict[str, float] | None:
    if not dims:
        return None
    return {k: float(dims[k]) for k in ("height", "length", "weight", "width") if k in dims}


def _default_price(account: Account, p: dict[str, Any], product: Obj) -> str | None:
    price_id = get_str(p, "default_price")
    if price_id:
        price = account.get(price_id, "price", "default_price")
        if price["product"] != product["id"]:
            raise InvalidRequest(
                "The default price must belong to this product.", param="default_price"
            )
    return price_id or None
