"""Charges: created by PaymentIntents (one per attempt); retrieve, update, list, capture."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.clock import now
from paydesk.sandbox.listing import both, paginate
from paydesk.sandbox.params import apply_metadata, check_known, get_dict, get_str
from paydesk.sandbox.resources.payment_methods import Decline
from paydesk.sandbox.routing import Call, api

_APPROVED = {
    "advice_code": None,
    "network_advice_code": None,
    "network_decline_code": None,
    "network_status": "approved_by_network",
    "reason": None,
    "risk_level": "normal",
    "risk_score": 32,
    "seller_message": "Payment complete.",
    "type": "authorized",
}


def _declined_outcome(decline: Decline) -> Obj:
    generic = decline.decline_code == "generic_decline"
    return {
        "advice_code": "try_again_later" if decline.code == "processing_error" else None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "declined_by_network",
        "reason": decline.decline_code,
        "risk_level": "normal",
        "risk_score": 32,
        "seller_message": "The bank did not return any further details with this decline."
        if generic
        else f"The bank returned the decline code `{decline.decline_code}`.",
        "type": "issuer_declined",
    }


def _card_details(pm: Obj, amount: int, decline: Decline | None) -> Obj:
    card = pm.get("card") or {}
    cvc = None if card.get("checks", {}).get("cvc_check") is None else "pass"
    if decline is not None and decline.code == "incorrect_cvc":
        cvc = "fail"
    return {
        "card": {
            "amount_authorized": None if decline else amount,
            "authorization_code": None if decline else "123456",
            "brand": card.get("brand"),
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": cvc,
            },
            "country": card.get("country"),
            "exp_month": card.get("exp_month"),
            "exp_year": card.get("exp_year"),
            "extended_authorization": {"status": "disabled"},
            "fingerprint": card.get("fingerprint"),
            "funding": card.get("funding"),
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": card.get("last4"),
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": card.get("brand"),
            "network_token": {"used": False},
            "network_transaction_id": None if decline else "104102978678771",
            "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
            "regulated_status": "unregulated",
            "three_d_secure": None,
            "wallet": None,
        },
        "type": "card",
    }


def new_charge(
    account: Account,
    pi: Obj,
    pm: Obj,
    base_url: str,
    *,
    decline: Decline | None = None,
    captured: bool = True,
) -> Obj:
    """A charge for one payment attempt of `pi` with `pm`: succeeded, or failed with `decline`."""
    charge_id = account.new_id("ch")
    amount = int(pi["amount"])
    ok = decline is None
    charge: Obj = {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if ok and captured else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": pm.get("billing_details"),
        "calculated_statement_descriptor": "PAYDESK SANDBOX",
        "captured": ok and captured,
        "created": now(),
        "currency": pi["currency"],
        "customer": pi.get("customer"),
        "description": pi.get("description"),
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": decline.code if decline else None,
        "failure_message": decline.message if decline else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(pi.get("metadata") or {}),
        "on_behalf_of": None,
        "outcome": dict(_APPROVED) if decline is None else _declined_outcome(decline),
        "paid": ok,
        "payment_intent": pi["id"],
        "payment_method": pm["id"],
        "payment_method_details": _card_details(pm, amount, decline),
        "receipt_email": pi.get("receipt_email"),
        "receipt_number": None,
        "receipt_url": f"{base_url}/receipts/{charge_id}",
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/charges/{charge_id}/refunds",
        },
        "review": None,
        "shipping": pi.get("shipping"),
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if ok else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }
    return account.insert(charge)


@api.route("GET", "/v1/charges/{id}")
def retrieve_charge(call: Call) -> Obj:
    return call.account.get(call.args[0], "charge")


_UPDATABLE = {
    "description",
    "metadata",
    "receipt_email",
    "shipping",
    "fraud_details",
    "transfer_group",
    "customer",
}


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
    previous = account.update(charge, changes)
    if previous:
        account.emit("charge.updated", charge, previous)
    return charge


@api.route("GET", "/v1/charges")
def list_charges(call: Call) -> Obj:
    p = call.params
    pi_id = get_str(p, "payment_intent")
    customer = get_str(p, "customer")
    keep = both(
        (lambda c: c.get("payment_intent") == pi_id) if pi_id else None,
        (lambda c: c.get("customer") == customer) if customer else None,
    )
    return paginate(call.account, "charge", p, "/v1/charges", keep)
