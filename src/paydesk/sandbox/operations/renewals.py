"""What happens to subscriptions later: renewals, trial ends, dunning, incomplete expiry,
cancellation (now or at period end), pause and resume. Driven by the timer queue."""

from __future__ import annotations

from paydesk.sandbox import timers
from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.clock import business_now
from paydesk.sandbox.operations import dunning, invoices, manual_invoices
from paydesk.sandbox.operations.periods import DAY
from paydesk.sandbox.operations.subscriptions import (
    LIVE,
    activate,
    build_invoice,
    creating,
    current_period,
    next_period_end,
    schedule_renewal,
    set_period,
    set_status,
)

_TIMER_KINDS = (
    "subscription.renew",
    "subscription.upcoming",
    "subscription.trial_will_end",
    "subscription.expire_incomplete",
)


def _subscription(account: Account, sub_id: str) -> Obj | None:
    sub = account.find(sub_id)
    if sub is None or sub.get("deleted") or sub.get("status") not in LIVE:
        return None
    return sub


# -- renewals ----------------------------------------------------------------------------------


@timers.on_timer("subscription.renew")
def _renew_due(account: Account, sub_id: str, now: int) -> None:
    sub = _subscription(account, sub_id)
    if sub is None:
        return
    renew(account, now, sub)


def renew(account: Account, now: int, sub: Obj) -> None:
    """The period ended: cancel if asked, end the trial, or start the next period and bill it
    (a draft that finalises an hour later)."""
    if sub["cancel_at_period_end"] or (sub["cancel_at"] and sub["cancel_at"] <= now):
        cancel(account, now, sub, reason="cancellation_requested")
        return
    ending_trial = sub["status"] == "trialing"
    if ending_trial and _missing_payment_method(account, sub):
        behaviour = sub["trial_settings"]["end_behavior"]["missing_payment_method"]
        if behaviour == "pause":
            pause(account, now, sub)
            return
        if behaviour == "cancel":
            cancel(account, now, sub, reason="cancellation_requested")
            return
    start_period(account, now, sub, now)
    if ending_trial:
        set_status(account, now, sub, "active", {})
    invoice = build_invoice(account, now, sub, "subscription_cycle")
    _collect_or_pause(account, now, sub, invoice)
    _, end = current_period(sub)
    schedule_renewal(account, sub, end)


def _collect_or_pause(account: Account, now: int, sub: Obj, invoice: Obj) -> None:
    """Bill the new period, unless collection is paused: then the invoice stays a draft, or
    is voided or marked uncollectible at once, as `pause_collection[behavior]` says."""
    pause = sub.get("pause_collection")
    if pause and pause.get("resumes_at") and pause["resumes_at"] <= now:
        previous = account.update(sub, {"pause_collection": None})
        account.emit("customer.subscription.updated", sub, previous, now=now)
        pause = None
    if not pause:
        invoices.announce(account, now, invoice)
        return
    if pause["behavior"] == "keep_as_draft":
        account.update(invoice, {"auto_advance": False})
        invoices.announce(account, now, invoice)
        return
    invoices.announce(account, now, invoice)
    account.update(invoice, {"auto_advance": False})
    invoices.finalize(account, now, invoice)
    if invoice["status"] != "open":
        return  # nothing was due
    if pause["behavior"] == "void":
        invoices.void(account, now, invoice)
    else:
        invoices.mark_uncollectible(account, now, invoice)


def start_period(account: Account, now: int, sub: Obj, start: int) -> None:
    before = {"items": sub["items"], "latest_invoice": sub["latest_invoice"]}
    end = next_period_end(sub, start)
    previous = {
        "items": {
            "data": [
                {
                    "current_period_end": i["current_period_end"],
                    "current_period_start": i["current_period_start"],
                    "id": i["id"],
                }
                for i in before["items"]["data"]
            ]
        }
    }
    set_period(account, sub, start, end)
    account.emit("customer.subscription.updated", sub, previous, now=now)


def _missing_payment_method(account: Account, sub: Obj) -> bool:
    if sub.get("default_payment_method"):
        return False
    customer = account.find(sub["customer"]) or {}
    settings = customer.get("invoice_settings") or {}
    return not (settings.get("default_payment_method") or customer.get("default_source"))


@timers.on_timer("subscription.upcoming")
def _upcoming(account: Account, sub_id: str, now: int) -> None:
    """`invoice.upcoming` a week before a renewal: the preview of what will be billed."""
    sub = _subscription(account, sub_id)
    if sub is None or sub["cancel_at_period_end"] or sub["status"] == "paused":
        return
    customer = account.find(sub["customer"])
    if customer is None:
        return
    preview = manual_invoices.preview(account, now, customer, sub)
    account.emit("invoice.upcoming", preview, now=now)


@timers.on_timer("subscription.trial_will_end")
def _trial_will_end(account: Account, sub_id: str, now: int) -> None:
    sub = _subscription(account, sub_id)
    if sub is not None and sub["status"] == "trialing":
        account.emit("customer.subscription.trial_will_end", sub, now=now)


@timers.on_timer("subscription.expire_incomplete")
def _expire_incomplete(account: Account, sub_id: str, now: int) -> None:
    sub = _subscription(account, sub_id)
    if sub is None or sub["status"] != "incomplete":
        return
    invoice = account.find(sub["latest_invoice"]) if sub["latest_invoice"] else None
    if invoice is not None and invoice["status"] == "open":
        invoices.void(account, now, invoice)
    _end(account, now, sub, "incomplete_expired", reason=None)


# -- payments ----------------------------------------------------------------------------------


