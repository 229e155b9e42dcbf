"""An order's history as sentences a shop owner reads ("Refunded $5.00"), not event names.

Built from the order's own dates and from the payloads of the inbox events about it, so a
declined card (payment_intent.payment_failed, which changes no order) is on it too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol, TypedDict

from sqlalchemy import Connection, select

from paydesk.core.money import format_money
from paydesk.store.engine import aware
from paydesk.webhooks.dispatch import (
    TIMELINE_TYPES,
    ChargeRefunded,
    Event,
    IntentFailed,
    parse_payload,
)
from paydesk.webhooks.tables import inbox_events

_EARLIEST = datetime.min.replace(tzinfo=UTC)


class Step(TypedDict):
    at: datetime | None  # None: known to have happened, not when
    what: str


class OrderDates(Protocol):
    """What the timeline reads of an `orders` row."""

    @property
    def currency(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def amount_total(self) -> int: ...
    @property
    def amount_refunded(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def paid_at(self) -> datetime | None: ...
    @property
    def fulfilled_at(self) -> datetime | None: ...
    @property
    def updated_at(self) -> datetime: ...


def timeline(conn: Connection, order: OrderDates, event_ids: list[str]) -> list[Step]:
    def money(amount: int) -> str:
        return format_money(amount, order.currency)

    steps: list[Step] = [{
        "at": aware(order.created_at),
        "what": f"Checkout opened for {money(order.amount_total)}"
        + (f" by {order.email}" if order.email else ""),
    }]
    refunded = 0
    for at, event in _told(conn, event_ids):
        if isinstance(event, IntentFailed):
            reason = event.intent.failure_message or "the card was declined"
            steps.append({"at": at, "what": f"Payment failed: {reason}"})
        elif isinstance(event, ChargeRefunded) and event.charge.amount_refunded > refunded:
            total = event.charge.amount_refunded
            steps.append({"at": at, "what": f"Refunded {money(total - refunded)}"})
            refunded = total
    if order.paid_at:
        steps.append({"at": aware(order.paid_at), "what": f"Paid {money(order.amount_total)}"})
    if order.fulfilled_at:
        steps.append({"at": aware(order.fulfilled_at),
                      "what": "Fulfilled: stock taken, access and receipt sent"})
    if order.amount_refunded > refunded:  # refunds whose events are not in the inbox
        steps.append({"at": None, "what": f"Refunded {money(order.amount_refunded)} in all"})
    if order.status == "expired":
        steps.append({"at": aware(order.updated_at),
                      "what": "Checkout closed unpaid: the items are back in stock"})
    # Stripe's times are whole seconds and ours are not: the opening stays first whatever.
    return steps[:1] + sorted(steps[1:], key=lambda s: (s["at"] is None, s["at"] or _EARLIEST))


def _told(conn: Connection, event_ids: list[str]) -> list[tuple[datetime, Event]]:
    """The timeline's events about the order (TIMELINE_TYPES), parsed, in Stripe's order; a
    payload that does not parse adds no sentence."""
    if not event_ids:
        return []
    e = inbox_events.c
    rows = conn.execute(
        select(e.type, e.stripe_created, e.payload)
        .where(e.id.in_(event_ids), e.type.in_(TIMELINE_TYPES))
        .order_by(e.stripe_created, e.received_at)
    ).all()
    told = []
    for row in rows:
        event = parse_payload(row.payload)
        if event is not None:
            told.append((datetime.fromtimestamp(row.stripe_created, UTC), event))
    return told


