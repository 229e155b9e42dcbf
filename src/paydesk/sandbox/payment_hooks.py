"""Who hears that a PaymentIntent settled: invoices pay themselves through it, whichever way
their PaymentIntent was paid (API confirm, hosted page, 3DS, a SEPA debit clearing later)."""

from __future__ import annotations

from collections.abc import Callable

from paydesk.sandbox.account import Account, Obj

# Called with every PaymentIntent that just succeeded or failed.
PAYMENT_HOOKS: list[Callable[[Account, Obj], None]] = []


def settled(account: Account, pi: Obj) -> None:
    for hook in PAYMENT_HOOKS:
        hook(account, pi)
