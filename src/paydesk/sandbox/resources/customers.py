"""Customers: create, retrieve, update, delete, list (with `email`)."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Obj
from paydesk.sandbox.clock import frozen, now
from paydesk.sandbox.listing import paginate
from paydesk.sandbox.params import apply_metadata, check_known, get_dict, get_str
from paydesk.sandbox.resources.tokens import add_source
from paydesk.sandbox.routing import Call, api

_FIELDS = {
    "email",
    "name",
    "description",
    "phone",
    "metadata",
    "address",
    "shipping",
    "payment_method",
    "invoice_settings",
    "preferred_locales",
    "tax_exempt",
    "test_clock",
    "balance",
    "source",
    "invoice_prefix",
    "next_invoice_sequence",
}
_ADDRESS = ("city", "country", "line1", "line2", "postal_code", "state")


def _address(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {k: value.get(k) for k in _ADDRESS}


def _apply(call: Call, customer: Obj) -> dict[str, Any]:
    p = call.params
    changes: dict[str, Any] = {}
    for name in ("email", "name", "description", "phone"):
        if name in p:
            changes[name] = get_str(p, name) or None
    if "address" in p:
        changes["address"] = _address(get_dict(p, "address"))
    if "shipping" in p:
        shipping = get_dict(p, "shipping")
        changes["shipping"] = (
            {
                "address": _address(shipping.get("address") or {}),
                "name": shipping.get("name"),
                "phone": shipping.get("phone"),
            }
            if shipping
            else None
        )
    if "metadata" in p:
        changes["metadata"] = apply_metadata(customer.get("metadata") or {}, p)
    if "tax_exempt" in p:
        changes["tax_exempt"] = get_str(p, "tax_exempt")
    if "preferred_locales" in p:
        changes["preferred_locales"] = list(p["preferred_locales"] or [])
    settings = get_dict(p, "invoice_settings")
    if settings is not None:
        merged = dict(customer.get("invoice_settings") or {})
        if "default_payment_method" in settings:
            pm_id = settings["default_payment_method"] or None
            if pm_id:
                call.account.get(
                    pm_id, "payment_method", "invoice_settings[default_payment_method]"
                )
            merged["default_payment_method"] = pm_id
        if "footer" in settings:
            merged["footer"] = settings["footer"] or None
        changes["invoice_settings"] = merged
    return changes


def _test_clock(call: Call) -> Obj | None:
    """A customer made on a test clock lives in its time from birth (it cannot move later)."""
    clock_id = get_str(call.params, "test_clock")
    if not clock_id:
        return None
    return call.account.get(clock_id, "test_helpers.test_clock", "test_clock")


@api.route("POST", "/v1/customers")
def create_customer(call: Call) -> Obj:
    check_known(call.params, _FIELDS)
    clock = _test_clock(call)
    with frozen(clock["frozen_time"] if clock else None):
        return _create_customer(call, clock["id"] if clock else None)


def _create_customer(call: Call, clock_id: str | None) -> Obj:
    account = call.account
    customer: Obj = {
        "id": account.new_id("cus"),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "invoice_prefix": account.new_id("x")[2:10].upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": clock_id,
        "customer_account": None,
    }
    customer.update(_apply(call, customer))
    account.insert(customer)
    pm_id = get_str(call.params, "payment_method")
    if pm_id:
        pm = account.get(pm_id, "payment_method", "payment_method")
        account.update(pm, {"customer": customer["id"]})
        account.emit("payment_method.attached", pm, now=now())
    account.emit("customer.created", customer, now=now())
    source = get_str(call.params, "source")
    if source:
        add_source(account, customer, source, created=True)
    return customer


@api.route("GET", "/v1/customers/{id}")
def retrieve_customer(call: Call) -> Obj:
    obj = call.account.find(call.args[0])
    if obj is not None and obj.get("object") == "customer" and obj.get("deleted"):
        return obj  # Stripe answers a deleted customer with its stub, not a 404
    return call.account.get(call.args[0], "customer")


@api.route("POST", "/v1/customers/{id}")
def update_customer(call: Call) -> Obj:
    check_known(call.params, _FIELDS - {"test_clock"})
    customer = call.account.get(call.args[0], "customer")
    previous = call.account.update(customer, _apply(call, customer))
    if previous:
        call.account.emit("customer.updated", customer, previous, now=now())
    source = get_str(call.params, "source")
    if source:
        add_source(call.account, customer, source, make_default=True)
    return customer


@api.route("DELETE", "/v1/customers/{id}")
def delete_customer(call: Call) -> Obj:
    customer = call.account.get(call.args[0], "customer")
    call.account.emit("customer.deleted", customer, now=now())
    return call.account.delete(customer)


@api.route("GET", "/v1/customers")
def list_customers(call: Call) -> Obj:
    email = get_str(call.params, "email")
    keep = (lambda c: c.get("email") == email) if email else None
    return paginate(call.account, "customer", call.params, "/v1/customers", keep)
