"""Checkout Sessions (mode=payment): create, retrieve, update, list, expire, line items.

A session's line items and the PaymentIntent settings it will use live in a companion object
(`checkout.session_state`, never served) so the session itself stays exactly Stripe's shape.
The hosted page (pages/checkout.py) pays a session through `complete_session`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paydesk.sandbox.account import Account, Obj, snapshot
from paydesk.sandbox.errors import InvalidRequest, missing_param, unknown_param
from paydesk.sandbox.expand import VIRTUAL
from paydesk.sandbox.ids import new_id
from paydesk.sandbox.listing import both, paginate
from paydesk.sandbox.objects import check_transition
from paydesk.sandbox.objects.checkout_session import (
    TRANSITIONS,
    checkout_session,
    saved_payment_method_options,
)
from paydesk.sandbox.operations.customers import new_customer
from paydesk.sandbox.operations.payment_intents import cancel_intent
from paydesk.sandbox.operations.prices import inline_price
from paydesk.sandbox.operations.setup_intents import create_setup_intent
from paydesk.sandbox.params import (
    INT64_MAX,
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
from paydesk.sandbox.store import Store
from paydesk.sandbox.timers import cancel, on_timer, schedule

STATE = "checkout.session_state"
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


def state_of(account: Account, session: Obj) -> Obj:
    return account.get(session["id"] + "_state", STATE)


# -- create ------------------------------------------------------------------------------------


@api.route("POST", "/v1/checkout/sessions")
def create_session(call: Call) -> Obj:
    p = call.params
    check_known(p, _FIELDS)
    account, now = call.account, call.now
    mode = _mode(p)
    success_url = _url(p, "success_url")
    if not success_url:
        raise missing_param("success_url")
    cancel_url, expires_at = _url(p, "cancel_url"), _expires_at(p, now)
    customer_id, customer_email, creation = _buyer(account, p)
    methods = _payment_method_types(p)
    shown, pi_data = _shown_fields(p), _payment_intent_data(p)
    # Every parameter is checked before line items make their inline prices: a refusal
    # leaves nothing behind.
    items, currency, subtotal, si_data = _contents(account, now, p, mode)
    session_id = new_id("cs_test", 58)  # Stripe's session ids are long
    url = f"{call.base_url}/c/pay/{session_id}"
    session = checkout_session(session_id, now, expires_at, mode, url)
    session.update(shown)
    session.update(
        amount_subtotal=subtotal,
        amount_total=subtotal,
        cancel_url=cancel_url,
        currency=currency,
        customer=customer_id,
        customer_creation=None if customer_id else (creation or "if_required"),
        customer_email=customer_email,
        payment_method_types=methods,
        success_url=success_url,
    )
    if "card" in methods:
        session["payment_method_options"] = {"card": {"request_three_d_secure": "automatic"}}
    if customer_id:
        session["saved_payment_method_options"] = saved_payment_method_options()
    if si_data is not None:
        # Stripe makes the session's SetupIntent with it; the hosted page confirms it.
        si = create_setup_intent(
            account, now, customer=customer_id, payment_method_types=methods, **si_data
        )
        session["setup_intent"] = si["id"]
    account.insert(session)
    account.insert(
        {
            "id": session_id + "_state",
            "object": STATE,
            "line_items": items,
            "pi_data": pi_data,
            "subscription_data": _subscription_data(p) if mode == "subscription" else None,
        }
    )
    schedule(account, EXPIRY, session_id, session["expires_at"])
    return session


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


def _contents(
    account: Account, now: int, p: dict[str, Any], mode: str
) -> tuple[list[Obj], str | None, int | None, dict[str, Any] | None]:
    """(line items, currency, subtotal, SetupIntent data): a setup session sells nothing."""
    if mode == "setup":
        return [], _setup_currency(p), None, _setup_intent_data(p)
    items = _line_items(account, p, mode, now=now)
    if mode == "subscription" and not any(_recurring(account, item) for item in items):
        raise InvalidRequest(
            "You must provide at least one recurring price in `subscription` mode when using "
            "prices.",
            param="line_items",
        )
    return items, items[0]["currency"], sum(item["amount_subtotal"] for item in items), None


def _recurring(account: Account, item: Obj) -> bool:
    return bool(account.get(item["price"], "price", "line_items").get("recurring"))


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


def _line_items(
    account: Account, p: dict[str, Any], mode: str = "payment", *, now: int
) -> list[Obj]:
    raw = p.get("line_items")
    if raw is None or raw == "" or raw == []:
        raise missing_param("line_items")
    if isinstance(raw, dict):  # `line_items[0][price]` may arrive as a dict keyed "0", "1"…
        raw = [raw[k] for k in sorted(raw, key=lambda k: int(k) if k.isdigit() else 0)]
    if not isinstance(raw, list):
        raise InvalidRequest("Invalid array: line_items", param="line_items")
    items: list[Obj] = []
    for i, entry in enumerate(raw):
        items.append(_line_item(account, entry, f"line_items[{i}]", mode, now=now))
    currency = items[0]["currency"]
    for i, item in enumerate(items):
        if item["currency"] != currency:
            raise InvalidRequest(
                "All line items must have the same currency: "
                f"line_items[0] is {currency}, line_items[{i}] is {item['currency']}.",
                param=f"line_items[{i}]",
            )
    return items


def _line_item(account: Account, entry: Any, param: str, mode: str = "payment", *, now: int) -> Obj:
    if not isinstance(entry, dict):
        raise InvalidRequest(f"Invalid object: {param} must be a hash", param=param)
    price_id = get_str(entry, "price")
    price_data = get_dict(entry, "price_data")
    if price_id and price_data:
        raise InvalidRequest(
            f"You may only specify one of these parameters: {param}[price], {param}[price_data].",
            param=f"{param}[price]",
        )
    if price_id:
        price = account.get(price_id, "price", f"{param}[price]")
        if not price.get("active", True):
            raise InvalidRequest(
                f"The price specified ({price_id}) is inactive. This field only accepts active "
                "prices.",
                param=f"{param}[price]",
            )
    elif price_data:
        price = inline_price(account, now, price_data, f"{param}[price_data]")
    else:
        raise missing_param(f"{param}[price]")
    if mode == "payment" and (price.get("type") == "recurring" or price.get("recurring")):
        raise InvalidRequest(
            "You specified `payment` mode but passed a recurring price. Either switch to "
            "`subscription` mode or use only one-time prices.",
            param=f"{param}[price]" if price_id else f"{param}[price_data]",
        )
    unit = price.get("unit_amount")
    if unit is None:
        raise InvalidRequest(
            f"The price {price['id']} has no unit_amount; the sandbox needs a fixed price.",
            param=f"{param}[price]",
        )
    quantity = get_int(entry, "quantity")
    if quantity is None:
        raise missing_param(f"{param}[quantity]")
    if quantity < 1:
        raise InvalidRequest("Quantity must be greater than 0.", param=f"{param}[quantity]")
    product = account.find(price["product"]) if isinstance(price.get("product"), str) else None
    amount = int(unit) * quantity
    if amount > INT64_MAX:
        raise InvalidRequest(
            "The line item's amount (unit_amount × quantity) is too large.",
            param=f"{param}[quantity]",
        )
    return {
        "id": account.new_id("li"),
        "object": "item",
        "adjustable_quantity": None,
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": price["currency"],
        "description": (product or {}).get("name"),
        "metadata": {},
        "price": price["id"],
        "quantity": quantity,
    }


# -- read, list, update, expire ------------------------------------------------------------------


# Statuses in which nothing was taken yet: an authorised (requires_capture) or succeeded
# payment completes the session instead, so it never meets an expiry.
_CANCELED_ON_EXPIRY = ("requires_payment_method", "requires_confirmation", "requires_action")


def fresh(account: Account, session: Obj, *, now: int) -> Obj:
    """The session, expired first if its time has come (Stripe expires them in the background;
    we also do it lazily on every read, so nobody sees an open session past expires_at)."""
    if session["status"] == "open" and session["expires_at"] <= now:
        expire(account, session, now=now)
    return session


def expire(account: Account, session: Obj, *, now: int) -> Obj:
    # A payment started on the hosted page (declined, or left at 3DS) dies with the session:
    # Stripe cancels its PaymentIntent ("automatic": Stripe's own reason, not the merchant's).
    check_transition(TRANSITIONS, "checkout.session", session["status"], "expired")
    cancel(account, EXPIRY, session["id"])
    state = state_of(account, session)
    pi = account.find(state["payment_intent"]) if state.get("payment_intent") else None
    if pi is not None and pi["status"] in _CANCELED_ON_EXPIRY:
        cancel_intent(account, pi, "automatic", now=now)
    # The hosted page's URL is only handed out while the session can still be paid.
    previous = account.update(session, {"status": "expired", "url": None})
    if previous:
        account.emit("checkout.session.expired", session, now=now)
    return session


@api.route("GET", "/v1/checkout/sessions/{id}")
def retrieve_session(call: Call) -> Obj:
    return fresh(call.account, call.account.get(call.args[0], "checkout.session"), now=call.now)


@api.route("POST", "/v1/checkout/sessions/{id}")
def update_session(call: Call) -> Obj:
    check_known(call.params, {"metadata"})
    session = fresh(call.account, call.account.get(call.args[0], "checkout.session"), now=call.now)
    call.account.update(session, {"metadata": apply_metadata(session["metadata"], call.params)})
    return session


@api.route("POST", "/v1/checkout/sessions/{id}/expire")
def expire_session(call: Call) -> Obj:
    check_known(call.params, set())
    session = fresh(call.account, call.account.get(call.args[0], "checkout.session"), now=call.now)
    if session["status"] != "open":
        raise InvalidRequest(
            'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
            f'Session has a status of "{session["status"]}".',
        )
    return expire(call.account, session, now=call.now)


@api.route("GET", "/v1/checkout/sessions")
def list_sessions(call: Call) -> Obj:
    p = call.params
    account = call.account
    checks: list[Callable[[Obj], bool]] = []
    for name in ("payment_intent", "customer", "payment_link", "subscription"):
        value = get_str(p, name)
        if value:
            checks.append(_field_is(name, value))
    status = get_enum(p, "status", ("open", "complete", "expired"))
    if status:
        checks.append(lambda s: s["status"] == status)
    details = get_dict(p, "customer_details")
    if details and details.get("email"):
        email = details["email"]
        checks.append(lambda s: (s.get("customer_details") or {}).get("email") == email)

    def keep(session: Obj) -> bool:
        fresh(account, session, now=call.now)
        return all(check(session) for check in checks)

    return paginate(account, "checkout.session", p, "/v1/checkout/sessions", both(keep))


def _field_is(name: str, value: str) -> Callable[[Obj], bool]:
    return lambda session: session.get(name) == value


def line_items(account: Account, session: Obj) -> list[Obj]:
    """The session's items, each with its full price object (as Stripe serves them)."""
    items = []
    for stored in state_of(account, session)["line_items"]:
        item = snapshot(stored)
        price = account.find(stored["price"])
        item["price"] = snapshot(price) if price is not None else stored["price"]
        items.append(item)
    return items


