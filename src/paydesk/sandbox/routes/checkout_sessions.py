"""`/v1/checkout/sessions`: parse and check, then call one operation
(operations/checkout_sessions.py)."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import InvalidRequest, missing_param, unknown_param
from paydesk.sandbox.expand import VIRTUAL
from paydesk.sandbox.listing import both, equals, one_page, paginate
from paydesk.sandbox.operations import checkout_sessions as ops
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
)
from paydesk.sandbox.routing import Call, api

MIN_LIFETIME = 30 * 60
MAX_LIFETIME = 24 * 3600

_FIELDS = {
    "mode",
    "line_items",
    "customer",
    "customer_email",
    "client_reference_id",
    "metadata",
    "payment_method_types",
    "success_url",
    "cancel_url",
    "return_url",
    "expires_at",
    "payment_intent_data",
    "locale",
    "submit_type",
    "customer_creation",
    "billing_address_collection",
    "allow_promotion_codes",
    "ui_mode",
    "currency",
    "automatic_tax",
    "phone_number_collection",
    "shipping_address_collection",
    "payment_method_options",
    "custom_text",
    "consent_collection",
    "invoice_creation",
    "discounts",
    "after_expiration",
    # Accepted and ignored: real clients send these; the sandbox has nothing to do with them.
    "shipping_options",
    "tax_id_collection",
    "saved_payment_method_options",
    "payment_method_collection",
    "payment_method_configuration",
    "custom_fields",
    "redirect_on_completion",
    "subscription_data",
    "setup_intent_data",
    "optional_items",
    "branding_settings",
    "adaptive_pricing",
    "permissions",
    "wallet_options",
    "name_collection",
    "origin_context",
    "payment_method_data",
}
_PAYMENT_METHOD_TYPES = ("card", "link", "sepa_debit")
_LOCALES = (
    "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil",
    "fr", "fr-CA", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl",
    "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
)  # fmt: skip
_PI_DATA = {
    "metadata", "description", "capture_method", "receipt_email", "setup_future_usage",
    "statement_descriptor", "statement_descriptor_suffix", "shipping", "on_behalf_of",
    "transfer_data", "application_fee_amount", "transfer_group",
}  # fmt: skip


@api.route("POST", "/v1/checkout/sessions")
def create_session(call: Call) -> Obj:
    p = call.params
    check_known(p, _FIELDS)
    mode = _mode(p)
    success_url = _url(p, "success_url")
    if not success_url:
        raise missing_param("success_url")
    cancel_url, expires_at = _url(p, "cancel_url"), _expires_at(p, call.now)
    customer_id, customer_email, creation = _buyer(call.account, p)
    methods = _payment_method_types(p)
    fields = _shown_fields(p)
    fields.update(
        cancel_url=cancel_url,
        customer=customer_id,
        customer_creation=None if customer_id else (creation or "if_required"),
        customer_email=customer_email,
        payment_method_types=methods,
        success_url=success_url,
    )
    pi_data = _payment_intent_data(p)
    setup = mode == "setup"
    request = ops.NewSession(
        mode=mode,
        expires_at=expires_at,
        fields=fields,
        line_items=None if setup else p.get("line_items"),
        currency=_setup_currency(p) if setup else None,
        setup_intent_data=_setup_intent_data(p) if setup else None,
        pi_data=pi_data,
        subscription_data=_subscription_data(p) if mode == "subscription" else None,
    )
    # Every parameter is checked before line items make their inline prices: a refusal
    # leaves nothing behind.
    return ops.create_session(call.account, call.now, call.base_url, request)


def _mode(p: dict[str, Any]) -> str:
    if not get_str(p, "mode"):
        raise missing_param("mode")
    mode = get_enum(p, "mode", ("payment", "setup", "subscription"))
    assert mode is not None
    ui_mode = get_enum(p, "ui_mode", ("hosted", "embedded", "custom"), "hosted")
    if ui_mode != "hosted":
        raise InvalidRequest(
            f"The paydesk sandbox only serves ui_mode=hosted Checkout Sessions, not {ui_mode}.",
            param="ui_mode",
        )
    return mode


def _buyer(account: Account, p: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(customer, customer_email, customer_creation), each checked against the others."""
    customer_id = get_str(p, "customer") or None
    if customer_id:
        account.get(customer_id, "customer", "customer")
    customer_email = get_str(p, "customer_email") or None
    if customer_id and customer_email:
        raise InvalidRequest(
            "You may only specify one of these parameters: customer, customer_email.",
            param="customer_email",
        )
    creation = get_enum(p, "customer_creation", ("always", "if_required"))
    if creation and customer_id:
        raise InvalidRequest(
            "`customer_creation` can only be used when `customer` is not set.",
            param="customer_creation",
        )
    return customer_id, customer_email, creation


