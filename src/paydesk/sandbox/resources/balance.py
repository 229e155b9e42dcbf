"""Balance: what the seeds use as a connection check. Derived from succeeded charges."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.routing import Call, api


@api.route("GET", "/v1/balance")
def retrieve_balance(call: Call) -> Obj:
    totals: dict[str, int] = {}
    for charge in call.account.newest("charge"):
        if charge.get("captured") and charge.get("status") == "succeeded":
            currency = charge["currency"]
            net = int(charge["amount_captured"]) - int(charge.get("amount_refunded") or 0)
            totals[currency] = totals.get(currency, 0) + net
    available = [
        {"amount": amount, "currency": cur, "source_types": {"card": amount}}
        for cur, amount in sorted(totals.items())
    ] or [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}]
    return {
        "object": "balance",
        "available": available,
        "connect_reserved": [{"amount": 0, "currency": a["currency"]} for a in available],
        "livemode": False,
        "pending": [
            {"amount": 0, "currency": a["currency"], "source_types": {"card": 0}} for a in available
        ],
    }
