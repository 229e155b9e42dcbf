"""Checkout Sessions paid by a delayed method (SEPA Direct Debit): the session completes with
`payment_status=unpaid` while the debit processes; when the bank answers, Stripe sends
`checkout.session.async_payment_succeeded` (and the session is `paid`) or
`checkout.session.async_payment_failed`."""

from __future__ import annotations

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.payment_hooks import PAYMENT_HOOKS

DELAYED = ("sepa_debit",)


def _session_of(account: Account, pi: Obj) -> Obj | None:
    def paid_by(session: Obj) -> bool:
        return bool(session.get("payment_intent") == pi["id"])

    return next(account.newest("checkout.session", paid_by), None)


def on_payment(account: Account, pi: Obj, now: int) -> None:
    # Only delayed methods settle after the session completed: the card hot path skips the scan.
    if not any(kind in pi.get("payment_method_types", ()) for kind in DELAYED):
        return
    if pi["status"] not in ("succeeded", "requires_payment_method"):
        return
    session = _session_of(account, pi)
    if session is None or session["status"] != "complete" or session["payment_status"] != "unpaid":
        return
    if pi["status"] == "succeeded":
        previous = account.update(session, {"payment_status": "paid"})
        account.emit("checkout.session.async_payment_succeeded", session, previous, now=now)
    else:
        account.emit("checkout.session.async_payment_failed", session, now=now)


def install() -> None:
    """Listen to PaymentIntent outcomes (the hosted Checkout page installs it with its routes)."""
    if on_payment not in PAYMENT_HOOKS:
        PAYMENT_HOOKS.append(on_payment)
