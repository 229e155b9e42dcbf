"""Status transition tables, pair by pair: every (from, to) is allowed exactly when Stripe
allows it, and everything else is refused as a sandbox bug."""

from __future__ import annotations

import itertools
import uuid

import pytest

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.objects import BadTransition, check_transition
from paydesk.sandbox.objects.balance import TRANSITIONS as BALANCE_TRANSACTION
from paydesk.sandbox.objects.charge import TRANSITIONS as CHARGE
from paydesk.sandbox.objects.checkout_session import TRANSITIONS as CHECKOUT_SESSION
from paydesk.sandbox.objects.invoice import TRANSITIONS as INVOICE
from paydesk.sandbox.objects.payment_intent import TRANSITIONS as PAYMENT_INTENT
from paydesk.sandbox.objects.refund import TRANSITIONS as REFUND
from paydesk.sandbox.objects.subscription import TRANSITIONS as SUBSCRIPTION
from paydesk.sandbox.objects.test_clock import TRANSITIONS as TEST_CLOCK
from paydesk.sandbox.operations import sepa_debit
from paydesk.sandbox.operations.payment_intents import create_intent
from paydesk.sandbox.store import Store

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
    # Stripe's PaymentIntent lifecycle: a payment method makes it ready to confirm; confirming
    # ends in 3DS, processing (bank debits), an authorisation (manual capture) or success; a
    # failed attempt (decline, failed 3DS, bounced debit) goes back to requires_payment_method,
    # and a PaymentIntent may be confirmed again from there or from requires_action; a new
    # payment method on a requires_action one makes it requires_confirmation; capturing may
    # process first; cancel works from all but succeeded; succeeded and canceled are final.
    "payment_intent": (
        PAYMENT_INTENT,
        {
            ("requires_payment_method", "requires_payment_method"),
            ("requires_payment_method", "requires_confirmation"),
            ("requires_payment_method", "requires_action"),
            ("requires_payment_method", "processing"),
            ("requires_payment_method", "requires_capture"),
            ("requires_payment_method", "succeeded"),
            ("requires_payment_method", "canceled"),
            ("requires_confirmation", "requires_payment_method"),
            ("requires_confirmation", "requires_action"),
            ("requires_confirmation", "processing"),
            ("requires_confirmation", "requires_capture"),
            ("requires_confirmation", "succeeded"),
            ("requires_confirmation", "canceled"),
            ("requires_action", "requires_payment_method"),
            ("requires_action", "requires_confirmation"),
            ("requires_action", "requires_action"),
            ("requires_action", "processing"),
            ("requires_action", "requires_capture"),
            ("requires_action", "succeeded"),
            ("requires_action", "canceled"),
            ("processing", "requires_payment_method"),
            ("processing", "succeeded"),
            ("processing", "canceled"),
            ("requires_capture", "processing"),
            ("requires_capture", "succeeded"),
            ("requires_capture", "canceled"),
        },
    ),
    # A charge: pending (bank debits) until it succeeds or fails; captured and refunded are
    # flags, not statuses.
    "charge": (CHARGE, {("pending", "succeeded"), ("pending", "failed")}),
    # A refund: pending ends in success, failure or (Dashboard) cancellation; requires_action
    # goes pending once the customer acts, or is canceled; a succeeded refund can still fail.
    "refund": (
        REFUND,
        {
            ("pending", "succeeded"),
            ("pending", "failed"),
            ("pending", "canceled"),
            ("requires_action", "pending"),
            ("requires_action", "canceled"),
            ("succeeded", "failed"),
        },
    ),
}
# Every status Stripe documents for these objects has a row (and no other status does).
STATUSES = {
    "payment_intent": {
        "requires_payment_method",
        "requires_confirmation",
        "requires_action",
        "processing",
        "requires_capture",
        "canceled",
        "succeeded",
    },
    "charge": {"pending", "succeeded", "failed"},
    "refund": {"pending", "requires_action", "succeeded", "failed", "canceled"},
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


@pytest.mark.parametrize("kind", sorted(STATUSES))
def test_each_table_has_exactly_stripes_statuses(kind: str) -> None:
    table, _allowed = ALLOWED[kind]
    assert set(table) == STATUSES[kind]


# -- the operations consult the tables: a move the table forbids raises -----------------------

NOW = 1_800_000_000


def _debit(pi_status: str, charge_status: str) -> tuple[Account, Obj]:
    """A SEPA-debit PaymentIntent and its charge, in the given statuses, as the bank answers."""
    account = Store().account("acct_" + uuid.uuid4().hex[:16])
    pm = account.insert(
        {"id": "pm_sepa", "object": "payment_method", "sepa_debit": {"fingerprint": "any"}}
    )
    pi = create_intent(account, NOW, 1000, "eur")
    charge = account.insert(
        {"id": "ch_sepa", "object": "charge", "amount": 1000, "currency": "eur"}
        | {"status": charge_status, "payment_intent": pi["id"], "customer": None}
    )
    account.update(
        pi, {"status": pi_status, "latest_charge": charge["id"], "payment_method": pm["id"]}
    )
    return account, pi


def test_a_debit_settles_a_processing_payment_intent_and_its_pending_charge() -> None:
    account, pi = _debit("processing", "pending")
    sepa_debit.settle(account, NOW, pi)
    assert pi["status"] == "succeeded"
    assert account.get("ch_sepa", "charge")["status"] == "succeeded"


def test_a_debit_answered_twice_is_refused_by_the_payment_intents_table() -> None:
    account, pi = _debit("succeeded", "pending")
    with pytest.raises(BadTransition, match="payment_intent cannot go from succeeded to"):
        sepa_debit.settle(account, NOW, pi)


def test_a_debit_cannot_revive_a_failed_charge() -> None:
    account, pi = _debit("processing", "failed")
    with pytest.raises(BadTransition, match="charge cannot go from failed to succeeded"):
        sepa_debit.settle(account, NOW, pi)
