"""Capturing a charge: a bare charge is captured here, one that belongs to a PaymentIntent
through its intent. Kept apart from charges.py so that charges need not import
payment_intents (which builds on charges): no import cycle."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.operations.balance import record_charge
from paydesk.sandbox.operations.payment_intents import capture_intent
from paydesk.sandbox.operations.refunds import refund_uncaptured


def capture_charge(
    account: Account,
    now: int,
    charge: Obj,
    amount: int | None,
    *,
    receipt_email: str | None = None,
) -> Obj:
    """Capture `amount` (all by default) of an authorised charge; the rest is refunded.
    `receipt_email`: set on a bare charge ("" clears it); None leaves it."""
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
    if amount is not None and amount > int(charge["amount"]):
        raise InvalidRequest(
            f"Amount must be no more than the amount of the charge ({charge['amount']}).",
            param="amount",
            code="amount_too_large",
        )
    if charge.get("payment_intent"):
        # A PaymentIntent's charge is captured through its intent, so both stay in step.
        pi = account.get(charge["payment_intent"], "payment_intent")
        capture_intent(account, pi, amount, now=now)
        return charge
    captured = amount or int(charge["amount"])
    changes: dict[str, Any] = {
        "captured": True,
        "amount_captured": captured,
        "balance_transaction": record_charge(account, charge, captured, now=now),
    }
    if receipt_email is not None:
        changes["receipt_email"] = receipt_email or None
    previous = account.update(charge, changes)
    account.emit("charge.captured", charge, previous, now=now)
    if captured < int(charge["amount"]):
        refund_uncaptured(account, charge, int(charge["amount"]) - captured, now=now)
    return charge
