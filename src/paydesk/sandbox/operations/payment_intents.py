"""PaymentIntents: Stripe's status machine, test-card outcomes, 3DS, manual capture, cancel.

The plain functions (`create_intent`, `confirm_intent`, `finish_authentication`) are what the
API handlers and the hosted pages (Checkout, the 3DS challenge) share.
"""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import DOC, CardError, InvalidRequest, ResourceMissing
from paydesk.sandbox.ids import secret
from paydesk.sandbox.objects import check_transition
from paydesk.sandbox.objects.card import card_view
from paydesk.sandbox.objects.payment_intent import TRANSITIONS, payment_intent
from paydesk.sandbox.objects.payment_method_options import (
    challenge_action,
    challenge_base_url,
    forces_challenge,
)
from paydesk.sandbox.operations import sepa_debit
from paydesk.sandbox.operations.balance import record_charge
from paydesk.sandbox.operations.charges import new_charge
from paydesk.sandbox.operations.payment_methods import (
    AUTH_REQUIRED,
    Decline,
    attach,
    behaviour,
    card_payment_method,
    resolve,
)
from paydesk.sandbox.operations.refunds import refund_uncaptured
from paydesk.sandbox.operations.setup_intents import set_up_for_off_session
from paydesk.sandbox.payment_hooks import settled

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")

AUTH_FAILED_MESSAGE = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
    "or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)


def unexpected_state(pi: Obj, action: str, allowed: tuple[str, ...]) -> InvalidRequest:
    return InvalidRequest(
        f"You cannot {action} this PaymentIntent because it has a status of {pi['status']}. "
        f"Only a PaymentIntent with one of the following statuses may be {action}ed: "
        f"{', '.join(allowed)}.".replace("canceled", "canceled").replace("cancelled", "canceled"),
        code="payment_intent_unexpected_state",
        extra={"payment_intent": pi},
    )


def moved(pi: Obj, status: str) -> str:
    """`status`, once the transition table allows `pi` to move there (else a sandbox bug)."""
    check_transition(TRANSITIONS, "payment_intent", pi["status"], status)
    return status


def create_intent(
    account: Account, now: int, amount: int, currency: str, fields: dict[str, Any] | None = None
) -> Obj:
    """A new PaymentIntent in `requires_payment_method`; emits payment_intent.created.
    `fields`: the PaymentIntent's own fields the caller sets (customer, description, metadata,
    capture_method, payment_method_types, payment_method_options, shipping…)."""
    pi_id = account.new_id("pi")
    pi = payment_intent(pi_id, now, amount, currency, secret(f"{pi_id}_secret", 25))
    given = {k: v for k, v in (fields or {}).items() if v is not None}
    unknown = set(given) - set(pi)
    assert not unknown, f"not PaymentIntent fields: {sorted(unknown)}"  # a sandbox bug
    pi.update(given)
    if "payment_method_types" not in given and "automatic_payment_methods" not in given:
        pi["automatic_payment_methods"] = {"allow_redirects": "always", "enabled": True}
    pi["payment_method_options"] = _with_card_defaults(pi["payment_method_options"])
    account.insert(pi)
    account.emit("payment_intent.created", pi, now=now)
    return pi


def payment_method_for(account: Account, pi: Obj, pm_id: str, *, now: int) -> Obj:
    """The PaymentMethod `pm_id`, or a customer's saved card (`card_…`, `src_…`): Stripe takes
    one as a payment_method and charges it as one."""
    if not pm_id.startswith(("card_", "src_")):
        return resolve(account, pm_id, "payment_method", now=now)
    card = account.find(pm_id)
    if card is None or card.get("object") not in ("card", "source") or card.get("deleted"):
        raise ResourceMissing("payment_method", pm_id, "payment_method")
    owner = card.get("customer")
    if owner is not None and owner != pi.get("customer"):
        raise InvalidRequest(
            f"The provided source {pm_id} belongs to a Customer; to use it, also pass that "
            "customer on the PaymentIntent.",
            param="payment_method",
        )
    return {**card_view(card), "object": "payment_method", "customer": owner, "type": "card"}


