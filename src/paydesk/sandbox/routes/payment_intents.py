"""`/v1/payment_intents`: parse, then call one operation (operations/payment_intents.py)."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.listing import equals, paginate
from paydesk.sandbox.objects.payment_method_options import check_types, parse_options
from paydesk.sandbox.operations import payment_intents as ops
from paydesk.sandbox.params import (
    apply_metadata,
    check_known,
    get_bool,
    get_currency,
    get_dict,
    get_enum,
    get_int,
    get_list,
    get_payment_method_data,
    get_return_url,
    get_str,
    req_int,
)
from paydesk.sandbox.routing import Call, api

# Stripe's minimum charge amounts, in minor units, for the common currencies.
_MINIMUMS = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "jpy": 50, "chf": 50}
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
    return_url = get_return_url(p)
    off_session = get_bool(p, "off_session")
    if off_session and not confirm:
        raise InvalidRequest(
            "You can only pass in `off_session` when `confirm` is set to true.",
            param="off_session",
        )
    fields = {
        "customer": _customer(call),
        "metadata": apply_metadata({}, p),
        "payment_method_types": [str(t) for t in types] if types else None,
        "description": get_str(p, "description"),
        "receipt_email": get_str(p, "receipt_email"),
        "capture_method": get_enum(p, "capture_method", ops.CAPTURE_METHODS, "automatic"),
        "automatic_payment_methods": apm,
        "setup_future_usage": _setup_future_usage(p),
        "shipping": get_dict(p, "shipping"),
        "statement_descriptor": get_str(p, "statement_descriptor"),
        "statement_descriptor_suffix": get_str(p, "statement_descriptor_suffix"),
        "transfer_group": get_str(p, "transfer_group"),
        "payment_method_options": options,
    }
    return ops.create_payment_intent(
        call.account,
        call.now,
        call.base_url,
        amount,
        currency,
        fields,
        payment_method=get_str(p, "payment_method"),
        payment_method_data=get_payment_method_data(p),
        confirm=confirm,
        return_url=return_url,
        off_session=off_session,
    )


api.retrieve("/v1/payment_intents/{id}", "payment_intent")


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
    changes = _changes_update_and_confirm_share(p, pi)
    currency = get_currency(p, required=False) or pi["currency"]
    if "currency" in p:
        changes["currency"] = currency
    if "amount" in p:
        changes["amount"] = _amount(p, currency)
    for name in (
        "description",
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
    types = get_list(p, "payment_method_types")
    if types:
        changes["payment_method_types"] = check_types(types, currency)
    elif "currency" in p:
        check_types(pi["payment_method_types"], currency)
    return ops.update_intent(account, call.now, pi, changes, get_str(p, "payment_method"))


def _changes_update_and_confirm_share(p: dict[str, Any], pi: Obj) -> dict[str, Any]:
    """The parameters both update and confirm take, parsed into the changes they make."""
    changes: dict[str, Any] = {}
    if "receipt_email" in p:
        changes["receipt_email"] = get_str(p, "receipt_email") or None
    if "setup_future_usage" in p:
        changes["setup_future_usage"] = _setup_future_usage(p)
    if "capture_method" in p:
        changes["capture_method"] = get_enum(p, "capture_method", ops.CAPTURE_METHODS)
    if "shipping" in p:
        changes["shipping"] = get_dict(p, "shipping")
    if "payment_method_options" in p:
        changes["payment_method_options"] = parse_options(
            p["payment_method_options"], pi["payment_method_options"], "payment_intent"
        )
    return changes


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
    if pi["status"] not in ops.CONFIRMABLE:
        raise ops.unexpected_state(pi, "confirm", ops.CONFIRMABLE)
    return_url = get_return_url(p)
    changes = _changes_update_and_confirm_share(p, pi)
    return ops.confirm_with(
        account,
        call.now,
        call.base_url,
        pi,
        changes,
        payment_method=get_str(p, "payment_method"),
        payment_method_data=get_payment_method_data(p),
        return_url=return_url,
        off_session=get_bool(p, "off_session"),
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
    metadata = apply_metadata(pi["metadata"], p) if "metadata" in p else None
    return ops.capture_intent(call.account, pi, amount, metadata=metadata, now=call.now)


@api.route("POST", "/v1/payment_intents/{id}/cancel")
def cancel_payment_intent(call: Call) -> Obj:
    check_known(call.params, {"cancellation_reason"})
    pi = call.account.get(call.args[0], "payment_intent")
    reason = get_enum(call.params, "cancellation_reason", ops.CANCELLATION_REASONS)
    return ops.cancel_intent(call.account, pi, reason, now=call.now)


@api.route("GET", "/v1/payment_intents")
def list_payment_intents(call: Call) -> Obj:
    customer = get_str(call.params, "customer")
    keep = equals("customer", customer)
    return paginate(call.account, "payment_intent", call.params, "/v1/payment_intents", keep)
