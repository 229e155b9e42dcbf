"""`/v1/charges`: parse, then call one operation (operations/charges.py; capturing,
operations/captures.py)."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.listing import both, equals, paginate
from paydesk.sandbox.operations import charges as ops
from paydesk.sandbox.operations.captures import capture_charge as capture
from paydesk.sandbox.params import (
    apply_metadata,
    check_known,
    get_bool,
    get_currency,
    get_dict,
    get_int,
    get_str,
    req_int,
)
from paydesk.sandbox.routing import Call, api

_CREATE_FIELDS = {
    "amount",
    "currency",
    "source",
    "customer",
    "capture",
    "description",
    "metadata",
    "receipt_email",
    "shipping",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "transfer_group",
    "application_fee_amount",
    "on_behalf_of",
    "transfer_data",
    "radar_options",
}
_CAPTURE_FIELDS = {
    "amount",
    "receipt_email",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "application_fee",
    "application_fee_amount",
    "transfer_data",
    "transfer_group",
}
_UPDATABLE = {
    "description",
    "metadata",
    "receipt_email",
    "shipping",
    "fraud_details",
    "transfer_group",
    "customer",
}


@api.route("POST", "/v1/charges")
def create_charge(call: Call) -> Obj:
    p = call.params
    check_known(p, _CREATE_FIELDS)
    account = call.account
    amount = req_int(p, "amount", minimum=1)
    if amount > 99999999:
        raise InvalidRequest(
            "Amount must be no more than 999,999.99", param="amount", code="amount_too_large"
        )
    currency = get_currency(p)
    customer_id = get_str(p, "customer")
    customer = account.get(customer_id, "customer", "customer") if customer_id else None
    capture = get_bool(p, "capture", default=True)
    fields: Obj = {
        "amount": amount,
        "currency": currency,
        "customer": customer["id"] if customer else None,
        "metadata": apply_metadata({}, p),
        "shipping": get_dict(p, "shipping"),
    }
    for name in (
        "description",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "transfer_group",
    ):
        fields[name] = get_str(p, name) or None
    raw = p.get("source")
    source = raw if isinstance(raw, dict) else get_str(p, "source")
    return ops.create_charge(
        account, call.now, call.base_url, fields, source=source, customer=customer, capture=capture
    )


api.retrieve("/v1/charges/{id}", "charge")


@api.route("POST", "/v1/charges/{id}")
def update_charge(call: Call) -> Obj:
    p = call.params
    check_known(p, _UPDATABLE)
    account = call.account
    charge = account.get(call.args[0], "charge")
    changes: dict[str, Any] = {}
    for name in ("description", "receipt_email", "transfer_group"):
        if name in p:
            changes[name] = get_str(p, name) or None
    if "metadata" in p:
        changes["metadata"] = apply_metadata(charge["metadata"], p)
    if "customer" in p:
        changes["customer"] = account.get(get_str(p, "customer"), "customer", "customer")["id"]
    fraud = get_dict(p, "fraud_details")
    if fraud is not None:
        changes["fraud_details"] = {"user_report": fraud.get("user_report")}
    if "shipping" in p:
        changes["shipping"] = get_dict(p, "shipping")
    return ops.update_charge(account, call.now, charge, changes)


@api.route("GET", "/v1/charges")
def list_charges(call: Call) -> Obj:
    p = call.params
    pi_id = get_str(p, "payment_intent")
    customer = get_str(p, "customer")
    keep = both(
        equals("payment_intent", pi_id),
        equals("customer", customer),
    )
    return paginate(call.account, "charge", p, "/v1/charges", keep)


@api.route("POST", "/v1/charges/{id}/capture")
def capture_charge(call: Call) -> Obj:
    p = call.params
    check_known(p, _CAPTURE_FIELDS)
    charge = call.account.get(call.args[0], "charge")
    amount = get_int(p, "amount", minimum=1)
    receipt_email = (get_str(p, "receipt_email") or "") if "receipt_email" in p else None
    return capture(call.account, call.now, charge, amount, receipt_email=receipt_email)