def _with_card_defaults(options: dict[str, Any]) -> dict[str, Any]:
    card = {
        "installments": None,
        "mandate_options": None,
        "network": None,
        "request_three_d_secure": "automatic",
        **(options.get("card") or {}),
    }
    return {**options, "card": card}


def confirm_intent(
    account: Account,
    pi: Obj,
    payment_method_id: str,
    base_url: str,
    return_url: str | None = None,
    *,
    off_session: bool = False,
    now: int,
) -> Obj:
    """Run the payment: the PI comes back succeeded, requires_capture or requires_action, or a
    CardError is raised after the decline is recorded (failed charge, events)."""
    if pi["status"] not in CONFIRMABLE:
        raise unexpected_state(pi, "confirm", CONFIRMABLE)
    pm = payment_method_for(account, pi, payment_method_id, now=now)
    if pi.get("customer") and pm.get("customer") and pm["customer"] != pi["customer"]:
        raise InvalidRequest(
            f"The provided PaymentMethod {pm['id']} was previously used with a PaymentIntent "
            "without Customer attachment, shared with a connected account without Customer "
            "attachment, or was detached from a Customer. It may not be used again.",
            param="payment_method",
        )
    account.update(pi, {"payment_method": pm["id"], "last_payment_error": None})
    if pm["type"] == "sepa_debit":
        return sepa_debit.start(account, pi, pm, base_url, now=now)  # settles later (timers)
    behave = behaviour(account, pm)
    needs_3ds = behave.needs_3ds or forces_challenge(pi["payment_method_options"])
    if (
        needs_3ds
        and off_session
        and behave.off_session_once_set_up
        and not forces_challenge(pi["payment_method_options"])
        and set_up_for_off_session(account, pm["id"])
    ):
        needs_3ds = False  # authenticated when the card was set up (4000 0025 0000 3155)
    if needs_3ds:
        if off_session:
            return _decline(account, pi, pm, AUTH_REQUIRED, base_url, now=now)
        return _require_action(account, pi, base_url, return_url, now=now)
    if behave.decline is not None:
        return _decline(account, pi, pm, behave.decline, base_url, now=now)
    return _succeed(account, pi, pm, base_url, now=now)


def _require_action(
    account: Account, pi: Obj, base_url: str, return_url: str | None, *, now: int
) -> Obj:
    account.update(pi, {
        "status": moved(pi, "requires_action"),
        "next_action": challenge_action(base_url, pi, return_url),
    })
    account.emit("payment_intent.requires_action", pi, now=now)
    return pi


def _succeed(account: Account, pi: Obj, pm: Obj, base_url: str, *, now: int) -> Obj:
    manual = pi["capture_method"] == "manual"
    charge = new_charge(account, pi, pm, base_url, captured=not manual, now=now)
    changes: dict[str, Any] = {"latest_charge": charge["id"], "next_action": None}
    if manual:
        changes.update(status=moved(pi, "requires_capture"), amount_capturable=pi["amount"])
    else:
        changes.update(status=moved(pi, "succeeded"), amount_received=pi["amount"])
    account.update(pi, changes)
    if pi.get("setup_future_usage") and pi.get("customer") and not pm.get("customer"):
        attach(account, pm, pi["customer"], now=now)
    account.emit("charge.succeeded", charge, now=now)
    if manual:
        account.emit("payment_intent.amount_capturable_updated", pi, now=now)
    else:
        account.emit("payment_intent.succeeded", pi, now=now)
        settled(account, pi, now=now)
    return pi


