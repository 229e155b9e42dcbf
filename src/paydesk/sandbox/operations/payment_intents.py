"""PaymentIntents: Stripe's status machine, test-card outcomes, 3DS, manual capture, cancel.

The plain functions (`create_intent`, `confirm_intent`, `finish_authentication`) are what the
API handlers and the hosted pages (Checkout, the 3DS challenge) share.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import DOC, CardError, InvalidRequest, ResourceMissing
from paydesk.sandbox.ids import secret
from paydesk.sandbox.listing import paginate
from paydesk.sandbox.objects.card import card_view
from paydesk.sandbox.objects.payment_intent import payment_intent
from paydesk.sandbox.objects.payment_method_options import (
    check_types,
    forces_challenge,
    parse_options,
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
from paydesk.sandbox.params import (
    apply_metadata,
    check_known,
    get_bool,
    get_currency,
    get_dict,
    get_enum,
    get_int,
    get_list,
    get_str,
    req_int,
)
from paydesk.sandbox.payment_hooks import settled
from paydesk.sandbox.routing import Call, api

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
# Stripe's minimum charge amounts, in minor units, for the common currencies.
_MINIMUMS = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "jpy": 50, "chf": 50}

AUTH_FAILED_MESSAGE = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
    "or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)


def _unexpected_state(pi: Obj, action: str, allowed: tuple[str, ...]) -> InvalidRequest:
    return InvalidRequest(
        f"You cannot {action} this PaymentIntent because it has a status of {pi['status']}. "
        f"Only a PaymentIntent with one of the following statuses may be {action}ed: "
        f"{', '.join(allowed)}.".replace("canceled", "canceled").replace("cancelled", "canceled"),
        code="payment_intent_unexpected_state",
        extra={"payment_intent": pi},
    )


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
        raise _unexpected_state(pi, "confirm", CONFIRMABLE)
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
    query = urlencode({"client_secret": pi["client_secret"]})
    account.update(
        pi,
        {
            "status": "requires_action",
            "next_action": {
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "url": f"{base_url}/pay/3ds/{pi['id']}?{query}",
                    "return_url": return_url,
                },
            },
        },
    )
    account.emit("payment_intent.requires_action", pi, now=now)
    return pi


def _succeed(account: Account, pi: Obj, pm: Obj, base_url: str, *, now: int) -> Obj:
    manual = pi["capture_method"] == "manual"
    charge = new_charge(account, pi, pm, base_url, captured=not manual, now=now)
    changes: dict[str, Any] = {"latest_charge": charge["id"], "next_action": None}
    if manual:
        changes.update(status="requires_capture", amount_capturable=pi["amount"])
    else:
        changes.update(status="succeeded", amount_received=pi["amount"])
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
            "status": "requires_payment_method",
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
        raise _unexpected_state(pi, "authenticate", ("requires_action",))
    pm = payment_method_for(account, pi, pi["payment_method"], now=now)
    base_url = _base_of((pi.get("next_action") or {}).get("redirect_to_url", {}).get("url", ""))
    if success:
        return _succeed(account, pi, pm, base_url, now=now)
    account.update(
        pi,
        {
            "status": "requires_payment_method",
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


def _base_of(url: str) -> str:
    head, sep, _ = url.partition("/pay/3ds/")
    return head if sep else ""


def capture_intent(
    account: Account, pi: Obj, amount_to_capture: int | None = None, *, now: int
) -> Obj:
    if pi["status"] != "requires_capture":
        raise _unexpected_state(pi, "capture", ("requires_capture",))
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
    account.update(pi, {"status": "succeeded", "amount_received": amount, "amount_capturable": 0})
    account.emit("charge.captured", charge, previous, now=now)
    if amount < int(charge["amount"]):
        refund_uncaptured(account, charge, int(charge["amount"]) - amount, now=now)
    account.emit("payment_intent.succeeded", pi, now=now)
    settled(account, pi, now=now)
    return pi


def cancel_intent(account: Account, pi: Obj, reason: str | None = None, *, now: int) -> Obj:
    if pi["status"] not in CANCELABLE:
        raise _unexpected_state(pi, "cancel", CANCELABLE)
    if pi["status"] == "requires_capture" and pi.get("latest_charge"):
        # The uncaptured authorisation is released: Stripe shows it as refunded.
        charge = account.get(pi["latest_charge"], "charge", "payment_intent")
        account.update(charge, {"refunded": True, "amount_refunded": charge["amount"]})
    account.update(
        pi,
        {
            "status": "canceled",
            "canceled_at": now,
            "cancellation_reason": reason,
            "amount_capturable": 0,
            "next_action": None,
        },
    )
    account.emit("payment_intent.canceled", pi, now=now)
    return pi


# -- HTTP --------------------------------------------------------------------------------------

_CREATE_FIELDS = {
    "amount",
    "currency",
    "customer",
    "description",
    "metadata",
    "payment_method",
    "payment_method_types",
    "automatic_payment_methods",
    "capture_method",
    "confirm",
    "confirmation_method",
    "return_url",
    "off_session",
    "setup_future_usage",
    "receipt_email",
    "shipping",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "transfer_group",
    "payment_method_options",
    "error_on_requires_action",
    "use_stripe_sdk",
    "mandate_data",
    "payment_method_data",
}


def _amount(params: dict[str, Any], currency: str) -> int:
    amount = req_int(params, "amount", minimum=1)
    minimum = _MINIMUMS.get(currency, 1)
    if amount < minimum:
        raise InvalidRequest(
            f"Amount must be at least {minimum} {currency} minor units.",
            param="amount",
            code="amount_too_small",
        )
    if amount > 99999999:
        raise InvalidRequest(
            "Amount must be no more than 999,999.99", param="amount", code="amount_too_large"
        )
    return amount


def _customer(call: Call, name: str = "customer") -> str | None:
    cus = get_str(call.params, name)
    if not cus:
        return None
    return str(call.account.get(cus, "customer", name)["id"])


def _automatic(params: dict[str, Any]) -> dict[str, Any] | None:
    apm = get_dict(params, "automatic_payment_methods")
    if apm is None:
        return None
    enabled = get_bool(apm, "enabled")
    if not enabled:
        return {"enabled": False}
    allow = get_enum(apm, "allow_redirects", ("always", "never"), "always")
    return {"allow_redirects": allow, "enabled": True}


def _payment_method_from_data(call: Call) -> str | None:
    data = get_dict(call.params, "payment_method_data")
    if data is None:
        return None
    card = get_dict(data, "card") or {}
    pm = card_payment_method(
        call.account,
        number=str(card.get("number", "")),
        exp_month=card.get("exp_month", 0),
        exp_year=card.get("exp_year", 0),
        cvc=card.get("cvc"),
        billing_details=get_dict(data, "billing_details"),
        now=call.now,
    )
    return str(pm["id"])


def _return_url(params: dict[str, Any]) -> str | None:
    # The 3DS page sends the buyer's browser there: only a web address, never `javascript:`
    # or `data:` (the same rule as Checkout's success_url).
    value = get_str(params, "return_url") or None
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise InvalidRequest(
                "Not a valid URL: return_url must be an absolute http(s) URL.",
                param="return_url",
                code="url_invalid",
            )
    return value


def _setup_future_usage(params: dict[str, Any]) -> str | None:
    value = get_enum(params, "setup_future_usage", ("on_session", "off_session", ""))
    return value or None


@api.route("POST", "/v1/payment_intents")
def create_payment_intent(call: Call) -> Obj:
    p = call.params
    check_known(p, _CREATE_FIELDS)
    currency = get_currency(p)
    assert currency is not None
    amount = _amount(p, currency)
    types = get_list(p, "payment_method_types")
    apm = _automatic(p)
    if types is not None and apm is not None and apm.get("enabled"):
        raise InvalidRequest(
            "You may only specify one of these parameters: automatic_payment_methods, "
            "payment_method_types.",
            param="automatic_payment_methods",
        )
    if types is not None:
        types = check_types(types, currency)
    options = parse_options(p.get("payment_method_options"), {}, "payment_intent")
    confirm = get_bool(p, "confirm")
    return_url = _return_url(p)
    off_session = get_bool(p, "off_session")
    if off_session and not confirm:
        raise InvalidRequest(
            "You can only pass in `off_session` when `confirm` is set to true.",
            param="off_session",
        )
    account = call.account
    pm_id = get_str(p, "payment_method") or _payment_method_from_data(call)
    fields = {
        "customer": _customer(call),
        "metadata": apply_metadata({}, p),
        "payment_method_types": [str(t) for t in types] if types else None,
        "description": get_str(p, "description"),
        "receipt_email": get_str(p, "receipt_email"),
        "capture_method": get_enum(p, "capture_method", CAPTURE_METHODS, "automatic"),
        "automatic_payment_methods": apm,
        "setup_future_usage": _setup_future_usage(p),
        "shipping": get_dict(p, "shipping"),
        "statement_descriptor": get_str(p, "statement_descriptor"),
        "statement_descriptor_suffix": get_str(p, "statement_descriptor_suffix"),
        "transfer_group": get_str(p, "transfer_group"),
        "payment_method_options": options,
    }
    pi = create_intent(account, call.now, amount, currency, fields)
    if pm_id and not confirm:
        pm = payment_method_for(account, pi, pm_id, now=call.now)
        account.update(pi, {"payment_method": pm["id"], "status": "requires_confirmation"})
    if confirm:
        if not pm_id:
            raise _missing_payment_method(pi)
        return confirm_intent(
            account,
            pi,
            pm_id,
            call.base_url,
            return_url,
            off_session=off_session,
            now=call.now,
        )
    return pi


def _missing_payment_method(pi: Obj) -> InvalidRequest:
    return InvalidRequest(
        "You cannot confirm this PaymentIntent because it's missing a payment method. You can "
        "either update the PaymentIntent with a payment method and then confirm it again, or "
        "confirm it again directly with a payment method or ConfirmationToken.",
        code="payment_intent_unexpected_state",
        extra={"payment_intent": pi},
    )


@api.route("GET", "/v1/payment_intents/{id}")
def retrieve_payment_intent(call: Call) -> Obj:
    return call.account.get(call.args[0], "payment_intent")


_UPDATE_FIELDS = {
    "amount",
    "currency",
    "customer",
    "description",
    "metadata",
    "payment_method",
    "payment_method_types",
    "receipt_email",
    "setup_future_usage",
    "shipping",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "transfer_group",
    "capture_method",
    "payment_method_options",
}


@api.route("POST", "/v1/payment_intents/{id}")
def update_payment_intent(call: Call) -> Obj:
    p = call.params
    check_known(p, _UPDATE_FIELDS)
    account = call.account
    pi = account.get(call.args[0], "payment_intent")
    if pi["status"] in ("succeeded", "canceled", "processing"):
        raise InvalidRequest(
            f"This PaymentIntent's {next(iter(p), 'metadata')} could not be updated because it "
            f"has a status of {pi['status']}. You may only update the "
            f"{next(iter(p), 'metadata')} of a PaymentIntent with one of the following statuses: "
            "requires_payment_method, requires_confirmation, requires_action.",
            code="payment_intent_unexpected_state",
            param=next(iter(p), None),
        )
    changes: dict[str, Any] = {}
    currency = get_currency(p, required=False) or pi["currency"]
    if "currency" in p:
        changes["currency"] = currency
    if "amount" in p:
        changes["amount"] = _amount(p, currency)
    for name in (
        "description",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "transfer_group",
    ):
        if name in p:
            changes[name] = get_str(p, name) or None
    if "customer" in p:
        changes["customer"] = _customer(call)
    if "metadata" in p:
        changes["metadata"] = apply_metadata(pi["metadata"], p)
    if "setup_future_usage" in p:
        changes["setup_future_usage"] = _setup_future_usage(p)
    if "shipping" in p:
        changes["shipping"] = get_dict(p, "shipping")
    if "capture_method" in p:
        changes["capture_method"] = get_enum(p, "capture_method", CAPTURE_METHODS)
    types = get_list(p, "payment_method_types")
    if types:
        changes["payment_method_types"] = check_types(types, currency)
    elif "currency" in p:
        check_types(pi["payment_method_types"], currency)
    if "payment_method_options" in p:
        changes["payment_method_options"] = parse_options(
            p["payment_method_options"], pi["payment_method_options"], "payment_intent"
        )
    pm_id = get_str(p, "payment_method")
    if pm_id:
        changes["payment_method"] = payment_method_for(account, pi, pm_id, now=call.now)["id"]
        if pi["status"] == "requires_payment_method":
            changes["status"] = "requires_confirmation"
    account.update(pi, changes)
    return pi


_CONFIRM_FIELDS = {
    "payment_method",
    "return_url",
    "off_session",
    "setup_future_usage",
    "receipt_email",
    "shipping",
    "payment_method_types",
    "payment_method_options",
    "error_on_requires_action",
    "use_stripe_sdk",
    "mandate_data",
    "payment_method_data",
    "capture_method",
    "client_secret",
}


@api.route("POST", "/v1/payment_intents/{id}/confirm")
def confirm_payment_intent(call: Call) -> Obj:
    p = call.params
    check_known(p, _CONFIRM_FIELDS)
    account = call.account
    pi = account.get(call.args[0], "payment_intent")
    if pi["status"] not in CONFIRMABLE:
        raise _unexpected_state(pi, "confirm", CONFIRMABLE)
    return_url = _return_url(p)
    changes: dict[str, Any] = {}
    if "receipt_email" in p:
        changes["receipt_email"] = get_str(p, "receipt_email") or None
    if "setup_future_usage" in p:
        changes["setup_future_usage"] = _setup_future_usage(p)
    if "capture_method" in p:
        changes["capture_method"] = get_enum(p, "capture_method", CAPTURE_METHODS)
    if "shipping" in p:
        changes["shipping"] = get_dict(p, "shipping")
    if "payment_method_options" in p:
        changes["payment_method_options"] = parse_options(
            p["payment_method_options"], pi["payment_method_options"], "payment_intent"
        )
    pm_id = get_str(p, "payment_method") or _payment_method_from_data(call)
    pm_id = pm_id or pi.get("payment_method")
    if not pm_id:
        raise _missing_payment_method(pi)
    account.update(pi, changes)
    return confirm_intent(
        account,
        pi,
        pm_id,
        call.base_url,
        return_url,
        off_session=get_bool(p, "off_session"),
        now=call.now,
    )


@api.route("POST", "/v1/payment_intents/{id}/capture")
def capture_payment_intent(call: Call) -> Obj:
    p = call.params
    check_known(
        p,
        {
            "amount_to_capture",
            "metadata",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "final_capture",
            "application_fee_amount",
        },
    )
    pi = call.account.get(call.args[0], "payment_intent")
    amount = get_int(p, "amount_to_capture", minimum=1)
    if "metadata" in p:
        call.account.update(pi, {"metadata": apply_metadata(pi["metadata"], p)})
    return capture_intent(call.account, pi, amount, now=call.now)


@api.route("POST", "/v1/payment_intents/{id}/cancel")
def cancel_payment_intent(call: Call) -> Obj:
    check_known(call.params, {"cancellation_reason"})
    pi = call.account.get(call.args[0], "payment_intent")
    reason = get_enum(call.params, "cancellation_reason", CANCELLATION_REASONS)
    return cancel_intent(call.account, pi, reason, now=call.now)


@api.route("GET", "/v1/payment_intents")
def list_payment_intents(call: Call) -> Obj:
    customer = get_str(call.params, "customer")
    keep = (lambda pi: pi.get("customer") == customer) if customer else None
    return paginate(call.account, "payment_intent", call.params, "/v1/payment_intents", keep)
