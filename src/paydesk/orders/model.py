"""The order's state machine, as data. Pure: no database, no framework.

Events can arrive late, twice or out of order, so a handler asks `next_status` and does nothing
when the move is not in the table: a state never moves backwards.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FULFILLED = "fulfilled"
    EXPIRED = "expired"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class Trigger(StrEnum):
    PAY = "pay"  # checkout.session.completed / async_payment_succeeded with payment_status=paid
    FULFIL = "fulfil"  # stock committed, access granted, email queued
    EXPIRE = "expire"  # checkout.session.expired (or async payment failed)
    REFUND_PARTIAL = "refund_partial"
    REFUND_FULL = "refund_full"


S, T = OrderStatus, Trigger

TRANSITIONS: dict[tuple[OrderStatus, Trigger], OrderStatus] = {
    (S.PENDING, T.PAY): S.PAID,
    # A payment that completes after we saw the session expire is still money received.
    (S.EXPIRED, T.PAY): S.PAID,
    (S.PAID, T.FULFIL): S.FULFILLED,
    (S.PENDING, T.EXPIRE): S.EXPIRED,
    (S.PAID, T.REFUND_PARTIAL): S.PARTIALLY_REFUNDED,
    (S.FULFILLED, T.REFUND_PARTIAL): S.PARTIALLY_REFUNDED,
    (S.PARTIALLY_REFUNDED, T.REFUND_PARTIAL): S.PARTIALLY_REFUNDED,
    (S.PAID, T.REFUND_FULL): S.REFUNDED,
    (S.FULFILLED, T.REFUND_FULL): S.REFUNDED,
    (S.PARTIALLY_REFUNDED, T.REFUND_FULL): S.REFUNDED,
}


# Orders whose payment went through: they count towards revenue.
PAID_STATUSES = frozenset({S.PAID, S.FULFILLED, S.PARTIALLY_REFUNDED, S.REFUNDED})
# Orders a refund may still be asked for: those the table lets refund (partially).
REFUNDABLE = frozenset(s for (s, t) in TRANSITIONS if t == T.REFUND_PARTIAL) - {S.REFUNDED}


class IllegalTransition(Exception):
    def __init__(self, status: OrderStatus, trigger: Trigger) -> None:
        super().__init__(f"an order that is {status.value} cannot {trigger.value}")
        self.status = status
        self.trigger = trigger


def next_status(status: OrderStatus, trigger: Trigger) -> OrderStatus | None:
    """The state after `trigger`, or None when the move is not allowed (ignore the event)."""
    return TRANSITIONS.get((status, trigger))


def transition(status: OrderStatus, trigger: Trigger) -> OrderStatus:
    """Like `next_status`, but an illegal move raises."""
    new = next_status(status, trigger)
    if new is None:
        raise IllegalTransition(status, trigger)
    return new


def refund_trigger(amount_refunded: int, amount_total: int) -> Trigger:
    return T.REFUND_FULL if amount_refunded >= amount_total else T.REFUND_PARTIAL
