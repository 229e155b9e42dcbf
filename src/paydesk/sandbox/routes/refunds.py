"""`/v1/refunds` (and a charge's): parse, then call one operation (operations/refunds.py)."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.listing import both, equals, paginate
from paydesk.sandbox.operations import refunds as ops
from paydesk.sandbox.params import apply_metadata, check_known, get_enum, get_int, get_str
from paydesk.sandbox.routing import Call, api

_FIELDS = {
    "charge",
    "payment_intent",
    "amount",
    "reason",
    "metadata",
    "instructions_email",
    "refund_application_fee",
    "reverse_transfer",
    "origin",
}


@api.route("POST", "/v1/refunds")
def create(call: Call) -> Obj:
    p = call.params
    check_known(p, _FIELDS)
    charge = ops.refunded_charge(call.account, get_str(p, "charge"), get_str(p, "payment_intent"))
    return ops.create_refund(
        call.account,
        charge=charge,
        amount=get_int(p, "amount", minimum=1),
        reason=get_enum(p, "reason", ops.REASONS),
        metadata=apply_metadata({}, p),
        now=call.now,
    )


api.retrieve("/v1/refunds/{id}", "refund")


@api.route("POST", "/v1/refunds/{id}")
def update(call: Call) -> Obj:
    check_known(call.params, {"metadata"})
    refund = call.account.get(call.args[0], "refund")
    return ops.update_refund(call.account, call.now, refund, call.params)


@api.route("POST", "/v1/refunds/{id}/cancel")
def cancel_refund(call: Call) -> Obj:
    refund = call.account.get(call.args[0], "refund")
    raise InvalidRequest(
        f"Refund {refund['id']} cannot be canceled because it has a status of "
        f"{refund['status']}. Only refunds with a status of requires_action can be canceled.",
    )


@api.route("GET", "/v1/refunds")
def list_refunds(call: Call) -> Obj:
    p = call.params
    charge = get_str(p, "charge")
    pi = get_str(p, "payment_intent")
    keep = both(
        equals("charge", charge),
        equals("payment_intent", pi),
    )
    return paginate(call.account, "refund", p, "/v1/refunds", keep)


@api.route("GET", "/v1/charges/{id}/refunds")
def list_charge_refunds(call: Call) -> Obj:
    charge = call.account.get(call.args[0], "charge")
    keep = equals("charge", charge["id"])
    return paginate(
        call.account, "refund", call.params, f"/v1/charges/{charge['id']}/refunds", keep
    )