def _error_body(decline: Decline, charge_id: str | None, pm: Obj) -> Obj:
    error: Obj = {
        "charge": charge_id,
        "code": decline.code,
        "decline_code": decline.decline_code,
        "doc_url": DOC + decline.code.replace("_", "-"),
        "message": decline.message,
        "payment_method": pm,
        "type": "card_error",
    }
    if decline.param:
        error["param"] = decline.param
    return error


def _decline(
    account: Account, pi: Obj, pm: Obj, decline: Decline, base_url: str, *, now: int
) -> Obj:
    charge = new_charge(account, pi, pm, base_url, decline=decline, now=now)
    account.update(
        pi,
        {
            "status": moved(pi, "requires_payment_method"),
            "latest_charge": charge["id"],
            "payment_method": None,
            "next_action": None,
            "last_payment_error": _error_body(decline, charge["id"], pm),
        },
    )
    account.emit("charge.failed", charge, now=now)
    account.emit("payment_intent.payment_failed", pi, now=now)
    settled(account, pi, now=now)
    raise CardError(
        decline.message,
        code=decline.code,
        decline_code=decline.decline_code,
        param=decline.param,
        extra={"charge": charge["id"], "payment_intent": pi, "payment_method": pm},
    )


def finish_authentication(account: Account, pi: Obj, success: bool, *, now: int) -> Obj:
    """The 3DS challenge's answer: Complete runs the payment, Fail sends the PI back to
    requires_payment_method with payment_intent_authentication_failure."""
    if pi["status"] != "requires_action":
        raise unexpected_state(pi, "authenticate", ("requires_action",))
    pm = payment_method_for(account, pi, pi["payment_method"], now=now)
    base_url = challenge_base_url(pi.get("next_action"))
    if success:
        return _succeed(account, pi, pm, base_url, now=now)
    account.update(
        pi,
        {
            "status": moved(pi, "requires_payment_method"),
            "payment_method": None,
            "next_action": None,
            "last_payment_error": {
                "code": "payment_intent_authentication_failure",
                "doc_url": DOC + "payment-intent-authentication-failure",
                "message": AUTH_FAILED_MESSAGE,
                "payment_method": pm,
                "type": "invalid_request_error",
            },
        },
    )
    account.emit("payment_intent.payment_failed", pi, now=now)
    settled(account, pi, now=now)
    return pi


def capture_intent(
    account: Account,
    pi: Obj,
    amount_to_capture: int | None = None,
    *,
    metadata: dict[str, str] | None = None,
    now: int,
) -> Obj:
    """Capture `amount_to_capture` (all by default) of the authorised charge; the rest is
    refunded. `metadata`: the PaymentIntent's new metadata, set first (as the API does)."""
    if metadata is not None:
        account.update(pi, {"metadata": metadata})
    if pi["status"] != "requires_capture":
        raise unexpected_state(pi, "capture", ("requires_capture",))
    capturable = int(pi["amount_capturable"])
    amount = capturable if amount_to_capture is None else amount_to_capture
    if amount > capturable:
        raise InvalidRequest(
            "The amount_to_capture must be less than or equal to the PaymentIntent's "
            f"amount_capturable ({capturable}).",
            param="amount_to_capture",
            code="amount_too_large",
        )
    charge = account.get(pi["latest_charge"], "charge", "payment_intent")
    previous = account.update(
        charge,
        {
            "captured": True,
            "amount_captured": amount,
            "balance_transaction": record_charge(account, charge, amount, now=now),
        },
    )
    account.update(
        pi,
        {"status": moved(pi, "succeeded"), "amount_received": amount, "amount_capturable": 0},
    )
    account.emit("charge.captured", charge, previous, now=now)
    if amount < int(charge["amount"]):
        refund_uncaptured(account, charge, int(charge["amount"]) - amount, now=now)
    account.emit("payment_intent.succeeded", pi, now=now)
    settled(account, pi, now=now)
    return pi


