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
from datetime import datetime
from typing import Protocol, TypeVar

import orjson

from paydesk.billing.errors import NotOurs
from paydesk.billing.parse import (
    InvoiceInfo,
    NotASubscription,
    SubscriptionInfo,
    parse_invoice,
    parse_subscription,
    when,
)
from paydesk.fulfilment.service import Fulfilment
from paydesk.orders.lookup import UnknownOrder
from paydesk.orders.payments import CheckoutSession, PaymentIntent, RefundedCharge

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


@dataclass(frozen=True)
class SubscriptionChanged:
    """Created, updated, paused, resumed or deleted: the entitlement follows (never back)."""

    subscription: SubscriptionInfo
    created: int  # the event's: orders what the record holds
    change: str  # created | updated | deleted | paused | resumed
    changed: frozenset[str]  # the fields in Stripe's previous_attributes


@dataclass(frozen=True)
class TrialEnding:
    subscription: SubscriptionInfo
    created: int


@dataclass(frozen=True)
class InvoiceChanged:
    kind: str  # finalized | paid | payment_failed | payment_action_required | voided | …
    invoice: InvoiceInfo
    created: int


@dataclass(frozen=True)
class ClockReady:
    """A test clock finished advancing: its subscriptions' world is at `frozen`."""

    clock_id: str
    frozen: datetime


@dataclass(frozen=True)
class IntentSucceeded:
    """A PaymentIntent paid on the shop's own page (Checkout's own are paid via the session)."""

    intent: PaymentIntent


@dataclass(frozen=True)
class IntentFailed:
    intent: PaymentIntent


@dataclass(frozen=True)
class IntentCanceled:
    intent: PaymentIntent


Event = (
    SessionCompleted | SessionEnded | ChargeRefunded | SubscriptionChanged | TrialEnding
    | InvoiceChanged | ClockReady | IntentSucceeded | IntentFailed | IntentCanceled
)


Parser = Callable[[Mapping[str, object]], Event | None]
# Billing events need the event's own `created` besides its object.
EventParser = Callable[[Mapping[str, object], Mapping[str, object]], Event | None]
T = TypeVar("T")


def _wrapped(
    read: Callable[[Mapping[str, object]], T | None], kind: Callable[[T], Event]
) -> Parser:
    """The object read by `read` as a `kind` event; None when `read` finds no object (no id)."""

    def parse(obj: Mapping[str, object]) -> Event | None:
        value = read(obj)
        return None if value is None else kind(value)

    return parse


