"""A balance transaction and the balance as Stripe shapes them; a transaction's statuses."""

from __future__ import annotations

from paydesk.sandbox.account import Obj

# A charge's funds wait (`pending`) until `available_on`; a refund's are taken at once.
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"available"}),
    "available": frozenset(),
}


def balance_transaction(
    obj_id: str,
    created: int,
    kind: str,
    amount: int,
    fee: int,
    currency: str,
    available_on: int,
) -> Obj:
    return {
        "id": obj_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": None,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [_stripe_fee_detail(fee, currency)] if fee else [],
        "net": amount - fee,
        "reporting_category": kind,
        "source": None,
        "status": "available" if available_on <= created else "pending",
        "type": kind,
    }


def _stripe_fee_detail(fee: int, currency: str) -> Obj:
    return {
        "amount": fee,
        "application": None,
        "currency": currency,
        "description": "Stripe processing fees",
        "type": "stripe_fee",
    }


def balance(available: dict[str, int], pending: dict[str, int]) -> Obj:
    shown = _amounts(available)
    return {
        "object": "balance",
        "available": shown,
        "connect_reserved": [{"amount": 0, "currency": a["currency"]} for a in shown],
        "livemode": False,
        "pending": _amounts(pending),
    }


def _amounts(totals: dict[str, int]) -> list[Obj]:
    return [
        {"amount": amount, "currency": currency, "source_types": {"card": amount}}
        for currency, amount in sorted(totals.items())
    ] or [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}]
