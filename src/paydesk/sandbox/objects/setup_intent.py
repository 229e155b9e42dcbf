"""The SetupIntent: its skeleton (Stripe's shape, fixtures3.json `setup_intent`) and the moves
between its statuses, as a table."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.ids import secret

USAGES = ("on_session", "off_session")
CANCELLATION_REASONS = ("abandoned", "requested_by_customer", "duplicate")

# (status, trigger) -> status. Confirming decides among the three outcomes by the card.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("requires_payment_method", "attach_payment_method"): "requires_confirmation",
    ("requires_confirmation", "attach_payment_method"): "requires_confirmation",
    ("requires_action", "attach_payment_method"): "requires_confirmation",
    ("requires_payment_method", "succeed"): "succeeded",
    ("requires_confirmation", "succeed"): "succeeded",
    ("requires_action", "succeed"): "succeeded",
    ("requires_payment_method", "require_action"): "requires_action",
    ("requires_confirmation", "require_action"): "requires_action",
    ("requires_action", "require_action"): "requires_action",
    ("requires_payment_method", "fail"): "requires_payment_method",
    ("requires_confirmation", "fail"): "requires_payment_method",
    ("requires_action", "fail"): "requires_payment_method",
    ("requires_payment_method", "cancel"): "canceled",
    ("requires_confirmation", "cancel"): "canceled",
    ("requires_action", "cancel"): "canceled",
}
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = CONFIRMABLE
_VERBS = {
    "succeed": "confirm",
    "require_action": "confirm",
    "fail": "confirm",
    "cancel": "cancel",
    "attach_payment_method": "update",
}


def next_status(si: Obj, trigger: str) -> str:
    """The status `trigger` moves `si` to, or Stripe's 400 for a move its status forbids."""
    status = TRANSITIONS.get((si["status"], trigger))
    if status is None:
        allowed = sorted({s for (s, t) in TRANSITIONS if t == trigger})
        raise unexpected_state(si, _VERBS[trigger], allowed)
    return status


def unexpected_state(si: Obj, verb: str, allowed: list[str]) -> InvalidRequest:
    past = verb + ("d" if verb.endswith("e") else "ed")
    return InvalidRequest(
        f"You cannot {verb} this SetupIntent because it has a status of {si['status']}. "
        f"Only a SetupIntent with one of the following statuses may be {past}: "
        f"{', '.join(allowed)}.",
        code="setup_intent_unexpected_state",
        extra={"setup_intent": si},
    )


def card_options(request_three_d_secure: str = "automatic") -> dict[str, Any]:
    return {
        "mandate_options": None,
        "network": None,
        "request_three_d_secure": request_three_d_secure,
    }


def skeleton(
    si_id: str,
    *,
    created: int,
    customer: str | None,
    usage: str,
    payment_method_types: list[str],
    payment_method_options: dict[str, Any],
    automatic_payment_methods: dict[str, Any] | None,
    description: str | None,
    metadata: dict[str, str],
) -> Obj:
    return {
        "id": si_id,
        "object": "setup_intent",
        "application": None,
        "automatic_payment_methods": automatic_payment_methods,
        "cancellation_reason": None,
        "client_secret": secret(f"{si_id}_secret", 32),
        "created": created,
        "customer": customer,
        "customer_account": None,
        "description": description,
        "excluded_payment_method_types": None,
        "flow_directions": None,
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "mandate": None,
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": payment_method_options,
        "payment_method_types": payment_method_types,
        "single_use_mandate": None,
        "status": "requires_payment_method",
        "usage": usage,
    }
