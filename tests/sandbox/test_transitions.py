"""Status transition tables, pair by pair: every (from, to) is allowed exactly when Stripe
allows it, and everything else is refused as a sandbox bug."""

from __future__ import annotations

import itertools

import pytest

from paydesk.sandbox.objects import BadTransition, check_transition
from paydesk.sandbox.objects.balance import TRANSITIONS as BALANCE_TRANSACTION
from paydesk.sandbox.objects.checkout_session import TRANSITIONS as CHECKOUT_SESSION
from paydesk.sandbox.objects.invoice import TRANSITIONS as INVOICE
from paydesk.sandbox.objects.subscription import TRANSITIONS as SUBSCRIPTION
from paydesk.sandbox.objects.test_clock import TRANSITIONS as TEST_CLOCK

# What Stripe does, written out independently of the tables under test.
ALLOWED = {
    "balance_transaction": (BALANCE_TRANSACTION, {("pending", "available")}),
    # Stripe's invoice lifecycle: finalise a draft; an open invoice is paid, voided or marked
    # uncollectible; an uncollectible one can still be paid or voided; paid and void are final.
    "invoice": (
        INVOICE,
        {
            ("draft", "open"),
            ("open", "paid"),
            ("open", "void"),
            ("open", "uncollectible"),
            ("uncollectible", "paid"),
            ("uncollectible", "void"),
        },
    ),
    # Stripe's subscription statuses: incomplete until the first invoice is paid (or expires
    # after 23 h, or is canceled); trials convert, fall past due, pause without a payment
    # method, or end; dunning moves active -> past_due -> canceled/unpaid; paid invoices bring
    # past_due and unpaid back; paused ones resume.
    "subscription": (
        SUBSCRIPTION,
        {
            ("incomplete", "active"),
            ("incomplete", "trialing"),
            ("incomplete", "incomplete_expired"),
            ("incomplete", "canceled"),
            ("trialing", "active"),
            ("trialing", "past_due"),
            ("trialing", "paused"),
            ("trialing", "canceled"),
            ("trialing", "unpaid"),
            ("active", "past_due"),
            ("active", "canceled"),
            ("active", "unpaid"),
            ("active", "trialing"),
            ("active", "paused"),
            ("past_due", "active"),
            ("past_due", "canceled"),
            ("past_due", "unpaid"),
            ("unpaid", "active"),
            ("unpaid", "canceled"),
            ("paused", "active"),
            ("paused", "trialing"),
            ("paused", "canceled"),
        },
    ),
    "test_helpers.test_clock": (
        TEST_CLOCK,
        {("ready", "advancing"), ("advancing", "ready"), ("advancing", "internal_failure")},
    ),
    "checkout.session": (CHECKOUT_SESSION, {("open", "complete"), ("open", "expired")}),
}

CASES = [
    (kind, old, new)
    for kind, (table, _allowed) in ALLOWED.items()
    for old, new in itertools.product(sorted(table), repeat=2)
]


@pytest.mark.parametrize(("kind", "old", "new"), CASES)
def test_each_pair_is_allowed_exactly_when_stripe_allows_it(kind: str, old: str, new: str) -> None:
    table, allowed = ALLOWED[kind]
    if (old, new) in allowed:
        check_transition(table, kind, old, new)
    else:
        with pytest.raises(BadTransition, match=f"{kind} cannot go from {old} to {new}"):
            check_transition(table, kind, old, new)


@pytest.mark.parametrize("kind", sorted(ALLOWED))
def test_every_allowed_pair_names_known_statuses(kind: str) -> None:
    table, allowed = ALLOWED[kind]
    assert {s for pair in allowed for s in pair} <= set(table)
