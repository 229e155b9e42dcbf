"""A charge as Stripe shapes it, and its statuses: `pending` (an asynchronous payment such as
a SEPA debit, until the bank answers) ends `succeeded` or `failed`; a card charge is born
`succeeded` or `failed`. Both are final: capturing and refunding set the `captured` and
`refunded` flags and amounts, never the status."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.listing import one_page

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"succeeded", "failed"}),
    "succeeded": frozenset(),
    "failed": frozenset(),
}


def charge(obj_id: str, created: int, amount: int, currency: str, receipt_url: str) -> Obj:
    return {
        "id": obj_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": None,
        "calculated_statement_descriptor": "PAYDESK SANDBOX",
        "captured": False,
        "created": created,
        "currency": currency,
        "customer": None,
        "description": None,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": None,
        "paid": False,
        "payment_intent": None,
        "payment_method": None,
        "payment_method_details": None,
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": receipt_url,
        "refunded": False,
        "refunds": one_page([], f"/v1/charges/{obj_id}/refunds", counted=True),
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "failed",
        "transfer_data": None,
        "transfer_group": None,
    }
