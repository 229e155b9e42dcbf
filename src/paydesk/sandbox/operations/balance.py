"""The balance: one transaction per captured charge (money in, less Stripe's fee) and one per
refund (money out), and per-account running totals of what is available and pending.

A charge's funds are `pending` until `available_on` (two days after the charge, as for a new
US account in test mode), when a timer (sandbox/timers.py) makes the transaction `available`.

The seeds call `/v1/balance` as their connection check, against accounts holding 100k+ objects,
so it must not scan them: each account gets a Ledger of running totals, built once from its
transactions the first time the balance is asked for (after a restart too, since it is not
persisted) and then moved by every new transaction and every one whose funds become available.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.currency import ZERO_DECIMAL
from paydesk.sandbox.objects import check_transition
from paydesk.sandbox.objects.balance import TRANSITIONS, balance_transaction
from paydesk.sandbox.store import Store
from paydesk.sandbox.timers import on_timer, schedule

PAYOUT_DELAY = 2 * 24 * 3600
AVAILABLE = "balance_transaction.available"

# Stripe's test-mode card pricing is 2.9% + 30 cents for usd. For other currencies we keep the
# percentage and a fixed 30 minor units, except zero-decimal currencies (jpy…) where 30 units
# would be a real sum (¥30) rather than cents: there the fee is the percentage alone. The
# percentage is rounded half up to a whole minor unit, as Stripe rounds fees.
FEE_PER_MILLE = 29
FIXED_FEE = 30


def stripe_fee(amount: int, currency: str) -> int:
    fixed = 0 if currency in ZERO_DECIMAL else FIXED_FEE
    return (amount * FEE_PER_MILLE + 500) // 1000 + fixed


def record_charge(account: Account, charge: Obj, amount: int, *, now: int) -> str:
    """The transaction for `amount` captured on `charge`; returns its id for the charge."""
    currency = str(charge["currency"])
    fee = stripe_fee(amount, currency)
    txn = balance_transaction(
        account.new_id("txn"), now, "charge", amount, fee, currency, now + PAYOUT_DELAY
    )
    txn.update(source=str(charge["id"]), description=charge.get("description"))
    return _record(account, txn)


def record_refund(account: Account, refund: Obj, charge: Obj, *, now: int) -> str:
    """The transaction taking a refund out of the balance; returns its id for the refund.

    Stripe keeps its fee on refunds (fee 0 here, nothing given back) and debits the balance at
    once, so the transaction is available immediately; the available balance may dip below zero
    while the refunded charge is still pending, as it can on Stripe.
    """
    amount, currency = -int(refund["amount"]), str(refund["currency"])
    txn = balance_transaction(account.new_id("txn"), now, "refund", amount, 0, currency, now)
    described = charge.get("description")
    txn.update(
        source=str(refund["id"]),
        description=f"REFUND FOR CHARGE ({described})" if described else "REFUND FOR PAYMENT",
    )
    return _record(account, txn)


def _record(account: Account, txn: Obj) -> str:
    account.insert(txn)
    ledger = _LEDGERS.get(account)
    if ledger is not None:  # else its build will count the transaction
        ledger.add(txn)
    if txn["status"] == "pending":
        schedule(account, AVAILABLE, txn["id"], txn["available_on"])
    return str(txn["id"])


@on_timer(AVAILABLE)
def _funds_available(account: Account, txn_id: str, now: int) -> None:
    txn = account.find(txn_id)
    if txn is None or txn.get("status") != "pending":
        return
    check_transition(TRANSITIONS, "balance_transaction", txn["status"], "available")
    account.update(txn, {"status": "available"})
    ledger = _LEDGERS.get(account)
    if ledger is not None:
        ledger.release(txn)


def schedule_pending_funds(store: Store) -> None:
    """Availability timers for the pending funds of a database from before the timer queue."""
    for account in list(store.accounts.values()):
        for txn in account.newest("balance_transaction"):
            if txn["status"] == "pending":
                schedule(account, AVAILABLE, txn["id"], int(txn["available_on"]))


@dataclass
class Ledger:
    available: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)

    def add(self, txn: Obj) -> None:
        currency, net = str(txn["currency"]), int(txn["net"])
        self.available.setdefault(currency, 0)
        self.pending.setdefault(currency, 0)
        if txn["status"] == "pending":
            self.pending[currency] += net
        else:
            self.available[currency] += net

    def release(self, txn: Obj) -> None:
        """`txn`'s funds moved from pending to available."""
        currency, net = str(txn["currency"]), int(txn["net"])
        self.pending[currency] = self.pending.get(currency, 0) - net
        self.available[currency] = self.available.get(currency, 0) + net


# Per account and in memory only: rebuilt from the transactions when missing, dropped with
# the account (tests make thousands of accounts).
_LEDGERS: WeakKeyDictionary[Account, Ledger] = WeakKeyDictionary()


def ledger_for(account: Account) -> Ledger:
    ledger = _LEDGERS.get(account)
    if ledger is None:
        ledger = _LEDGERS[account] = Ledger()
        for txn_id in account.ids_of("balance_transaction"):
            txn = account.find(txn_id)
            if txn is not None:
                ledger.add(txn)
    return ledger
