"""A refund as Stripe shapes it, and its statuses.

`pending` (held, e.g. until the balance covers it) ends `succeeded`, `failed` or `canceled`
(a card refund can be canceled from the Dashboard for a short time); `requires_action` (the
customer must give bank details) goes `pending` once they do, or is `canceled` (the API's
cancel, or expiry); a `succeeded` refund can still fail later (Stripe's test card
4000 0000 0000 5126 shows it: succeeded, then failed). `failed` and `canceled` are final."""

from __future__ import annotations

from paydesk.sandbox.account import Obj

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"succeeded", "failed", "canceled"}),
    "requires_action": frozenset({"pending", "canceled"}),
    "succeeded": frozenset({"failed"}),
    "failed": frozenset(),
    "canceled": frozenset(),
}


def refund(obj_id: str, created: int, amount: int, charge: Obj) -> Obj:
    """A card refund of `charge`, succeeded (card refunds succeed at once in test mode)."""
    return {
        "id": obj_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": created,
        "currency": charge["currency"],
        "customer": charge.get("customer"),
        "customer_account": None,
        "destination_details": {
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
                "reference": None,
            },
            "type": "card",
        },
        "metadata": {},
        "payment_intent": charge.get("payment_intent"),
        "payment_method": charge.get("payment_method"),
        "reason": None,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
