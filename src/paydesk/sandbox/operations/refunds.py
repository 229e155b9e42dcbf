"""Refunds: full or partial, by charge or payment intent; never more than what is left."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj, snapshot
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.money import format_money as _money
from paydesk.sandbox.objects import refund as model
from paydesk.sandbox.operations.balance import record_refund
from paydesk.sandbox.params import apply_metadata

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def create_refund(
    account: Account,
    *,
    charge: Obj,
    amount: int | None,
    reason: str | None = None,
    metadata: dict[str, str] | None = None,
    now: int,
) -> Obj:
    """Refund `amount` (all that is left when None) of a captured charge; emits refund.created
    and charge.refunded."""
    if charge.get("status") != "succeeded" or not charge.get("captured"):
        raise InvalidRequest(
            f"Charge {charge['id']} has not been captured or did not succeed, so it cannot be "
            "refunded.",
            param="charge",
        )
    # What was never captured counts as refunded already (see refund_uncaptured).
    left = int(charge["amount"]) - int(charge["amount_refunded"])
    if left <= 0:
        raise InvalidRequest(
            f"Charge {charge['id']} has already been refunded.",
            code="charge_already_refunded",
            param="amount" if amount is not None else "charge",
        )
    if amount is None:
        amount = left
    if amount > left:
        currency = charge["currency"]
        raise InvalidRequest(
            f"Refund amount ({_money(amount, currency)}) is greater than unrefunded amount on "
            f"charge ({_money(left, currency)})",
            code="amount_too_large",
            param="amount",
        )
    refund = _new_refund(account, charge, amount, reason, metadata, now=now)
    refund["balance_transaction"] = record_refund(account, refund, charge, now=now)
    return _record(account, charge, refund, now=now)


def refund_uncaptured(account: Account, charge: Obj, amount: int, *, now: int) -> Obj:
    """A partial capture gives back the rest of the authorisation as Stripe does: a refund
    of it on the charge (`amount_refunded`, refund.created, charge.refunded). No money moved
    for it, so no balance transaction."""
    return _record(
        account, charge, _new_refund(account, charge, amount, None, None, now=now), now=now
    )


def _new_refund(
    account: Account,
    charge: Obj,
    amount: int,
    reason: str | None,
    metadata: dict[str, str] | None,
    *,
    now: int,
) -> Obj:
    refund = model.refund(account.new_id("re"), now, amount, charge)
    refund.update(metadata=metadata or {}, reason=reason)
    return refund


def _record(account: Account, charge: Obj, refund: Obj, *, now: int) -> Obj:
    account.insert(refund)
    refunds = dict(charge["refunds"])
    refunds["data"] = [snapshot(refund), *refunds["data"]]
    refunds["total_count"] = len(refunds["data"])
    refunded = int(charge["amount_refunded"]) + int(refund["amount"])
    previous = account.update(
        charge,
        {
            "amount_refunded": refunded,
            "refunded": refunded >= int(charge["amount"]),
            "refunds": refunds,
        },
    )
    previous.pop("refunds", None)
    account.emit("refund.created", refund, now=now)
    account.emit("charge.refunded", charge, previous, now=now)
    return refund


def _sync_charge_copy(account: Account, refund: Obj) -> None:
    """The charge's `refunds` list embeds refunds; keep its copy in step with updates."""
    charge = account.find(refund["charge"])
    if charge is None:
        return
    data = [
        snapshot(refund) if r.get("id") == refund["id"] else r for r in charge["refunds"]["data"]
    ]
    account.update(charge, {"refunds": {**charge["refunds"], "data": data}})


def refunded_charge(account: Account, charge_id: str | None, pi_id: str | None) -> Obj:
    """The charge a refund is for, named by `charge` or by `payment_intent` (its charge)."""
    if charge_id and pi_id:
        raise InvalidRequest(
            "You cannot specify both charge and payment_intent.", param="payment_intent"
        )
    if charge_id:
        return account.get(charge_id, "charge", "charge")
    if pi_id:
        pi = account.get(pi_id, "payment_intent", "payment_intent")
        if pi["status"] != "succeeded" or not pi.get("latest_charge"):
            raise InvalidRequest(
                f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        return account.get(pi["latest_charge"], "charge", "payment_intent")
    raise InvalidRequest(
        "One of the following params should be provided for this request: payment_intent "
        "or charge.",
        param="charge",
        code="parameter_missing",
    )


def update_refund(account: Account, now: int, refund: Obj, p: dict[str, Any]) -> Obj:
    changes: dict[str, Any] = {}
    if "metadata" in p:
        changes["metadata"] = apply_metadata(refund["metadata"], p)
    previous = account.update(refund, changes)
    if previous:
        _sync_charge_copy(account, refund)
        account.emit("refund.updated", refund, previous, now=now)
    return refund
