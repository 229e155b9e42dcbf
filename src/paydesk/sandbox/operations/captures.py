"""Capturing a charge (`POST /v1/charges/{id}/capture`): a bare charge is captured here, one
that belongs to a PaymentIntent through its intent. Kept apart from charges.py so that charges
need not import payment_intents (which builds on charges): no import cycle."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.operations.balance import record_charge
from paydesk.sandbox.operations.payment_intents import capture_intent
from paydesk.sandbox.operations.refunds import refund_uncaptured
from paydesk.sandbox.params import check_known, get_int, get_str
from paydesk.sandbox.routing import Call, api


@api.route("POST", "/v1/charges/{id}/capture")
def capture_charge(call: Call) -> Obj:
    p = call.params
    check_known(
        p,
        {
            "amount",
            "receipt_email",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "application_fee",
            "application_fee_amount",
            "transfer_data",
            "transfer_group",
        },
    )
    account = call.account
    charge = account.get(call.args[0], "charge")
    if charge["captured"]:
        raise InvalidRequest(
            f"Charge {charge['id']} has already been captured.",
            code="charge_already_captured",
        )
    if charge["status"] != "succeeded":
        raise InvalidRequest(
            f"Charge {charge['id']} cannot be captured because it has a status of "
            f"{charge['status']}.",
        )
    amount = get_int(p, "amount", minimum=1)
    if amount is not None and amount > int(charge["amount"]):
        raise InvalidRequest(
            f"Amount must be no more than the amount of the charge ({charge['amount']}).",
            param="amount",
            code="amount_too_large",
        )
    if charge.get("payment_intent"):
        # A PaymentIntent's charge is captured through its intent, so both stay in step.
        pi = account.get(charge["payment_intent"], "payment_intent")
        capture_intent(account, pi, amount, now=call.now)
        return charge
    captured = amount or int(charge["amount"])
    changes: dict[str, Any] = {
        "captured": True,
        "amount_captured": captured,
        "balance_transaction": record_charge(account, charge, captured, now=call.now),
    }
    if "receipt_email" in p:
        changes["receipt_email"] = get_str(p, "receipt_email") or None
    previous = account.update(charge, changes)
    account.emit("charge.captured", charge, previous, now=call.now)
    if captured < int(charge["amount"]):
        refund_uncaptured(account, charge, int(charge["amount"]) - captured, now=call.now)
    return charge