def cancel_intent(account: Account, pi: Obj, reason: str | None = None, *, now: int) -> Obj:
    if pi["status"] not in CANCELABLE:
        raise unexpected_state(pi, "cancel", CANCELABLE)
    if pi["status"] == "requires_capture" and pi.get("latest_charge"):
        # The uncaptured authorisation is released: Stripe shows it as refunded.
        charge = account.get(pi["latest_charge"], "charge", "payment_intent")
        account.update(charge, {"refunded": True, "amount_refunded": charge["amount"]})
    account.update(
        pi,
        {
            "status": moved(pi, "canceled"),
            "canceled_at": now,
            "cancellation_reason": reason,
            "amount_capturable": 0,
            "next_action": None,
        },
    )
    account.emit("payment_intent.canceled", pi, now=now)
    return pi


def payment_method_from_data(
    account: Account, data: dict[str, Any] | None, *, now: int
) -> str | None:
    """The id of a new card PaymentMethod made from `payment_method_data` as
    `params.get_payment_method_data` reads it (None without it)."""
    if data is None:
        return None
    card = data["card"]
    pm = card_payment_method(
        account,
        number=str(card.get("number", "")),
        exp_month=card.get("exp_month", 0),
        exp_year=card.get("exp_year", 0),
        cvc=card.get("cvc"),
        billing_details=data["billing_details"],
        now=now,
    )
    return str(pm["id"])


def missing_payment_method(pi: Obj) -> InvalidRequest:
    return InvalidRequest(
        "You cannot confirm this PaymentIntent because it's missing a payment method. You can "
        "either update the PaymentIntent with a payment method and then confirm it again, or "
        "confirm it again directly with a payment method or ConfirmationToken.",
        code="payment_intent_unexpected_state",
        extra={"payment_intent": pi},
    )


def create_payment_intent(
    account: Account,
    now: int,
    base_url: str,
    amount: int,
    currency: str,
    fields: dict[str, Any],
    *,
    payment_method: str | None,
    payment_method_data: dict[str, Any] | None,
    confirm: bool,
    return_url: str | None,
    off_session: bool,
) -> Obj:
    """`POST /v1/payment_intents`: create, attach the payment method, and confirm if asked."""
    pm_id = payment_method or payment_method_from_data(account, payment_method_data, now=now)
    pi = create_intent(account, now, amount, currency, fields)
    if pm_id and not confirm:
        pm = payment_method_for(account, pi, pm_id, now=now)
        status = moved(pi, "requires_confirmation")
        account.update(pi, {"payment_method": pm["id"], "status": status})
    if not confirm:
        return pi
    if not pm_id:
        raise missing_payment_method(pi)
    return confirm_intent(
        account, pi, pm_id, base_url, return_url, off_session=off_session, now=now
    )


def update_intent(
    account: Account, now: int, pi: Obj, changes: dict[str, Any], payment_method: str | None
) -> Obj:
    """Apply checked changes; a new payment method makes it ready to confirm."""
    if payment_method:
        changes["payment_method"] = payment_method_for(account, pi, payment_method, now=now)["id"]
        if pi["status"] == "requires_payment_method":
            changes["status"] = moved(pi, "requires_confirmation")
    account.update(pi, changes)
    return pi


def confirm_with(
    account: Account,
    now: int,
    base_url: str,
    pi: Obj,
    changes: dict[str, Any],
    *,
    payment_method: str | None,
    payment_method_data: dict[str, Any] | None,
    return_url: str | None,
    off_session: bool,
) -> Obj:
    """`POST /v1/payment_intents/{id}/confirm`: apply the confirmation's changes, then pay with
    the payment method given (or made from `payment_method_data`, or already set)."""
    pm_id = payment_method or payment_method_from_data(account, payment_method_data, now=now)
    pm_id = pm_id or pi.get("payment_method")
    if not pm_id:
        raise missing_payment_method(pi)
    account.update(pi, changes)
    return confirm_intent(
        account, pi, pm_id, base_url, return_url, off_session=off_session, now=now
    )
