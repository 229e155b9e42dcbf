"""What a Stripe object says about an order, read once at the edge into small typed facts.

Webhook payloads, `events.list` pages and SDK objects all become these before any domain code
sees them, so the rest of the shop never reads a raw Stripe dict (and a hostile payload that
puts a list where a string belongs is simply a missing fact, never an exception deep inside).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from paydesk.core.address import address_or_none

# Checkout Session payment_status values that mean the money is received.
PAID_SESSION = frozenset({"paid", "no_payment_required"})


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class MalformedObject(ValueError):
    """A signed Stripe object with a field of the wrong type: the event fails (and is retried,
    then dead) with this message, rather than being half-applied."""


def _int(obj: Mapping[str, object], key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    # bool is an int in Python, never an amount in Stripe.
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedObject(
            f"{obj.get('object', 'object')}.{key} must be an integer, not {value!r}"
        )
    return value


def _id(value: object) -> str | None:
    # Stripe sends ids, or whole objects when expanded.
    if isinstance(value, Mapping):
        return _str(value.get("id"))
    return _str(value)


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class CheckoutSession:
    """A Checkout Session, as far as an order cares."""

    id: str
    status: str | None  # open | complete | expired
    payment_status: str | None  # paid | unpaid | no_payment_required
    claimed_order_id: str | None  # the order id our checkout put in metadata/client_reference_id
    payment_intent_id: str | None
    email: str | None  # the buyer's address Stripe collected
    amount_total: int | None  # None for sessions without an amount (setup mode)
    currency: str | None

    @property
    def paid(self) -> bool:
        return self.payment_status in PAID_SESSION

    @classmethod
    def parse(cls, obj: Mapping[str, object]) -> CheckoutSession | None:
        """None when the object is not a session (no id)."""
        session_id = _str(obj.get("id"))
        if session_id is None:
            return None
        metadata = _mapping(obj.get("metadata"))
        return cls(
            id=session_id,
            status=_str(obj.get("status")),
            payment_status=_str(obj.get("payment_status")),
            claimed_order_id=_str(metadata.get("order_id")) or _str(obj.get("client_reference_id")),
            payment_intent_id=_id(obj.get("payment_intent")),
            # Only one valid address becomes a recipient, whatever the event carries.
            email=address_or_none(_mapping(obj.get("customer_details")).get("email")),
            amount_total=_int(obj, "amount_total"),
            currency=_str(obj.get("currency")),
        )


@dataclass(frozen=True)
class RefundedCharge:
    """A charge's refund state (charge.refunded)."""

    id: str | None
    payment_intent_id: str | None
    claimed_order_id: str | None  # Stripe copies the PaymentIntent's metadata to its charges
    amount_refunded: int

    @classmethod
    def parse(cls, obj: Mapping[str, object]) -> RefundedCharge:
        return cls(
            id=_str(obj.get("id")),
            payment_intent_id=_id(obj.get("payment_intent")),
            claimed_order_id=_str(_mapping(obj.get("metadata")).get("order_id")),
            amount_refunded=max(0, _int(obj, "amount_refunded") or 0),
        )


@dataclass(frozen=True)
class PaymentIntent:
    """A PaymentIntent of an order paid on the shop's own page, as far as the order cares."""

    id: str
    status: str | None
    claimed_order_id: str | None  # the order id our payment page put in its metadata
    amount_received: int | None
    currency: str | None
    email: str | None  # receipt_email
    failure_code: str | None  # last_payment_error's decline_code, else its code
    failure_message: str | None

    @classmethod
    def parse(cls, obj: Mapping[str, object]) -> PaymentIntent | None:
        """None when the object is not a PaymentIntent (no id)."""
        pi_id = _str(obj.get("id"))
        if pi_id is None:
            return None
        error = _mapping(obj.get("last_payment_error"))
        return cls(
            id=pi_id,
            status=_str(obj.get("status")),
            claimed_order_id=_str(_mapping(obj.get("metadata")).get("order_id")),
            amount_received=_int(obj, "amount_received"),
            currency=_str(obj.get("currency")),
            email=_str(obj.get("receipt_email")),
            failure_code=_str(error.get("decline_code")) or _str(error.get("code")),
            failure_message=_str(error.get("message")),
        )

    def as_payment(self) -> CheckoutSession:
        """What fulfilment reads from a paid session, said by this PaymentIntent. Its id is
        the PaymentIntent's own (so `payment_intent_id == id`: no session to record)."""
        return CheckoutSession(
            id=self.id,
            status="complete" if self.status == "succeeded" else "open",
            payment_status="paid" if self.status == "succeeded" else "unpaid",
            claimed_order_id=self.claimed_order_id,
            payment_intent_id=self.id,
            email=self.email,
            amount_total=self.amount_received,
            currency=self.currency,
        )
