"""A SEPA Direct Debit payment: confirmed, it stays `processing` (with a pending charge and a
mandate) until the bank answers; that answer comes on the timer queue, on the business clock
of the customer (a test clock moves it), as Stripe's test mode settles its test IBANs."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox import timers
from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import DOC
from paydesk.sandbox.objects import charge as charge_model
from paydesk.sandbox.objects import check_transition, sepa
from paydesk.sandbox.objects import payment_intent as pi_model
from paydesk.sandbox.operations.balance import record_charge
from paydesk.sandbox.operations.charges import new_charge
from paydesk.sandbox.operations.payment_methods import fingerprint as keyed_fingerprint
from paydesk.sandbox.payment_hooks import settled

SETTLE = "sepa_debit.settle"
_MESSAGES = {
    "generic_decline": "The payment failed: the bank declined the direct debit.",
    "insufficient_funds": "The customer's account has insufficient funds to cover this payment.",
    "charge_exceeds_source_limit": "This payment would exceed the account's weekly volume limit.",
    "charge_exceeds_weekly_limit": "This payment exceeds the account's transaction limit.",
}


def _pi_moved(pi: Obj, status: str) -> str:
    check_transition(pi_model.TRANSITIONS, "payment_intent", pi["status"], status)
    return status


def _charge_moved(charge: Obj, status: str) -> str:
    check_transition(charge_model.TRANSITIONS, "charge", charge["status"], status)
    return status


def outcome_of(account: Account, pm: Obj) -> sepa.Outcome:
    """What the bank will answer: by the IBAN's fingerprint, so the number is never kept."""
    fingerprint = pm["sepa_debit"]["fingerprint"]
    for iban, outcome in sepa.TEST_IBANS.items():
        if keyed_fingerprint(account, iban) == fingerprint:
            return outcome
    return sepa.SUCCESS  # any other valid IBAN: a plain successful debit


def _clock_of(account: Account, pi: Obj) -> str | None:
    customer = account.find(pi["customer"]) if pi.get("customer") else None
    return (customer or {}).get("test_clock")


def start(account: Account, pi: Obj, pm: Obj, base_url: str, *, now: int) -> Obj:
    """Confirming with a `sepa_debit` method: mandate, pending charge, `processing`."""
    clock = _clock_of(account, pi)
    test_clock = account.find(clock) if clock else None
    if test_clock is not None and test_clock.get("status") != "advancing":
        # Confirmed by an API call on a simulated customer: the debit starts at its clock's
        # time, so advancing that clock settles it (a timer firing mid-advance passes its own).
        now = int(test_clock["frozen_time"])
    mandate = _mandate(account, now, pm)
    charge = new_charge(account, pi, pm, base_url, pending=True, now=now)
    account.update(
        charge,
        {
            "captured": True,
            "amount_captured": charge["amount"],
            "outcome": None,
            "payment_method_details": sepa.charge_details(pm, mandate["id"]),
        },
    )
    account.update(
        pi,
        {"status": _pi_moved(pi, "processing"), "latest_charge": charge["id"], "next_action": None},
    )
    account.emit("charge.pending", charge, now=now)
    account.emit("payment_intent.processing", pi, now=now)
    delay = outcome_of(account, pm).delay
    timers.schedule(account, SETTLE, pi["id"], now + delay, clock)
    settled(account, pi, now=now)  # an invoice learns its payment is on the way
    return pi


def _mandate(account: Account, now: int, pm: Obj) -> Obj:
    found = next(account.newest("mandate", lambda m: m["payment_method"] == pm["id"]), None)
    if found is not None:
        return found
    mandate_id = account.new_id("mandate")
    reference = mandate_id.removeprefix("mandate_")[:16].upper()
    return account.insert(sepa.mandate(mandate_id, now, pm["id"], reference))


@timers.on_timer(SETTLE)
def _settle_due(account: Account, pi_id: str, now: int) -> None:
    pi = account.find(pi_id)
    if pi is None or pi.get("status") != "processing":
        return
    settle(account, now, pi)


def settle(account: Account, now: int, pi: Obj) -> Obj:
    """The bank's answer: the debit clears (`succeeded`) or bounces (back to
    `requires_payment_method` with the failure), with Stripe's events."""
    charge = account.get(pi["latest_charge"], "charge", "payment_intent")
    pm = account.get(pi["payment_method"], "payment_method", "payment_method")
    outcome = outcome_of(account, pm)
    if outcome.succeeds:
        _cleared(account, now, pi, charge, outcome)
    else:
        _bounced(account, now, pi, charge, pm, outcome.failure_code or "generic_decline")
    settled(account, pi, now=now)
    return pi


def _cleared(account: Account, now: int, pi: Obj, charge: Obj, outcome: sepa.Outcome) -> None:
    account.update(
        charge,
        {
            "status": _charge_moved(charge, "succeeded"),
            "paid": True,
            "balance_transaction": record_charge(account, charge, charge["amount"], now=now),
            "disputed": outcome.disputed,
        },
    )
    account.update(pi, {"status": _pi_moved(pi, "succeeded"), "amount_received": pi["amount"]})
    account.emit("charge.succeeded", charge, now=now)
    account.emit("payment_intent.succeeded", pi, now=now)
    if outcome.disputed:
        account.emit("charge.dispute.created", _dispute(account, now, charge), now=now)


def _bounced(account: Account, now: int, pi: Obj, charge: Obj, pm: Obj, code: str) -> None:
    message = _MESSAGES.get(code, _MESSAGES["generic_decline"])
    status = _charge_moved(charge, "failed")
    account.update(charge, {"status": status, "failure_code": code, "failure_message": message})
    error: dict[str, Any] = {
        "charge": charge["id"],
        "code": code,
        "decline_code": None,
        "doc_url": DOC + code.replace("_", "-"),
        "message": message,
        "payment_method": pm,
        "type": "card_error" if code == "insufficient_funds" else "invalid_request_error",
    }
    account.update(
        pi,
        {
            "status": _pi_moved(pi, "requires_payment_method"),
            "payment_method": None,
            "last_payment_error": error,
        },
    )
    account.emit("charge.failed", charge, now=now)
    account.emit("payment_intent.payment_failed", pi, now=now)


def _dispute(account: Account, now: int, charge: Obj) -> Obj:
    dispute: Obj = {
        "id": account.new_id("dp"),
        "object": "dispute",
        "amount": charge["amount"],
        "balance_transactions": [],
        "charge": charge["id"],
        "created": now,
        "currency": charge["currency"],
        "evidence_details": {
            "due_by": None,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "reason": "general",
        "status": "lost",
    }
    return account.insert(dispute)
