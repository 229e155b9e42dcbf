"""Balance transactions: one per captured charge (money in, less Stripe's fee) and one per refund
(money out); retrieve and list. `/v1/balance` sums them (resources/balance.py).

A charge's funds are `pending` until `available_on` (two days after the charge, as for a new
US account in test mode), when a timer (sandbox/timers.py) makes the transaction `available`.
"""

from __future__ import annotations

from paydesk.sandbox import clock
from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.listing import both, paginate
from paydesk.sandbox.money import ZERO_DECIMAL
from paydesk.sandbox.params import check_known, get_str
from paydesk.sandbox.resources.balance import ledger_note, ledger_release
from paydesk.sandbox.routing import Call, api
from paydesk.sandbox.store import Store
from paydesk.sandbox.timers import on_timer, schedule

PAYOUT_DELAY = 2 * 24 * 3600
AVAILABLE = "balance_transaction.available"
TYPES = ("charge", "refund")

# Stripe's test-mode card pricing is 2.9% + 30 cents for usd. For other currencies we keep the
# percentage and a fixed 30 minor units, except zero-decimal currencies (jpy…) where 30 units
# would be a real sum (¥30) rather than cents: there the fee is the percentage alone. The
# percentage is rounded half up to a whole minor unit, as Stripe rounds fees.
FEE_PER_MILLE = 29
FIXED_FEE = 30


def stripe_fee(amount: int, currency: str) -> int:
    fixed = 0 if currency in ZERO_DECIMAL else FIXED_FEE
    return (amount * FEE_PER_MILLE + 500) // 1000 + fixed


def _new(
    account: Account,
    *,
    kind: str,
    amount: int,
    fee: int,
    currency: str,
    source: str,
    description: str | None,
    created: int,
    available_on: int,
) -> Obj:
    fee_details = (
        [
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
        if fee
        else []
    )
    txn: Obj = {
        "id": account.new_id("txn"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": kind,
        "source": source,
        "status": "available" if available_on <= created else "pending",
        "type": kind,
    }
    account.insert(txn)
    ledger_note(account, txn)
    if txn["status"] == "pending":
        schedule(account, AVAILABLE, txn["id"], available_on)
    return txn


@on_timer(AVAILABLE)
def _funds_available(account: Account, txn_id: str, now: int) -> None:
    txn = account.find(txn_id)
    if txn is not None and txn.get("status") == "pending":
        account.update(txn, {"status": "available"})
        ledger_release(account, txn)


def schedule_pending_funds(store: Store) -> None:
    """Availability timers for the pending funds of a database from before the timer queue."""
    for account in list(store.accounts.values()):
        for txn in account.newest("balance_transaction"):
            if txn["status"] == "pending":
                schedule(account, AVAILABLE, txn["id"], int(txn["available_on"]))


def record_charge(account: Account, charge: Obj, amount: int) -> str:
    """The transaction for `amount` captured on `charge`; returns its id for the charge."""
    created = clock.now()
    currency = str(charge["currency"])
    txn = _new(
        account,
        kind="charge",
        amount=amount,
        fee=stripe_fee(amount, currency),
        currency=currency,
        source=str(charge["id"]),
        description=charge.get("description"),
        created=created,
        available_on=created + PAYOUT_DELAY,
    )
    return str(txn["id"])


def record_refund(account: Account, refund: Obj, charge: Obj) -> str:
    """The transaction taking a refund out of the balance; returns its id for the refund.

    Stripe keeps its fee on refunds (fee 0 here, nothing given back) and debits the balance at
    once, so the transaction is available immediately; the available balance may dip below zero
    while the refunded charge is still pending, as it can on Stripe.
    """
    created = clock.now()
    described = charge.get("description")
    txn = _new(
        account,
        kind="refund",
        amount=-int(refund["amount"]),
        fee=0,
        currency=str(refund["currency"]),
        source=str(refund["id"]),
        description=f"REFUND FOR CHARGE ({described})" if described else "REFUND FOR PAYMENT",
        created=created,
        available_on=created,
    )
    return str(txn["id"])


@api.route("GET", "/v1/balance_transactions/{id}")
def retrieve_balance_transaction(call: Call) -> Obj:
    return call.account.get(call.args[0], "balance_transaction")


_LIST_FIELDS = {
    "type",
    "source",
    "currency",
    "created",
    "payout",
    "limit",
    "starting_after",
    "ending_before",
}


@api.route("GET", "/v1/balance_transactions")
def list_balance_transactions(call: Call) -> Obj:
    p = call.params
    check_known(p, _LIST_FIELDS)
    kind = get_str(p, "type")
    source = get_str(p, "source")
    currency = (get_str(p, "currency") or "").lower()
    # `payout` is accepted and ignored: the sandbox makes no payouts, so every transaction is
    # one that a payout would still have to settle.
    keep = both(
        (lambda t: t["type"] == kind) if kind else None,
        (lambda t: t["source"] == source) if source else None,
        (lambda t: t["currency"] == currency) if currency else None,
    )
    return paginate(call.account, "balance_transaction", p, "/v1/balance_transactions", keep)