def _invoice_paid(account: Account, now: int, invoice: Obj) -> None:
    sub = _subscription(account, invoice["subscription"]) if invoice["subscription"] else None
    if sub is None:
        return
    if sub["status"] in ("incomplete", "past_due", "unpaid"):
        activate(account, now, sub)
    _save_payment_method(account, now, sub, invoice)


def _save_payment_method(account: Account, now: int, sub: Obj, invoice: Obj) -> None:
    """`payment_settings.save_default_payment_method=on_subscription`: the payment method
    that paid becomes the subscription's default."""
    if sub["payment_settings"].get("save_default_payment_method") != "on_subscription":
        return
    pi = invoices.intent_of(account, invoice)
    pm_id = pi.get("payment_method") if pi is not None else None
    if not pm_id or pm_id == sub["default_payment_method"]:
        return
    previous = account.update(sub, {"default_payment_method": pm_id})
    if previous and not creating(sub):
        account.emit("customer.subscription.updated", sub, previous, now=now)


def _invoice_failed(account: Account, now: int, invoice: Obj) -> None:
    """A failed automatic payment (or an overdue sent invoice): past_due, and the next retry
    on the dunning schedule, or the final action once retries are spent."""
    sub = _subscription(account, invoice["subscription"]) if invoice["subscription"] else None
    if sub is None or sub["status"] in ("incomplete", "trialing", "paused"):
        return
    setting = dunning.settings(account.store)
    attempts = int(invoice["attempt_count"])
    if invoice["collection_method"] == "charge_automatically" and attempts <= len(
        setting.retry_days
    ):
        retry_at = now + setting.retry_days[attempts - 1] * DAY if attempts else now
        account.update(invoice, {"next_payment_attempt": retry_at})
        timers.schedule(account, "invoice.retry", invoice["id"], retry_at, invoice["test_clock"])
        if sub["status"] == "active":
            set_status(account, now, sub, "past_due", {})
        return
    account.update(invoice, {"next_payment_attempt": None})
    if invoice["collection_method"] == "send_invoice":
        if sub["status"] == "active":
            set_status(account, now, sub, "past_due", {})
        return
    final_action(account, now, sub, setting.final)


def final_action(account: Account, now: int, sub: Obj, final: str) -> None:
    if final == "cancel":
        cancel(account, now, sub, reason="payment_failed")
    elif final == "unpaid":
        set_status(account, now, sub, "unpaid", {})
    elif sub["status"] != "past_due":
        set_status(account, now, sub, "past_due", {})


@timers.on_timer("invoice.retry")
def _retry(account: Account, invoice_id: str, now: int) -> None:
    invoice = account.find(invoice_id)
    if invoice is None or invoice.get("status") != "open":
        return
    invoices.attempt(account, now, invoice)


def _invoice_processing(account: Account, now: int, invoice: Obj) -> None:
    """A bank debit (SEPA) is processing: the subscription is active while it clears."""
    sub = _subscription(account, invoice["subscription"]) if invoice["subscription"] else None
    if sub is not None and sub["status"] == "incomplete":
        activate(account, now, sub)


invoices.PAID.append(_invoice_paid)
invoices.FAILED.append(_invoice_failed)
invoices.PROCESSING.append(_invoice_processing)


# -- ending, pausing, resuming -----------------------------------------------------------------


def cancel(
    account: Account,
    now: int,
    sub: Obj,
    *,
    reason: str | None = "cancellation_requested",
    comment: str | None = None,
    feedback: str | None = None,
) -> Obj:
    return _end(account, now, sub, "canceled", reason=reason, comment=comment, feedback=feedback)


def cancel_customer_subscriptions(account: Account, wall: int, customer: Obj) -> None:
    """A customer being deleted: Stripe cancels their subscriptions at once (each with its
    `customer.subscription.deleted`), at the customer's business time."""
    now = business_now(account, customer.get("test_clock"), wall)
    mine = [s for s in account.newest("subscription") if s["customer"] == customer["id"]]
    for sub in reversed(mine):  # oldest first
        if sub["status"] in LIVE:
            cancel(account, now, sub)


def _end(
    account: Account,
    now: int,
    sub: Obj,
    status: str,
    *,
    reason: str | None,
    comment: str | None = None,
    feedback: str | None = None,
) -> Obj:
    for kind in _TIMER_KINDS:
        timers.cancel(account, kind, sub["id"])
    details = {"comment": comment, "feedback": feedback, "reason": reason}
    set_status(
        account,
        now,
        sub,
        status,
        {"canceled_at": now, "ended_at": now, "cancellation_details": details},
    )
    account.emit("customer.subscription.deleted", sub, now=now)
    return sub


def pause(account: Account, now: int, sub: Obj) -> None:
    """Trial over with no payment method and `missing_payment_method=pause`."""
    timers.cancel(account, "subscription.renew", sub["id"])
    set_status(account, now, sub, "paused", {})
    account.emit("customer.subscription.paused", sub, now=now)


def resume(account: Account, now: int, sub: Obj) -> Obj:
    """A paused subscription starts a new period now and bills it at once."""
    account.update(sub, {"billing_cycle_anchor": now})
    start_period(account, now, sub, now)
    set_status(account, now, sub, "active", {})
    account.emit("customer.subscription.resumed", sub, now=now)
    invoice = build_invoice(account, now, sub, "subscription_cycle")
    invoices.announce(account, now, invoice)
    invoices.finalize(account, now, invoice)
    invoices.attempt(account, now, invoice)
    _, end = current_period(sub)
    schedule_renewal(account, sub, end)
    return sub