def _subscription_data(p: dict[str, Any]) -> dict[str, Any]:
    """What mode=subscription passes on to the subscription it creates."""
    data = get_dict(p, "subscription_data") or {}
    return {
        "trial_period_days": get_int(data, "trial_period_days", minimum=1),
        "metadata": apply_metadata({}, data),
        "description": get_str(data, "description"),
    }


def _shown_fields(p: dict[str, Any]) -> dict[str, Any]:
    """Fields the session only echoes from its parameters."""
    submit_types = ("auto", "book", "donate", "pay", "subscribe")
    promotion_codes = "allow_promotion_codes" in p
    return {
        "allow_promotion_codes": get_bool(p, "allow_promotion_codes") if promotion_codes else None,
        "billing_address_collection": get_enum(
            p, "billing_address_collection", ("auto", "required")
        ),
        "client_reference_id": get_str(p, "client_reference_id") or None,
        "locale": get_enum(p, "locale", _LOCALES),
        "metadata": apply_metadata({}, p),
        "submit_type": get_enum(p, "submit_type", submit_types),
    }


def _setup_currency(p: dict[str, Any]) -> str | None:
    if p.get("line_items") not in (None, ""):
        raise InvalidRequest(
            "You cannot pass `line_items` in `setup` mode: a setup session saves a card "
            "without charging it.",
            param="line_items",
        )
    return get_currency(p, required=False)


def _setup_intent_data(p: dict[str, Any]) -> dict[str, Any]:
    data = get_dict(p, "setup_intent_data") or {}
    for key in data:
        if key not in ("description", "metadata", "on_behalf_of"):
            raise unknown_param(f"setup_intent_data[{key}]")
    return {
        "description": get_str(data, "description") or None,
        "metadata": apply_metadata({}, data),
    }


def _url(p: dict[str, Any], name: str) -> str | None:
    value = get_str(p, name) or None
    if value is not None and not value.lower().startswith(("http://", "https://")):
        raise InvalidRequest(
            f"Not a valid URL: {name} must be an absolute http(s) URL.",
            param=name,
            code="url_invalid",
        )
    return value


def _expires_at(p: dict[str, Any], created: int) -> int:
    value = get_int(p, "expires_at")
    if value is None:
        return created + MAX_LIFETIME
    if value < created + MIN_LIFETIME:
        raise InvalidRequest(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
            param="expires_at",
        )
    if value > created + MAX_LIFETIME:
        raise InvalidRequest(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )
    return value


def _payment_method_types(p: dict[str, Any]) -> list[str]:
    methods = get_list(p, "payment_method_types")
    if not methods:
        return ["card"]
    for i, method in enumerate(methods):
        if method not in _PAYMENT_METHOD_TYPES:
            raise InvalidRequest(
                f"Invalid payment_method_types[{i}]: the paydesk sandbox supports "
                f"{', '.join(_PAYMENT_METHOD_TYPES)}; got {method!r}.",
                param=f"payment_method_types[{i}]",
            )
    return list(dict.fromkeys(methods))


