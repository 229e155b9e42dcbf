"""`/v1/customers` (and a customer's tax ids): check, then call one operation
(operations/customers.py)."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.errors import ResourceMissing
from paydesk.sandbox.expand import VIRTUAL
from paydesk.sandbox.listing import equals, paginate
from paydesk.sandbox.operations import customers as ops
from paydesk.sandbox.params import check_known, get_str
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
    "tax_id_data",
}
# Stripe takes these on create only (a customer is born on its test clock, never moved).
_UPDATE_ONLY_AT_CREATE = {"tax_id_data", "test_clock"}

# `expand[]=tax_ids` on a customer, as Stripe offers it.
VIRTUAL[("customer", "tax_ids")] = ops.tax_id_list


@api.route("POST", "/v1/customers")
def create_customer(call: Call) -> Obj:
    check_known(call.params, _FIELDS)
    return ops.new_customer(call.account, call.now, call.params)


@api.route("GET", "/v1/customers/{id}")
def retrieve_customer(call: Call) -> Obj:
    obj = call.account.find(call.args[0])
    if obj is not None and obj.get("object") == "customer" and obj.get("deleted"):
        return obj  # Stripe answers a deleted customer with its stub, not a 404
    return call.account.get(call.args[0], "customer")


@api.route("POST", "/v1/customers/{id}")
def update_customer(call: Call) -> Obj:
    check_known(call.params, _FIELDS - _UPDATE_ONLY_AT_CREATE)
    customer = call.account.get(call.args[0], "customer")
    return ops.update_customer(call.account, call.now, customer, call.params)


@api.route("DELETE", "/v1/customers/{id}")
def delete_customer(call: Call) -> Obj:
    customer = call.account.get(call.args[0], "customer")
    return ops.delete_customer(call.account, call.now, customer)


@api.route("GET", "/v1/customers")
def list_customers(call: Call) -> Obj:
    email = get_str(call.params, "email")
    keep = equals("email", email)
    return paginate(call.account, "customer", call.params, "/v1/customers", keep)


@api.route("GET", "/v1/customers/{id}/tax_ids")
def list_customer_tax_ids(call: Call) -> Obj:
    customer = call.account.get(call.args[0], "customer")
    keep = equals("customer", customer["id"])
    return paginate(call.account, "tax_id", call.params, call.path, keep)


@api.route("GET", "/v1/customers/{id}/tax_ids/{tax_id}")
def retrieve_customer_tax_id(call: Call) -> Obj:
    customer = call.account.get(call.args[0], "customer")
    tax_id = call.account.get(call.args[1], "tax_id")
    if tax_id.get("customer") != customer["id"]:
        raise ResourceMissing("tax_id", call.args[1])
    return tax_id
