"""`/v1/payment_methods` (and a customer's): parse, then call one operation
(operations/payment_methods.py)."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Obj
from paydesk.sandbox.listing import paginate
from paydesk.sandbox.operations import payment_methods as ops
from paydesk.sandbox.params import check_known, get_str, req_str
from paydesk.sandbox.routing import Call, api

_FIELDS = {
    "type",
    "card",
    "sepa_debit",
    "billing_details",
    "metadata",
    "allow_redisplay",
    "customer",
    "payment_method",
}


@api.route("POST", "/v1/payment_methods")
def create(call: Call) -> Obj:
    check_known(call.params, _FIELDS)
    return ops.create_payment_method(call.account, call.now, call.params)


@api.route("GET", "/v1/payment_methods/{id}")
def retrieve(call: Call) -> Obj:
    return ops.resolve(call.account, call.args[0], "payment_method", now=call.now)


@api.route("POST", "/v1/payment_methods/{id}")
def update(call: Call) -> Obj:
    check_known(call.params, {"billing_details", "metadata", "card", "allow_redisplay"})
    pm = call.account.get(call.args[0], "payment_method")
    return ops.update_payment_method(call.account, call.now, pm, call.params)


@api.route("POST", "/v1/payment_methods/{id}/attach")
def attach(call: Call) -> Obj:
    check_known(call.params, {"customer", "customer_account"})
    account = call.account
    customer = account.get(req_str(call.params, "customer"), "customer", "customer")
    pm = ops.resolve(account, call.args[0], "payment_method", now=call.now)
    return ops.attach(account, pm, customer["id"], now=call.now)


@api.route("POST", "/v1/payment_methods/{id}/detach")
def detach(call: Call) -> Obj:
    pm = call.account.get(call.args[0], "payment_method")
    return ops.detach(call.account, call.now, pm)


@api.route("GET", "/v1/payment_methods")
def list_payment_methods(call: Call) -> Obj:
    p = call.params
    customer = get_str(p, "customer")
    kind = get_str(p, "type")
    keep = _filter(customer, kind)
    return paginate(call.account, "payment_method", p, "/v1/payment_methods", keep)


@api.route("GET", "/v1/customers/{id}/payment_methods")
def list_customer_payment_methods(call: Call) -> Obj:
    customer = call.account.get(call.args[0], "customer")
    keep = _filter(customer["id"], get_str(call.params, "type"))
    url = f"/v1/customers/{customer['id']}/payment_methods"
    return paginate(call.account, "payment_method", call.params, url, keep)


def _filter(customer: str | None, kind: str | None) -> Any:
    if customer is None and kind is None:
        return None
    return lambda pm: (
        (customer is None or pm.get("customer") == customer)
        and (kind is None or pm.get("type") == kind)
    )
