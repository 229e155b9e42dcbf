"""Balance: per currency, what is available and what is still pending, summed from the balance
transactions (resources/balance_transactions.py).

The seeds call `/v1/balance` as their connection check, against accounts holding 100k+ objects,
so it must not scan them: each account gets a Ledger of running totals, built once from its
transactions the first time the balance is asked for (after a restart too, since it is not
persisted) and then moved by every new transaction, and by each one whose funds become
available (its timer, in resources/balance_transactions.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.routing import Call, api


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


def ledger_note(account: Account, txn: Obj) -> None:
    """Count a new transaction, if the account's ledger is built (else its build will)."""
    ledger = _LEDGERS.get(account)
    if ledger is not None:
        ledger.add(txn)


def ledger_release(account: Account, txn: Obj) -> None:
    """Count `txn`'s funds as available now, if the account's ledger is built."""
    ledger = _LEDGERS.get(account)
    if ledger is not None:
        ledger.release(txn)


def ledger_for(account: Account) -> Ledger:
    ledger = _LEDGERS.get(account)
    if ledger is None:
        ledger = _LEDGERS[account] = Ledger()
        for txn_id in account.ids_of("balance_transaction"):
            txn = account.find(txn_id)
            if txn is not None:
                ledger.add(txn)
    return ledger


def _amounts(totals: dict[str, int]) -> list[Obj]:
    return [
        {"amount": amount, "currency": currency, "source_types": {"card": amount}}
        for currency, amount in sorted(totals.items())
    ] or [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}]


@api.route("GET", "/v1/balance")
def retrieve_balance(call: Call) -> Obj:
    ledger = ledger_for(call.account)
    available = _amounts(ledger.available)
    return {
        "object": "balance",
        "available": available,
        "connect_reserved": [{"amount": 0, "currency": a["currency"]} for a in available],
        "livemode": False,
        "pending": _amounts(ledger.pending),
    }
