"""The order state machine, every (state, trigger) pair: no database."""

from __future__ import annotations

import itertools

import pytest

from paydesk.orders.model import (
    TRANSITIONS,
    IllegalTransition,
    OrderStatus,
    Trigger,
    next_status,
    refund_trigger,
    transition,
)

S, T = OrderStatus, Trigger

EXPECTED = {
    (S.PENDING, T.PAY): S.PAID,
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


@pytest.mark.parametrize(("status", "trigger"), list(itertools.product(S, T)))
def test_every_pair_moves_as_the_table_says_or_not_at_all(
    status: OrderStatus, trigger: Trigger
) -> None:
    expected = EXPECTED.get((status, trigger))
    assert next_status(status, trigger) == expected
    if expected is None:
        with pytest.raises(IllegalTransition):
            transition(status, trigger)
    else:
        assert transition(status, trigger) == expected


def test_the_table_is_exactly_the_expected_one() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize("late", [T.EXPIRE, T.PAY])
def test_late_events_never_move_a_fulfilled_or_refunded_order_backwards(late: Trigger) -> None:
    for status in (S.FULFILLED, S.REFUNDED, S.PARTIALLY_REFUNDED):
        assert next_status(status, late) is None


@pytest.mark.parametrize(
    ("refunded", "total", "trigger"),
    [(1, 100, T.REFUND_PARTIAL), (99, 100, T.REFUND_PARTIAL), (100, 100, T.REFUND_FULL),
     (150, 100, T.REFUND_FULL)],
)
def test_refund_trigger_depends_on_the_amount_left(
    refunded: int, total: int, trigger: Trigger
) -> None:
    assert refund_trigger(refunded, total) == trigger
