"""Charges: one per PaymentIntent attempt (`new_charge`), or made directly from a `source` (the
legacy Charges API, `create_charge`); updates. Capturing lives in captures.py (it builds on
PaymentIntents, which build on charges)."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj, snapshot
from paydesk.sandbox.errors import CardError, InvalidRequest
from paydesk.sandbox.objects.card import card_view
from paydesk.sandbox.objects.charge import charge as charge_skeleton
from paydesk.sandbox.operations.balance import record_charge
from paydesk.sandbox.operations.payment_methods import AUTH_REQUIRED, Decline, card_behaviour
from paydesk.sandbox.operations.tokens import card_for_source, card_from_hash

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


def _outcome(account: Account, pm: Obj, decline: Decline | None) -> Obj:
    """Stripe's `outcome`: Radar's risk for the card, then the network's answer (or Radar's
    block, which never reaches the network)."""
    risk = card_behaviour(account, str((pm.get("card") or {}).get("fingerprint"))).risk
    if risk.blocked:
        return {
            "advice_code": "do_not_try_again",
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "not_sent_to_network",
            "reason": "highest_risk_level",
            "risk_level": risk.level,
            "risk_score": risk.score,
            "seller_message": "Stripe blocked this payment as too risky.",
            "type": "blocked",
        }
    outcome = dict(_APPROVED) if decline is None else _declined_outcome(decline)
    outcome.update(risk_level=risk.level, risk_score=risk.score)
    return outcome


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
    pending: bool = False,
    now: int,
) -> Obj:
    """A charge for one payment attempt of `pi` with `pm`: succeeded, or failed with `decline`,
    or `pending` until an asynchronous payment (a SEPA debit) settles."""
    return _insert_charge(
        account,
        pi,
        pm,
        base_url,
        payment_intent=pi["id"],
        source=None,
        decline=decline,
        captured=captured and not pending,
        pending=pending,
        now=now,
    )


def _insert_charge(
    account: Account,
    fields: Obj,
    pm: Obj,
    base_url: str,
    *,
    payment_intent: str | None,
    source: Obj | None,
    decline: Decline | None,
    captured: bool,
    pending: bool = False,
    now: int,
) -> Obj:
    """`fields` gives amount, currency, customer, description, metadata, receipt_email,
    shipping and the statement descriptors (a PaymentIntent, or a Charges API call's params)."""
    charge_id = account.new_id("ch")
    amount = int(fields["amount"])
    ok = decline is None
    receipt_url = f"{base_url}/receipts/{charge_id}"
    charge = charge_skeleton(charge_id, now, amount, fields["currency"], receipt_url)
    charge.update(
        amount_captured=amount if ok and captured else 0,
        billing_details=pm.get("billing_details"),
        captured=ok and captured,
        customer=fields.get("customer"),
        description=fields.get("description"),
        failure_code=decline.code if decline else None,
        failure_message=decline.message if decline else None,
        metadata=dict(fields.get("metadata") or {}),
        outcome=_outcome(account, pm, decline),
        paid=ok and not pending,
        payment_intent=payment_intent,
        payment_method=pm["id"],
        payment_method_details=_card_details(pm, amount, decline),
        receipt_email=fields.get("receipt_email"),
        shipping=fields.get("shipping"),
        source=source,
        statement_descriptor=fields.get("statement_descriptor"),
        statement_descriptor_suffix=fields.get("statement_descriptor_suffix"),
        # Born pending, never moved there: the transition table has no way back to it.
        status="pending" if pending else "succeeded" if ok else "failed",
        transfer_group=fields.get("transfer_group"),
    )
    if ok and captured:
        charge["balance_transaction"] = record_charge(account, charge, amount, now=now)
    return account.insert(charge)


_NO_CARD = "Cannot charge a customer that has no active card"


def _paying_card(
    account: Account, source: dict[str, Any] | str | None, customer: Obj | None, *, now: int
) -> Obj:
    if isinstance(source, dict):
        return card_from_hash(account, source, "source", now=now)
    if source and customer is not None:
        # With a customer, Stripe charges only a card saved on that customer, never a token.
        card = account.find(source)
        if card is None or card.get("object") != "card" or card.get("customer") != customer["id"]:
            raise InvalidRequest(
                f"Customer {customer['id']} does not have a linked source with ID {source}.",
                param="source",
                code="missing",
            )
        return card
    if source:
        return card_for_source(account, source, now=now)
    if customer is None:
        raise InvalidRequest("Must provide source or customer.", param="source")
    default = customer.get("default_source")
    card = account.find(default) if isinstance(default, str) else None
    if card is None or card.get("deleted"):
        raise CardError(_NO_CARD, code="missing", param="card")
    return card


def create_charge(
    account: Account,
    now: int,
    base_url: str,
    fields: Obj,
    *,
    source: dict[str, Any] | str | None,
    customer: Obj | None,
    capture: bool,
) -> Obj:
    """`POST /v1/charges`: charge `source` (a card hash, a token, a saved card) or the
    customer's default card. `fields`: amount, currency, customer, description, metadata,
    receipt_email, shipping, statement descriptors, transfer_group."""
    card = _paying_card(account, source, customer, now=now)
    behave = card_behaviour(account, str(card.get("fingerprint")))
    # Without a PaymentIntent there is no way to authenticate: 3DS cards decline, as on Stripe.
    decline = AUTH_REQUIRED if behave.needs_3ds else behave.decline
    if decline is None and card.get("cvc_check") == "unchecked":
        account.update(card, {"cvc_check": "pass"})
    charge = _insert_charge(
        account,
        fields,
        card_view(card),
        base_url,
        payment_intent=None,
        source=snapshot(card),
        decline=decline,
        captured=capture,
        now=now,
    )
    if decline is not None:
        account.emit("charge.failed", charge, now=now)
        raise CardError(
            decline.message,
            code=decline.code,
            decline_code=decline.decline_code,
            param=decline.param,
            extra={"charge": charge["id"]},
        )
    account.emit("charge.succeeded", charge, now=now)
    return charge


def update_charge(account: Account, now: int, charge: Obj, changes: dict[str, Any]) -> Obj:
    previous = account.update(charge, changes)
    if previous:
        account.emit("charge.updated", charge, previous, now=now)
    return charge
