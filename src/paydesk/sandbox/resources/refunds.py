"""Refunds: full or partial, by charge or payment intent; never more than what is left."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj, snapshot
from paydesk.sandbox.clock import now
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.listing import both, paginate
from paydesk.sandbox.params import apply_metadata, check_known, get_enum, get_int, get_str
from paydesk.sandbox.resources.balance_transactions import record_refund
from paydesk.sandbox.routing import Call, api

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def _money(amount: int, currency: str) -> str:
    if currency in ("jpy", "krw", "vnd", "clp", "isk", "ugx"):
        return f"{amount} {currency.upper()}"
    return f"${amount / 100:.2f}" if currency == "usd" else f"{amount / 100:.2f} {currency.upper()}"


def create_refund(
    account: Account,
    *,
    charge: Obj,
    amount: int | None,
    reason: str | None = None,
    metadata: dict[str, str] | None = None,
) -> Obj:
    """Refund `amount` (all that is left when None) of a captured charge; emits refund.created
    and charge.refunded."""
    if charge.get("status") != "succeeded" or not charge.get("captured"):
        raise InvalidRequest(
            f"Charge {charge['id']} has not been captured or did not succeed, so it cannot be "
            "refunded.",
            param="charge",
        )
    # What was never captured counts as refunded already (see refund_uncaptured).
    left = int(charge["amount"]) - int(charge["amount_refunded"])
    if left <= 0:
        raise InvalidRequest(
            f"Charge {charge['id']} has already been refunded.",
            code="charge_already_refunded",
            param="amount" if amount is not None else "charge",
        )
    if amount is None:
        amount = left
    if amount > left:
        currency = charge["currency"]
        raise InvalidRequest(
            f"Refund amount ({_money(amount, currency)}) is greater than unrefunded amount on "
            f"charge ({_money(left, currency)})",
            code="amount_too_large",
            param="amount",
        )
    refund = _new_refund(account, charge, amount, reason, metadata)
    refund["balance_transaction"] = record_refund(account, refund, charge)
    return _record(account, charge, refund)


def refund_uncaptured(account: Account, charge: Obj, amount: int) -> Obj:
    """A partial capture gives back the rest of the authorisation as Stripe does: a refund
    of it on the charge (`amount_refunded`, refund.created, charge.refunded). No money moved
    for it, so no balance transaction."""
    return _record(account, charge, _new_refund(account, charge, amount, None, None))


def _new_refund(
    account: Account,
    charge: Obj,
    amount: int,
    reason: str | None,
    metadata: dict[str, str] | None,
) -> Obj:
    return {
        "id": account.new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": now(),
        "currency": charge["currency"],
        "customer": charge.get("customer"),
        "customer_account": None,
        "destination_details": {
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
                "reference": None,
            },
            "type": "card",
        },
        "metadata": metadata or {},
        "payment_intent": charge.get("payment_intent"),
        "payment_method": charge.get("payment_method"),
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def _record(account: Account, charge: Obj, refund: Obj) -> Obj:
    account.insert(refund)
    refunds = dict(charge["refunds"])
    refunds["data"] = [snapshot(refund), *refunds["data"]]
    refunds["total_count"] = len(refunds["data"])
    refunded = int(charge["amount_refunded"]) + int(refund["amount"])
    previous = account.update(
        charge,
        {
            "amount_refunded": refunded,
            "refunded": refunded >= int(charge["amount"]),
            "refunds": refunds,
        },
    )
    previous.pop("refunds", None)
    account.emit("refund.created", refund)
    account.emit("charge.refunded", charge, previous)
    return refund


def _sync_charge_copy(account: Account, refund: Obj) -> None:
    """The charge's `refunds` list embeds refunds; keep its copy in step with updates."""
    charge = account.find(refund["charge"])
    if charge is None:
        return
    data = [
        snapshot(refund) if r.get("id") == refund["id"] else r for r in charge["refunds"]["data"]
    ]
    account.update(charge, {"refunds": {**charge["refunds"], "data": data}})


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
def create_refund_call(call: Call) -> Obj:
    p = call.params
    check_known(p, _FIELDS)
    account = call.account
    charge_id = get_str(p, "charge")
    pi_id = get_str(p, "payment_intent")
    if charge_id and pi_id:
        raise InvalidRequest(
            "You cannot specify both charge and payment_intent.", param="payment_intent"
        )
    if charge_id:
        charge = account.get(charge_id, "charge", "charge")
    elif pi_id:
        pi = account.get(pi_id, "payment_intent", "payment_intent")
        if pi["status"] != "succeeded" or not pi.get("latest_charge"):
            raise InvalidRequest(
                f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        charge = account.get(pi["latest_charge"], "charge", "payment_intent")
    else:
        raise InvalidRequest(
            "One of the following params should be provided for this request: payment_intent "
            "or charge.",
            param="charge",
            code="parameter_missing",
        )
    return create_refund(
        account,
        charge=charge,
        amount=get_int(p, "amount", minimum=1),
        reason=get_enum(p, "reason", REASONS),
        metadata=apply_metadata({}, p),
    )


@api.route("GET", "/v1/refunds/{id}")
def retrieve_refund(call: Call) -> Obj:
    return call.account.get(call.args[0], "refund")


@api.route("POST", "/v1/refunds/{id}")
def update_refund(call: Call) -> Obj:
    check_known(call.params, {"metadata"})
    account = call.account
    refund = account.get(call.args[0], "refund")
    changes: dict[str, Any] = {}
    if "metadata" in call.params:
        changes["metadata"] = apply_metadata(refund["metadata"], call.params)
    previous = account.update(refund, changes)
    if previous:
        _sync_charge_copy(account, refund)
        account.emit("refund.updated", refund, previous)
    return refund


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
        (lambda r: r.get("charge") == charge) if charge else None,
        (lambda r: r.get("payment_intent") == pi) if pi else None,
    )
    return paginate(call.account, "refund", p, "/v1/refunds", keep)


@api.route("GET", "/v1/charges/{id}/refunds")
def list_charge_refunds(call: Call) -> Obj:
    charge = call.account.get(call.args[0], "charge")
    keep = lambda r: r.get("charge") == charge["id"]  # noqa: E731
    return paginate(
        call.account, "refund", call.params, f"/v1/charges/{charge['id']}/refunds", keep
    )