# Types whose paid sessions the processor may fulfil a batch at a time.
BATCHABLE_TYPES = frozenset(
    {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
)
PARSERS: dict[str, Parser] = {
    **{event_type: _wrapped(CheckoutSession.parse, SessionCompleted)
       for event_type in BATCHABLE_TYPES},
    "checkout.session.async_payment_failed": _wrapped(CheckoutSession.parse, SessionEnded),
    "checkout.session.expired": _wrapped(CheckoutSession.parse, SessionEnded),
    "charge.refunded": _wrapped(RefundedCharge.parse, ChargeRefunded),
    "payment_intent.succeeded": _wrapped(PaymentIntent.parse, IntentSucceeded),
    "payment_intent.payment_failed": _wrapped(PaymentIntent.parse, IntentFailed),
    "payment_intent.canceled": _wrapped(PaymentIntent.parse, IntentCanceled),
}


def _subscription(kind: Callable[[SubscriptionInfo, int], Event]) -> EventParser:
    def parse(event: Mapping[str, object], obj: Mapping[str, object]) -> Event:
        return kind(parse_subscription(dict(obj)), _created(event))

    return parse


def _subscription_changed(change: str) -> EventParser:
    def parse(event: Mapping[str, object], obj: Mapping[str, object]) -> Event:
        data = event.get("data")
        before = data.get("previous_attributes") if isinstance(data, Mapping) else None
        changed = frozenset(before) if isinstance(before, Mapping) else frozenset()
        return SubscriptionChanged(parse_subscription(dict(obj)), _created(event), change, changed)

    return parse


def _invoice(kind: str) -> EventParser:
    def parse(event: Mapping[str, object], obj: Mapping[str, object]) -> Event:
        return InvoiceChanged(kind, parse_invoice(dict(obj)), _created(event))

    return parse


def _clock(event: Mapping[str, object], obj: Mapping[str, object]) -> Event | None:
    frozen, clock_id = when(obj.get("frozen_time")), obj.get("id")
    return ClockReady(clock_id, frozen) if frozen and isinstance(clock_id, str) else None


def _created(event: Mapping[str, object]) -> int:
    created = event.get("created")
    if not isinstance(created, int) or isinstance(created, bool):
        raise NotASubscription("event without created")
    return created


BILLING_PARSERS: dict[str, EventParser] = {
    **{f"customer.subscription.{change}": _subscription_changed(change)
       for change in ("created", "updated", "deleted", "paused", "resumed")},
    "customer.subscription.trial_will_end": _subscription(TrialEnding),
    **{f"invoice.{kind}": _invoice(kind) for kind in (
        "finalized", "paid", "payment_failed", "payment_action_required", "voided",
        "marked_uncollectible")},
    "test_helpers.test_clock.ready": _clock,
}
# What the pipeline asks Stripe for when it recovers missed events (the rest would be ignored).
EVENT_TYPES = frozenset(PARSERS) | frozenset(BILLING_PARSERS)
# The events the admin's order timeline tells in words (a declined card, a refund), parsed here.
TIMELINE_TYPES = frozenset({"payment_intent.payment_failed", "charge.refunded"})
# And a billing customer's timeline: their subscriptions' and invoices' events.
BILLING_TIMELINE_TYPES = frozenset(BILLING_PARSERS) - {"test_helpers.test_clock.ready"}


def parse(event: Mapping[str, object]) -> Event | None:
    """The typed event, or None when the shop has nothing to do with it (another type, or an
    object without an id)."""
    event_type = str(event.get("type", ""))
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(obj, Mapping):
        return None
    billing = BILLING_PARSERS.get(event_type)
    if billing is not None:
        try:
            return billing(event, obj)
        except (NotASubscription, ValueError):
            return None  # not a subscription or invoice Stripe would send: nothing to do
    parser = PARSERS.get(event_type)
    return parser(obj) if parser is not None else None


def parse_payload(payload: str) -> Event | None:
    """A stored delivery's typed event; None when it is not a JSON object or does not parse
    (the processor then handles it one at a time, where the failure is recorded on its row)."""
    try:
        event = orjson.loads(payload)
        return parse(event) if isinstance(event, dict) else None
    except ValueError:  # not JSON, or a field of the wrong type (MalformedObject)
        return None


class OrderBook(Protocol):
    """What the handlers need from the orders, inside the processor's transaction."""

    def fulfil(self, session: CheckoutSession) -> Fulfilment: ...
    def expire(self, session: CheckoutSession) -> bool: ...
    def record_refund(self, charge: RefundedCharge) -> str: ...
    # A PaymentIntent of the shop's own payment page; each raises UnknownOrder for another one.
    def fulfil_intent(self, intent: PaymentIntent) -> Fulfilment: ...
    def intent_failed(self, intent: PaymentIntent) -> str: ...
    def intent_canceled(self, intent: PaymentIntent) -> bool: ...


class Billing(Protocol):
    """What the billing handlers need, inside the processor's transaction. Each returns a note
    for the admin (None when there is nothing to say) and raises NotOurs for a subscription this
    shop did not sell."""

    def subscription_changed(self, sub: SubscriptionInfo, created: int) -> str | None: ...
    def trial_ending(self, sub: SubscriptionInfo, created: int) -> str | None: ...
    def invoice_changed(self, kind: str, invoice: InvoiceInfo, created: int) -> str | None: ...
    def clock_ready(self, clock_id: str, frozen: datetime) -> None: ...


def handle(event: Event | None, book: OrderBook, billing: Billing | None = None) -> Outcome:
    if billing is not None and isinstance(
        event, SubscriptionChanged | TrialEnding | InvoiceChanged | ClockReady
    ):
        return _handle_billing(event, billing)
    if isinstance(event, IntentSucceeded | IntentFailed | IntentCanceled):
        return _handle_intent(event, book)
    try:
        match event:
            case SessionCompleted(session):
                return session_outcome(book.fulfil(session), session.id)
            case SessionEnded(session):
                book.expire(session)
                return "processed", None
            case ChargeRefunded(charge):
                book.record_refund(charge)
                return "processed", None
            case _:
                # None, or a billing event with no billing side given: stored for the record
                # and for replay; nothing to do.
                return "ignored", None
    except UnknownOrder as exc:
        # Not ours (another integration on the same account): retrying never changes that.
        return "ignored", str(exc)


def session_outcome(result: Fulfilment, session_id: str) -> Outcome:
    """What fulfilling a paid session's event records on its row, one at a time (`handle`) or
    in the processor's batch: ignored when no order is ours, else the held reason, if any."""
    if session_id in result.unknown:
        return "ignored", str(UnknownOrder.of_session(session_id))
    order_id = result.order_of.get(session_id)
    return "processed", result.held.get(order_id) if order_id else None


def _handle_billing(
    event: SubscriptionChanged | TrialEnding | InvoiceChanged | ClockReady, billing: Billing
) -> Outcome:
    try:
        match event:
            case SubscriptionChanged(sub, created):
                note = billing.subscription_changed(sub, created)
            case TrialEnding(sub, created):
                note = billing.trial_ending(sub, created)
            case InvoiceChanged(kind, invoice, created):
                note = billing.invoice_changed(kind, invoice, created)
                if note:
                    return "ignored", note
            case ClockReady(clock_id, frozen):
                billing.clock_ready(clock_id, frozen)
                note = None
    except NotOurs as exc:
        return "ignored", str(exc)
    return "processed", note


def _handle_intent(
    event: IntentSucceeded | IntentFailed | IntentCanceled, book: OrderBook
) -> Outcome:
    try:
        match event:
            case IntentSucceeded(intent):
                result = book.fulfil_intent(intent)
                order_id = result.order_of.get(intent.id)
                return "processed", result.held.get(order_id) if order_id else None
            case IntentFailed(intent):
                return "processed", book.intent_failed(intent)
            case IntentCanceled(intent):
                book.intent_canceled(intent)
                return "processed", None
    except UnknownOrder:
        # Checkout's own PaymentIntents (their session pays the order), or another integration's.
        return "ignored", None