def _line_items_list(account: Account, session: Obj) -> Obj:
    url = f"/v1/checkout/sessions/{session['id']}/line_items"
    return {"object": "list", "data": line_items(account, session), "has_more": False, "url": url}


VIRTUAL[("checkout.session", "line_items")] = _line_items_list


@api.route("GET", "/v1/checkout/sessions/{id}/line_items")
def list_line_items(call: Call) -> Obj:
    session = call.account.get(call.args[0], "checkout.session")
    items = line_items(call.account, session)
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


# -- paying (the hosted page) -------------------------------------------------------------------


def complete_session(
    account: Account, session: Obj, pi: Obj | None, email: str, name: str, *, now: int
) -> Obj:
    """Mark the session paid by `pi` (None when nothing was due) and announce it. Callers check
    that the session is still open: a session completes once."""
    if pi is None:
        payment_status = "no_payment_required"
    else:
        # With manual capture the money is only authorised: Stripe says "unpaid" until capture.
        payment_status = "paid" if pi["status"] == "succeeded" else "unpaid"
    check_transition(TRANSITIONS, "checkout.session", session["status"], "complete")
    cancel(account, EXPIRY, session["id"])  # a complete session never expires
    details: dict[str, Any] = {
        "address": None,
        "business_name": None,
        "email": email,
        "individual_name": None,
        "name": name or None,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
    account.update(
        session,
        {
            "status": "complete",
            "url": None,
            "payment_status": payment_status,
            # A subscription's payment belongs to its invoice, not to the session.
            "payment_intent": pi["id"] if pi is not None and session["mode"] == "payment" else None,
            "customer_details": details,
            "collected_information": {
                "business_name": None,
                "individual_name": None,
                "shipping_details": None,
            },
        },
    )
    account.emit("checkout.session.completed", session, now=now)
    return session


def buyer_customer(
    account: Account, session: Obj, email: str, name: str, *, now: int
) -> str | None:
    """The customer the payment belongs to: the session's own, or (customer_creation=always)
    a new one made from what the buyer typed, as Stripe does."""
    if session["customer"] or session.get("customer_creation") != "always":
        return session["customer"]  # type: ignore[no-any-return]
    params = {"email": email, "name": name} if name else {"email": email}
    customer = new_customer(account, now, params)
    account.update(session, {"customer": customer["id"]})
    return customer["id"]  # type: ignore[no-any-return]


def success_redirect(session: Obj) -> str:
    return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])


# -- expiry on the timer queue -------------------------------------------------------------------

EXPIRY = "checkout.session.expire"


@on_timer(EXPIRY)
def _expire_on_time(account: Account, session_id: str, now: int) -> None:
    session = account.find(session_id)
    if session is not None and session.get("status") == "open":
        expire(account, session, now=now)


def schedule_open_sessions(store: Store) -> None:
    """Expiry timers for the open sessions of a database from before the timer queue."""
    for account in list(store.accounts.values()):
        for session in account.newest("checkout.session"):
            if session["status"] == "open":
                schedule(account, EXPIRY, session["id"], session["expires_at"])
