"""The only place Stripe event names appear: an event becomes a small typed object here, at the
edge, and `handle` says what it does to the shop's orders.

Handlers see an `OrderBook` (the orders' side of the shop, `webhooks.book.SqlOrderBook` in the
running app), never a database or a raw Stripe dict, so they are unit-tested against a fake.
A handler returns the outcome recorded on the inbox row: its status ("processed" or "ignored")
and a note for the admin (kept in last_error), or None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from paydesk.fulfilment.service import Fulfilment
from paydesk.orders.lookup import UnknownOrder
from paydesk.orders.payments import CheckoutSession, RefundedCharge

Outcome = tuple[str, str | None]


@dataclass(frozen=True)
class SessionCompleted:
    """Paid now, or (payment_status unpaid) to be paid later by a delayed method."""

    session: CheckoutSession


@dataclass(frozen=True)
class SessionEnded:
    """Expired, or its delayed payment failed: a pending order expires."""

    session: CheckoutSession


@dataclass(frozen=True)
class ChargeRefunded:
    charge: RefundedCharge


Event = SessionCompleted | SessionEnded | ChargeRefunded


Parser = Callable[[Mapping[str, Any]], Event | None]


def _session(kind: Callable[[CheckoutSession], Event]) -> Parser:
    def parse(obj: Mapping[str, Any]) -> Event | None:
        session = CheckoutSession.parse(obj)
        return None if session is None else kind(session)

    return parse


def _refunded(obj: Mapping[str, Any]) -> Event:
    return ChargeRefunded(RefundedCharge.parse(obj))


# Types whose paid sessions the processor may fulfil a batch at a time.
BATCHABLE_TYPES = frozenset(
    {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
)
PARSERS: dict[str, Parser] = {
    **{event_type: _session(SessionCompleted) for event_type in BATCHABLE_TYPES},
    "checkout.session.async_payment_failed": _session(SessionEnded),
    "checkout.session.expired": _session(SessionEnded),
    "charge.refunded": _refunded,
}
# What the pipeline asks Stripe for when it recovers missed events (the rest would be ignored).
EVENT_TYPES = frozenset(PARSERS)


def parse(event: Mapping[str, Any]) -> Event | None:
    """The typed event, or None when the shop has nothing to do with it (another type, or an
    object without an id)."""
    parser = PARSERS.get(str(event.get("type", "")))
    if parser is None:
        return None
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    return parser(obj) if isinstance(obj, Mapping) else None


class OrderBook(Protocol):
    """What the handlers need from the orders, inside the processor's transaction."""

    def fulfil(self, sessions: list[CheckoutSession]) -> Fulfilment: ...
    def expire(self, session: CheckoutSession) -> bool: ...
    def record_refund(self, charge: RefundedCharge) -> str: ...


def handle(event: Event | None, book: OrderBook) -> Outcome:
    try:
        match event:
            case SessionCompleted(session):
                result = book.fulfil([session])
                if session.id in result.unknown:
                    raise UnknownOrder(f"no order of this shop for checkout session {session.id}")
                order_id = result.order_of.get(session.id)
                return "processed", result.held.get(order_id) if order_id else None
            case SessionEnded(session):
                book.expire(session)
                return "processed", None
            case ChargeRefunded(charge):
                book.record_refund(charge)
                return "processed", None
            case None:
                return "ignored", None  # stored for the record and for replay; nothing to do
    except UnknownOrder as exc:
        # Not ours (another integration on the same account): retrying never changes that.
        return "ignored", str(exc)
