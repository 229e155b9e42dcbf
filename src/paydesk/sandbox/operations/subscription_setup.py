"""A subscription that charges nothing now (a trial) saves its card through a SetupIntent of its
own: Stripe's `pending_setup_intent`. Confirming it (confirmCardSetup / confirmSetup, or the
API) makes the card the subscription's default payment method when
`payment_settings[save_default_payment_method]=on_subscription`, and clears the field."""

from __future__ import annotations

import weakref

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.operations import invoices
from paydesk.sandbox.operations.setup_intents import create_setup_intent
from paydesk.sandbox.payment_hooks import SETUP_HOOKS

# setup intent id -> subscription id, per account; after a restart the subscriptions are read.
_PENDING: weakref.WeakKeyDictionary[Account, dict[str, str]] = weakref.WeakKeyDictionary()


def open_pending(account: Account, now: int, sub: Obj, invoice: Obj) -> None:
    """Give a subscription whose first invoice took nothing, and that has no card to charge
    later, the SetupIntent to collect one with."""
    if invoice["status"] != "paid" or invoice["amount_due"] or sub["status"] != "trialing":
        return
    if invoices.payment_method_for(account, invoice) is not None:
        return  # a saved card: nothing to collect, the field stays null as at Stripe
    si = create_setup_intent(account, now, customer=sub["customer"], usage="off_session")
    account.update(sub, {"pending_setup_intent": si["id"]})
    _PENDING.setdefault(account, {})[si["id"]] = sub["id"]


def _subscription_of(account: Account, si_id: str) -> Obj | None:
    sub_id = _PENDING.get(account, {}).pop(si_id, None)
    if sub_id is not None:
        return account.find(sub_id)
    for sub in account.newest("subscription"):
        if sub.get("pending_setup_intent") == si_id:
            return sub
    return None


def _on_setup(account: Account, si: Obj, now: int) -> None:
    sub = _subscription_of(account, si["id"]) if si.get("status") == "succeeded" else None
    if sub is None or sub.get("pending_setup_intent") != si["id"]:
        return
    changes: dict[str, object] = {"pending_setup_intent": None}
    if sub["payment_settings"].get("save_default_payment_method") == "on_subscription":
        changes["default_payment_method"] = si["payment_method"]
    previous = account.update(sub, changes)
    if previous:
        account.emit("customer.subscription.updated", sub, previous, now=now)


SETUP_HOOKS.append(_on_setup)
