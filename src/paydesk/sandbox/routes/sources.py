"""`/v1/customers/{id}/sources`: a customer's saved cards (operations/sources.py)."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Obj
from paydesk.sandbox.errors import CardError
from paydesk.sandbox.expand import VIRTUAL
from paydesk.sandbox.listing import equals, one_page, paginate
from paydesk.sandbox.objects.card import ADDRESS
from paydesk.sandbox.operations import sources as ops
from paydesk.sandbox.params import apply_metadata, check_known, get_int, get_str, req_str
from paydesk.sandbox.routing import Call, api

# A customer no longer carries its sources unless asked: `expand[]=sources` builds the list.
VIRTUAL[("customer", "sources")] = ops.sources


@api.route("POST", "/v1/customers/{id}/sources")
def create_customer_source(call: Call) -> Obj:
    check_known(call.params, {"source", "metadata", "validate"})
    customer = call.account.get(call.args[0], "customer")
    return ops.add_source(call.account, customer, req_str(call.params, "source"), now=call.now)


@api.route("GET", "/v1/customers/{id}/sources/{source}")
def retrieve_customer_source(call: Call) -> Obj:
    customer = call.account.get(call.args[0], "customer")
    return ops.source_of(call.account, customer, call.args[1])


@api.route("GET", "/v1/customers/{id}/sources")
def list_customer_sources(call: Call) -> Obj:
    customer = call.account.get(call.args[0], "customer")
    kind = get_str(call.params, "object")
    if kind not in (None, "card"):
        return one_page([], call.path)
    call.params.pop("object", None)
    keep = equals("customer", customer["id"])
    return paginate(call.account, "card", call.params, call.path, keep)


_SOURCE_UPDATE = {
    *(f"address_{k}" for k in ADDRESS),
    "exp_month",
    "exp_year",
    "metadata",
    "name",
}


@api.route("POST", "/v1/customers/{id}/sources/{source}")
def update_customer_source(call: Call) -> Obj:
    p = call.params
    check_known(p, _SOURCE_UPDATE)
    card = retrieve_customer_source(call)
    changes: dict[str, Any] = {}
    for name in ("name", *(f"address_{k}" for k in ADDRESS)):
        if name in p:
            changes[name] = get_str(p, name) or None
    if "exp_month" in p:
        changes["exp_month"] = _expiry(p, "exp_month", 1, 12)
    if "exp_year" in p:
        year = _expiry(p, "exp_year", 0, 9999)
        changes["exp_year"] = year + 2000 if year < 100 else year
    if "metadata" in p:
        changes["metadata"] = apply_metadata(card.get("metadata") or {}, p)
    return ops.update_source(call.account, call.now, card, changes)


def _expiry(p: dict[str, Any], name: str, low: int, high: int) -> int:
    value = get_int(p, name)
    if value is None or not low <= value <= high:
        field = "month" if name == "exp_month" else "year"
        raise CardError(
            f"Your card's expiration {field} is invalid.",
            code=f"invalid_expiry_{field}",
            param=name,
        )
    return value


@api.route("DELETE", "/v1/customers/{id}/sources/{source}")
def delete_customer_source(call: Call) -> Obj:
    customer = call.account.get(call.args[0], "customer")
    card = ops.source_of(call.account, customer, call.args[1])
    return ops.delete_source(call.account, call.now, customer, card)
