"""A PaymentIntent as Stripe shapes it, new (`requires_payment_method`), and its statuses.

Stripe's lifecycle (docs: "How PaymentIntents work"): a payment method makes it
`requires_confirmation`; confirming leads to `requires_action` (3D Secure), `processing`
(asynchronous methods such as SEPA debits), `requires_capture` (manual capture) or
`succeeded`, and a failed attempt (a decline, failed authentication, a bounced debit) returns
it to `requires_payment_method` — also from there, or from `requires_action` when confirmed
again; a new payment method makes a `requires_action` one `requires_confirmation`. Capturing
may pass through `processing`. It can be canceled from any status but
`succeeded` (from `processing` only in rare cases, as Stripe says); `succeeded` and `canceled`
are final.
"""

from __future__ import annotations

from paydesk.sandbox.account import Obj

# Where confirming leads, from any status that can be confirmed.
_CONFIRMED = {"requires_action", "processing", "requires_capture", "succeeded"}
TRANSITIONS: dict[str, frozenset[str]] = {
    "requires_payment_method": frozenset(
        {"requires_payment_method", "requires_confirmation", *_CONFIRMED, "canceled"}
    ),
    "requires_confirmation": frozenset({"requires_payment_method", *_CONFIRMED, "canceled"}),
    "requires_action": frozenset(
        {"requires_payment_method", "requires_confirmation", *_CONFIRMED, "canceled"}
    ),
    "processing": frozenset({"requires_payment_method", "succeeded", "canceled"}),
    "requires_capture": frozenset({"processing", "succeeded", "canceled"}),
    "succeeded": frozenset(),
    "canceled": frozenset(),
}


def payment_intent(
    obj_id: str, created: int, amount: int, currency: str, client_secret: str
) -> Obj:
    return {
        "id": obj_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": client_secret,
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": None,
        "customer_account": None,
        "description": None,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }
