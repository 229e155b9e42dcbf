"""What `expand[]` reaches on billing objects beyond plain id fields: an invoice's PaymentIntent
(the seed's `latest_invoice.payment_intent`, served as Stripe does for API versions before
2025-03-31), the current API's `confirmation_secret`, and lists of discount ids."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox import compat
from paydesk.sandbox.account import Account, Obj, snapshot
from paydesk.sandbox.expand import VIRTUAL
from paydesk.sandbox.operations.invoices import intent_of


def _payment_intent(account: Account, invoice: Obj) -> Any:
    pi = intent_of(account, invoice)
    return pi["id"] if pi else None


def _confirmation_secret(account: Account, invoice: Obj) -> Any:
    pi = intent_of(account, invoice)
    if pi is None:
        return None
    return {"client_secret": pi["client_secret"], "type": "payment_intent"}


VIRTUAL[("invoice", "payment_intent")] = _payment_intent
VIRTUAL[("invoice", "confirmation_secret")] = _confirmation_secret


def _discounts(account: Account, owner: Obj) -> Any:
    found = (account.find(d) if isinstance(d, str) else d for d in owner.get("discounts") or [])
    return [snapshot(d) for d in found if d is not None]


for _kind in ("subscription", "invoice", "invoiceitem", "line_item"):
    VIRTUAL[(_kind, "discounts")] = _discounts


def _legacy_invoice(account: Account, invoice: Obj) -> Obj:
    if "payment_intent" in invoice:  # expanded
        return invoice
    return {**invoice, "payment_intent": _payment_intent(account, invoice)}


def _legacy_subscription(account: Account, sub: Obj) -> Obj:
    items = sub.get("items", {}).get("data") or [{}]
    shaped = {
        **sub,
        "current_period_start": items[0].get("current_period_start"),
        "current_period_end": items[0].get("current_period_end"),
    }
    if isinstance(sub.get("latest_invoice"), dict):
        shaped["latest_invoice"] = _legacy_invoice(account, sub["latest_invoice"])
    return shaped


compat.LEGACY_SHAPES["invoice"] = _legacy_invoice
compat.LEGACY_SHAPES["subscription"] = _legacy_subscription