def _payment_intent_data(p: dict[str, Any]) -> dict[str, Any]:
    data = get_dict(p, "payment_intent_data") or {}
    for key in data:
        if key not in _PI_DATA:
            raise unknown_param(f"payment_intent_data[{key}]")
    result: dict[str, Any] = {
        "metadata": apply_metadata({}, data, "metadata") if "metadata" in data else {},
        "description": get_str(data, "description") or None,
        "receipt_email": get_str(data, "receipt_email") or None,
        "capture_method": "automatic",
    }
    capture = get_str(data, "capture_method")
    if capture is not None:
        if capture not in ("automatic", "automatic_async", "manual"):
            raise InvalidRequest(
                "Invalid payment_intent_data[capture_method]: must be one of automatic, "
                "automatic_async, manual",
                param="payment_intent_data[capture_method]",
            )
        result["capture_method"] = "automatic" if capture == "automatic_async" else capture
    return result


@api.route("GET", "/v1/checkout/sessions/{id}")
def retrieve_session(call: Call) -> Obj:
    session = call.account.get(call.args[0], "checkout.session")
    return ops.fresh(call.account, session, now=call.now)


@api.route("POST", "/v1/checkout/sessions/{id}")
def update_session(call: Call) -> Obj:
    check_known(call.params, {"metadata"})
    session = call.account.get(call.args[0], "checkout.session")
    metadata = apply_metadata(session["metadata"], call.params)
    return ops.update_session(call.account, call.now, session, metadata)


@api.route("POST", "/v1/checkout/sessions/{id}/expire")
def expire_session(call: Call) -> Obj:
    check_known(call.params, set())
    session = call.account.get(call.args[0], "checkout.session")
    return ops.expire_by_merchant(call.account, call.now, session)


@api.route("GET", "/v1/checkout/sessions")
def list_sessions(call: Call) -> Obj:
    p = call.params
    account = call.account
    checks = [
        equals(name, get_str(p, name))
        for name in ("payment_intent", "customer", "payment_link", "subscription")
    ]
    checks.append(equals("status", get_enum(p, "status", ("open", "complete", "expired"))))
    details = get_dict(p, "customer_details")
    if details and details.get("email"):
        email = details["email"]
        checks.append(lambda s: (s.get("customer_details") or {}).get("email") == email)
    match = both(*checks)

    def keep(session: Obj) -> bool:
        ops.fresh(account, session, now=call.now)
        return match is None or match(session)

    return paginate(account, "checkout.session", p, "/v1/checkout/sessions", keep)


def _line_items_list(account: Account, session: Obj) -> Obj:
    url = f"/v1/checkout/sessions/{session['id']}/line_items"
    return one_page(ops.line_items(account, session), url)


VIRTUAL[("checkout.session", "line_items")] = _line_items_list


@api.route("GET", "/v1/checkout/sessions/{id}/line_items")
def list_line_items(call: Call) -> Obj:
    session = call.account.get(call.args[0], "checkout.session")
    items = ops.line_items(call.account, session)
    limit = get_int(call.params, "limit") or 10
    if not 1 <= limit <= 100:
        raise InvalidRequest(
            f"This value must be between 1 and 100 (it currently is {limit}).", param="limit"
        )
    after = get_str(call.params, "starting_after")
    before = get_str(call.params, "ending_before")
    ids = [item["id"] for item in items]
    start, stop = 0, len(items)
    if after:
        start = _item_index(ids, after, "starting_after") + 1
    elif before:
        stop = _item_index(ids, before, "ending_before")
        start = max(0, stop - limit)
    page = items[start:stop][:limit]
    url = f"/v1/checkout/sessions/{session['id']}/line_items"
    has_more = (start + len(page) < stop) if not before else start > 0
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


def _item_index(ids: list[str], item_id: str, param: str) -> int:
    if item_id not in ids:
        raise InvalidRequest(f"No such line item: '{item_id}'", param=param)
    return ids.index(item_id)
