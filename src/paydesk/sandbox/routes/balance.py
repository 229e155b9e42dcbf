"""`/v1/balance` and `/v1/balance_transactions`: reads of what operations/balance.py records."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.listing import both, equals, paginate
from paydesk.sandbox.objects.balance import balance
from paydesk.sandbox.operations.balance import ledger_for
from paydesk.sandbox.params import check_known, get_str
from paydesk.sandbox.routing import Call, api

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


@api.route("GET", "/v1/balance")
def retrieve_balance(call: Call) -> Obj:
    ledger = ledger_for(call.account)
    return balance(ledger.available, ledger.pending)


api.retrieve("/v1/balance_transactions/{id}", "balance_transaction")


@api.route("GET", "/v1/balance_transactions")
def list_transactions(call: Call) -> Obj:
    p = call.params
    check_known(p, _LIST_FIELDS)
    kind = get_str(p, "type")
    source = get_str(p, "source")
    currency = (get_str(p, "currency") or "").lower()
    # `payout` is accepted and ignored: the sandbox makes no payouts, so every transaction is
    # one that a payout would still have to settle.
    keep = both(
        equals("type", kind),
        equals("source", source),
        equals("currency", currency),
    )
    return paginate(call.account, "balance_transaction", p, "/v1/balance_transactions", keep)
