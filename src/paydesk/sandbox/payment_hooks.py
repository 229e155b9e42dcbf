"""Who hears that a PaymentIntent settled: invoices pay themselves through it, whichever way
their PaymentIntent was paid (API confirm, hosted page, 3DS, a SEPA debit clearing later)."""

from __future__ import annotations

from collections.abc import Callable

from paydesk.sandbox.account import Account, Obj

# Called with every PaymentIntent that just succeeded, failed or started processing, and when.
PAYMENT_HOOKS: list[Callable[[Account, Obj, int], None]] = []
# Called with every SetupIntent that just succeeded (a trial's subscription takes its card).
SETUP_HOOKS: list[Callable[[Account, Obj, int], None]] = []


def settled(account: Account, pi: Obj, *, now: int) -> None:
    for hook in PAYMENT_HOOKS:
        hook(account, pi, now)


def set_up(account: Account, si: Obj, *, now: int) -> None:
    for hook in SETUP_HOOKS:
        hook(account, si, now)
