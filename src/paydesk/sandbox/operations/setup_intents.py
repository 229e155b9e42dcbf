"""SetupIntents: save a card for later without charging it.

Confirming decides by the card, as Stripe's test mode does: a card that declines cannot be set
up (402, `setup_intent.setup_failed`), a 3DS card (or `request_three_d_secure=any`) needs the
challenge first, any other card is attached to the customer and the intent succeeds. A card set
up here for off-session use then pays off-session without authentication where Stripe's does
(4000 0025 0000 3155), never where it always asks (4000 0027 6000 3184).
"""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import DOC, CardError
from paydesk.sandbox.objects import setup_intent as model
from paydesk.sandbox.objects.payment_method_options import challenge_action, forces_challenge
from paydesk.sandbox.operations.payment_methods import Decline, attach, behaviour, resolve
from paydesk.sandbox.payment_hooks import set_up

AUTH_FAILED_MESSAGE = (
    "The latest attempt to set up the payment method has failed because authentication failed."
)


def create_setup_intent(
    account: Account,
    now: int,
    *,
    customer: str | None = None,
    usage: str = "off_session",
    payment_method_types: list[str] | None = None,
    payment_method_options: dict[str, Any] | None = None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
) -> Obj:
    """A new SetupIntent in `requires_payment_method`; emits setup_intent.created."""
    automatic = None if payment_method_types else {"allow_redirects": "always", "enabled": True}
    options = payment_method_options or {}
    options.setdefault("card", {})
    options["card"] = {**model.card_options(), **options["card"]}
    si = model.skeleton(
        account.new_id("seti"),
        created=now,
        customer=customer,
        usage=usage,
        payment_method_types=payment_method_types or ["card"],
        payment_method_options=options,
        automatic_payment_methods=automatic,
        description=description,
        metadata=metadata or {},
    )
    account.insert(si)
    account.emit("setup_intent.created", si, now=now)
    return si


def set_payment_method(account: Account, si: Obj, payment_method_id: str, *, now: int) -> Obj:
    pm = resolve(account, payment_method_id, "payment_method", now=now)
    status = model.next_status(si, "attach_payment_method")
    account.update(si, {"payment_method": pm["id"], "status": status})
    return si


def confirm_setup_intent(
    account: Account,
    si: Obj,
    payment_method_id: str,
    base_url: str,
    return_url: str | None,
    *,
    now: int,
) -> Obj:
    """Set the card up, or require its authentication, or raise the CardError of its decline
    once the failure is recorded."""
    model.next_status(si, "succeed")  # refuses a status that cannot be confirmed
    pm = resolve(account, payment_method_id, "payment_method", now=now)
    account.update(si, {"payment_method": pm["id"], "last_setup_error": None})
    behave = behaviour(account, pm)
    if behave.needs_3ds or forces_challenge(si["payment_method_options"]):
        return _require_action(account, si, base_url, return_url, now=now)
    decline = behave.refuses_attach()
    if decline is not None:
        return _fail(account, si, pm, decline, now=now)
    return _succeed(account, si, pm, now=now)


def _require_action(
    account: Account, si: Obj, base_url: str, return_url: str | None, *, now: int
) -> Obj:
    account.update(si, {
        "status": model.next_status(si, "require_action"),
        "next_action": challenge_action(base_url, si, return_url),
    })
    account.emit("setup_intent.requires_action", si, now=now)
    return si


def _succeed(account: Account, si: Obj, pm: Obj, *, now: int) -> Obj:
    if si.get("customer") and not pm.get("customer"):
        attach(account, pm, si["customer"], now=now)
    account.update(si, {"status": model.next_status(si, "succeed"), "next_action": None})
    account.emit("setup_intent.succeeded", si, now=now)
    set_up(account, si, now=now)
    return si


def _fail(account: Account, si: Obj, pm: Obj, decline: Decline, *, now: int) -> Obj:
    error: Obj = {
        "code": decline.code,
        "decline_code": decline.decline_code,
        "doc_url": DOC + decline.code.replace("_", "-"),
        "message": decline.message,
        "payment_method": pm,
        "type": "card_error",
    }
    account.update(
        si,
        {
            "status": model.next_status(si, "fail"),
            "payment_method": None,
            "next_action": None,
            "last_setup_error": error,
        },
    )
    account.emit("setup_intent.setup_failed", si, now=now)
    raise CardError(
        decline.message,
        code=decline.code,
        decline_code=decline.decline_code,
        param=decline.param,
        extra={"setup_intent": si, "payment_method": pm},
    )


def finish_setup_authentication(account: Account, si: Obj, success: bool, *, now: int) -> Obj:
    """The 3DS challenge's answer for a SetupIntent."""
    if si["status"] != "requires_action":
        raise model.unexpected_state(si, "authenticate", ["requires_action"])
    pm = account.get(si["payment_method"], "payment_method", "payment_method")
    if success:
        return _succeed(account, si, pm, now=now)
    account.update(
        si,
        {
            "status": model.next_status(si, "fail"),
            "payment_method": None,
            "next_action": None,
            "last_setup_error": {
                "code": "setup_intent_authentication_failure",
                "doc_url": DOC + "setup-intent-authentication-failure",
                "message": AUTH_FAILED_MESSAGE,
                "payment_method": pm,
                "type": "invalid_request_error",
            },
        },
    )
    account.emit("setup_intent.setup_failed", si, now=now)
    return si


def cancel_setup_intent(account: Account, si: Obj, reason: str | None, *, now: int) -> Obj:
    account.update(
        si,
        {
            "status": model.next_status(si, "cancel"),
            "cancellation_reason": reason,
            "next_action": None,
        },
    )
    account.emit("setup_intent.canceled", si, now=now)
    return si


def set_up_for_off_session(account: Account, pm_id: str) -> bool:
    """Whether the card was set up for later use: by a SetupIntent, or by a PaymentIntent the
    buyer authenticated on-session with `setup_future_usage`."""

    def by_setup(si: Obj) -> bool:
        return si.get("payment_method") == pm_id and si.get("status") == "succeeded"

    def by_payment(pi: Obj) -> bool:
        return (
            pi.get("payment_method") == pm_id
            and pi.get("setup_future_usage") is not None
            and pi.get("status") in ("succeeded", "requires_capture")
        )

    return (
        next(account.newest("setup_intent", by_setup), None) is not None
        or next(account.newest("payment_intent", by_payment), None) is not None
    )
