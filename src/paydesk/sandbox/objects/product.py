"""A product as Stripe shapes it."""

from __future__ import annotations

from paydesk.sandbox.account import Obj


def product(obj_id: str, created: int, name: str) -> Obj:
    return {
        "id": obj_id,
        "object": "product",
        "active": True,
        "created": created,
        "default_price": None,
        "description": None,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": {},
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": created,
        "url": None,
    }
