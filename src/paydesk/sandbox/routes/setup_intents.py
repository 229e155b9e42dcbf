"""`/v1/setup_intents`: parse the request, call one operation."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.listing import paginate
from paydesk.sandbox.objects import setup_intent as model
from paydesk.sandbox.objects.payment_method_options import check_types, parse_options
from paydesk.sandbox.operations import setup_intents as ops
from paydesk.sandbox.operations.payment_intents import payment_method_from_data
from paydesk.sandbox.params import (
    apply_metadata,
    check_known,
    get_bool,
    get_enum,
    get_list,
    get_payment_method_data,
    get_return_url,
    get_str,
)
from paydesk.sandbox.routing import Call, api

# Accepted as Stripe does; the sandbox has no use for them.
_IGNORED = {
    "attach_to_self",
    "flow_directions",
    "mandate_data",
    "on_behalf_of",
    "use_stripe_sdk",
    "payment_method_configuration",
    "excluded_payment_method_types",
    "automatic_payment_methods",
}
_CREATE = {
    "confirm",
    "customer",
    "description",
    "metadata",
    "payment_method",
    "payment_method_data",
    "payment_method_types",
    "payment_method_options",
    "usage",
    "return_url",
    *_IGNORED,
}
_UPDATE = {
    "customer",
    "description",
    "metadata",
    "payment_method",
    "payment_method_data",
    "payment_method_types",
    "payment_method_options",
    *_IGNORED,
}
_CONFIRM = {
    "payment_method",
    "payment_method_data",
    "payment_method_options",
    "return_url",
    "client_secret",
    "mandate_data",
    "use_stripe_sdk",
}


def _customer(call: Call) -> str | None:
    customer_id = get_str(call.params, "customer")
    if not customer_id:
        return None
    return str(call.account.get(customer_id, "customer", "customer")["id"])


def _types(params: dict[str, Any]) -> list[str] | None:
    types = get_list(params, "payment_method_types")
    return check_types(types, None) if types else None


@api.route("POST", "/v1/setup_intents")
def create_setup_intent(call: Call) -> Obj:
    p = call.params
    check_known(p, _CREATE)
    confirm = get_bool(p, "confirm")
    return_url = get_return_url(p)
    options = parse_options(p.get("payment_method_options"), {}, "setup_intent")
    usage = get_enum(p, "usage", model.USAGES, "off_session") or "off_session"
    pm_id = get_str(p, "payment_method") or payment_method_from_data(
        call.account, get_payment_method_data(p), now=call.now
    )
    si = ops.create_setup_intent(
        call.account,
        call.now,
        customer=_customer(call),
        usage=usage,
        payment_method_types=_types(p),
        payment_method_options=options,
        description=get_str(p, "description"),
        metadata=apply_metadata({}, p),
    )
    if pm_id and not confirm:
        return ops.set_payment_method(call.account, si, pm_id, now=call.now)
    if confirm:
        if not pm_id:
            raise _missing_payment_method(si)
        return ops.confirm_setup_intent(
            call.account, si, pm_id, call.base_url, return_url, now=call.now
        )
    return si


def _missing_payment_method(si: Obj) -> InvalidRequest:
    return InvalidRequest(
        "You cannot confirm this SetupIntent because it's missing a payment method. You can "
        "either update the SetupIntent with a payment method and then confirm it again, or "
        "confirm it again directly with a payment method.",
        code="setup_intent_unexpected_state",
        extra={"setup_intent": si},
    )


api.retrieve("/v1/setup_intents/{id}", "setup_intent")


@api.route("POST", "/v1/setup_intents/{id}")
def update_setup_intent(call: Call) -> Obj:
    p = call.params
    check_known(p, _UPDATE)
    account = call.account
    si = account.get(call.args[0], "setup_intent")
    if si["status"] in ("succeeded", "canceled"):
        raise model.unexpected_state(si, "update", list(model.CONFIRMABLE))
    changes: dict[str, Any] = {}
    if "customer" in p:
        changes["customer"] = _customer(call)
    if "description" in p:
        changes["description"] = get_str(p, "description") or None
    if "metadata" in p:
        changes["metadata"] = apply_metadata(si["metadata"], p)
    types = _types(p)
    if types:
        changes["payment_method_types"] = types
    if "payment_method_options" in p:
        current = si["payment_method_options"]
        changes["payment_method_options"] = parse_options(
            p["payment_method_options"], current, "setup_intent"
        )
    pm_id = get_str(p, "payment_method") or payment_method_from_data(
        call.account, get_payment_method_data(p), now=call.now
    )
    account.update(si, changes)  # Stripe has no setup_intent.updated event
    if pm_id:
        ops.set_payment_method(account, si, pm_id, now=call.now)
    return si


@api.route("POST", "/v1/setup_intents/{id}/confirm")
def confirm_setup_intent(call: Call) -> Obj:
    p = call.params
    check_known(p, _CONFIRM)
    account = call.account
    si = account.get(call.args[0], "setup_intent")
    return_url = get_return_url(p)
    if "payment_method_options" in p:
        options = parse_options(
            p["payment_method_options"], si["payment_method_options"], "setup_intent"
        )
        account.update(si, {"payment_method_options": options})
    pm_id = get_str(p, "payment_method") or payment_method_from_data(
        call.account, get_payment_method_data(p), now=call.now
    )
    pm_id = pm_id or si.get("payment_method")
    if not pm_id:
        model.next_status(si, "succeed")
        raise _missing_payment_method(si)
    return ops.confirm_setup_intent(account, si, pm_id, call.base_url, return_url, now=call.now)


@api.route("POST", "/v1/setup_intents/{id}/cancel")
def cancel_setup_intent(call: Call) -> Obj:
    check_known(call.params, {"cancellation_reason"})
    si = call.account.get(call.args[0], "setup_intent")
    reason = get_enum(call.params, "cancellation_reason", model.CANCELLATION_REASONS)
    return ops.cancel_setup_intent(call.account, si, reason, now=call.now)


@api.route("GET", "/v1/setup_intents")
def list_setup_intents(call: Call) -> Obj:
    p = call.params
    customer = get_str(p, "customer")
    pm_id = get_str(p, "payment_method")
    p.pop("attach_to_self", None)

    def keep(si: Obj) -> bool:
        return (customer is None or si.get("customer") == customer) and (
            pm_id is None or si.get("payment_method") == pm_id
        )

    return paginate(call.account, "setup_intent", p, "/v1/setup_intents", keep)
