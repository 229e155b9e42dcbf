"""Checkout Sessions (mode=payment): create, retrieve, update, list, expire, line items.

A session's line items and the PaymentIntent settings it will use live in a companion object
(`checkout.session_state`, never served) so the session itself stays exactly Stripe's shape.
The hosted page (pages/checkout.py) pays a session through `complete_session`.
"""

from __future__ import annotations

import heapq
import weakref
from collections.abc import Callable
from typing import Any

from paydesk.sandbox.account import Account, Obj, snapshot
from paydesk.sandbox.clock import now
from paydesk.sandbox.errors import InvalidRequest, missing_param, unknown_param
from paydesk.sandbox.expand import VIRTUAL
from paydesk.sandbox.ids import new_id
from paydesk.sandbox.listing import both, paginate
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
from paydesk.sandbox.resources.customers import create_customer
from paydesk.sandbox.resources.payment_intents import cancel_intent
from paydesk.sandbox.resources.prices import price_from_data
from paydesk.sandbox.routing import Call, api
from paydesk.sandbox.store import Store

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
_PAYMENT_METHOD_TYPES = ("card", "link")
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
    account = call.account
    mode = get_str(p, "mode")
    if not mode:
        raise missing_param("mode")
    get_enum(p, "mode", ("payment", "setup", "subscription"))
    if mode == "subscription":
        raise InvalidRequest(
            f"The paydesk sandbox does not support mode={mode} Checkout Sessions yet; "
            "use mode=payment or mode=setup.",
            param="mode",
        )
    ui_mode = get_enum(p, "ui_mode", ("hosted", "embedded", "custom"), "hosted")
    if ui_mode != "hosted":
        raise InvalidRequest(
            f"The paydesk sandbox only serves ui_mode=hosted Checkout Sessions, not {ui_mode}.",
            param="ui_mode",
        )
    success_url = _url(p, "success_url")
    if not success_url:
        raise missing_param("success_url")
    cancel_url = _url(p, "cancel_url")
    created = now()
    expires_at = _expires_at(p, created)
    customer_id = get_str(p, "customer") or None
    if customer_id:
        account.get(customer_id, "customer", "customer")
    customer_email = get_str(p, "customer_email") or None
    if customer_id and customer_email:
        raise InvalidRequest(
            "You may only specify one of these parameters: customer, customer_email.",
            param="customer_email",
        )
    customer_creation = get_enum(p, "customer_creation", ("always", "if_required"))
    if customer_creation and customer_id:
        raise InvalidRequest(
            "`customer_creation` can only be used when `customer` is not set.",
            param="customer_creation",
        )
    methods = _payment_method_types(p)
    if mode == "setup":
        items, currency, subtotal, si_data = [], _setup_currency(p), None, _setup_intent_data(p)
    else:
        items = _line_items(account, p)
        currency = items[0]["currency"]
        subtotal = sum(item["amount_subtotal"] for item in items)
        si_data = None
    pi_data = _payment_intent_data(p)
    session_id = new_id("cs_test", 58)  # Stripe's session ids are long
    session: Obj = {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": get_bool(p, "allow_promotion_codes")
        if "allow_promotion_codes" in p
        else None,
        "amount_subtotal": subtotal,
        "amount_total": subtotal,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": get_enum(
            p, "billing_address_collection", ("auto", "required")
        ),
        "cancel_url": cancel_url,
        "client_reference_id": get_str(p, "client_reference_id") or None,
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": customer_id,
        "customer_account": None,
        "customer_creation": None if customer_id else (customer_creation or "if_required"),
        "customer_details": None,
        "customer_email": customer_email,
        "discounts": [],
        "expires_at": expires_at,
        "integration_identifier": None,
        "invoice": None,
        "invoice_creation": {
            "enabled": False,
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        },
        "livemode": False,
        "locale": get_enum(p, "locale", _LOCALES),
        "managed_payments": None,
        "metadata": apply_metadata({}, p),
        "mode": mode,
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}}
        if "card" in methods
        else {},
        "payment_method_types": methods,
        "payment_status": "no_payment_required" if mode == "setup" else "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": {
            "allow_redisplay_filters": ["always"],
            "payment_method_remove": None,
            "payment_method_save": None,
        }
        if customer_id
        else None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": get_enum(p, "submit_type", ("auto", "book", "donate", "pay", "subscribe")),
        "subscription": None,
        "success_url": success_url,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"{call.base_url}/c/pay/{session_id}",
        "wallet_options": None,
    }
    if si_data is not None:
        # Stripe makes the session's SetupIntent with it; the hosted page confirms it.
        si = create_setup_intent(
            account, created, customer=customer_id, payment_method_types=methods, **si_data
        )
        session["setup_intent"] = si["id"]
    account.insert(session)
    account.insert(
        {"id": session_id + "_state", "object": STATE, "line_items": items, "pi_data": pi_data}
    )
    _schedule(account, session)
    return session


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


def _line_items(account: Account, p: dict[str, Any]) -> list[Obj]:
    raw = p.get("line_items")
    if raw is None or raw == "" or raw == []:
        raise missing_param("line_items")
    if isinstance(raw, dict):  # `line_items[0][price]` may arrive as a dict keyed "0", "1"…
        raw = [raw[k] for k in sorted(raw, key=lambda k: int(k) if k.isdigit() else 0)]
    if not isinstance(raw, list):
        raise InvalidRequest("Invalid array: line_items", param="line_items")
    items: list[Obj] = []
    for i, entry in enumerate(raw):
        items.append(_line_item(account, entry, f"line_items[{i}]"))
    currency = items[0]["currency"]
    for i, item in enumerate(items):
        if item["currency"] != currency:
            raise InvalidRequest(
                "All line items must have the same currency: "
                f"line_items[0] is {currency}, line_items[{i}] is {item['currency']}.",
                param=f"line_items[{i}]",
            )
    return items


def _line_item(account: Account, entry: Any, param: str) -> Obj:
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
        price = price_from_data(account, price_data, f"{param}[price_data]")
    else:
        raise missing_param(f"{param}[price]")
    if price.get("type") == "recurring" or price.get("recurring"):
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


def fresh(account: Account, session: Obj) -> Obj:
    """The session, expired first if its time has come (Stripe expires them in the background;
    we also do it lazily on every read, so nobody sees an open session past expires_at)."""
    if session["status"] == "open" and session["expires_at"] <= now():
        expire(account, session)
    return session


def expire(account: Account, session: Obj) -> Obj:
    # A payment started on the hosted page (declined, or left at 3DS) dies with the session:
    # Stripe cancels its PaymentIntent ("automatic": Stripe's own reason, not the merchant's).
    state = state_of(account, session)
    pi = account.find(state["payment_intent"]) if state.get("payment_intent") else None
    if pi is not None and pi["status"] in _CANCELED_ON_EXPIRY:
        cancel_intent(account, pi, "automatic")
    # The hosted page's URL is only handed out while the session can still be paid.
    previous = account.update(session, {"status": "expired", "url": None})
    if previous:
        account.emit("checkout.session.expired", session)
    return session


@api.route("GET", "/v1/checkout/sessions/{id}")
def retrieve_session(call: Call) -> Obj:
    return fresh(call.account, call.account.get(call.args[0], "checkout.session"))


@api.route("POST", "/v1/checkout/sessions/{id}")
def update_session(call: Call) -> Obj:
    check_known(call.params, {"metadata"})
    session = fresh(call.account, call.account.get(call.args[0], "checkout.session"))
    call.account.update(session, {"metadata": apply_metadata(session["metadata"], call.params)})
    return session


@api.route("POST", "/v1/checkout/sessions/{id}/expire")
def expire_session(call: Call) -> Obj:
    check_known(call.params, set())
    session = fresh(call.account, call.account.get(call.args[0], "checkout.session"))
    if session["status"] != "open":
        raise InvalidRequest(
            'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
            f'Session has a status of "{session["status"]}".',
        )
    return expire(call.account, session)


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
        fresh(account, session)
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


def complete_session(account: Account, session: Obj, pi: Obj | None, email: str, name: str) -> Obj:
    """Mark the session paid by `pi` (None when nothing was due) and announce it. Callers check
    that the session is still open: a session completes once."""
    if pi is None:
        payment_status = "no_payment_required"
    else:
        # With manual capture the money is only authorised: Stripe says "unpaid" until capture.
        payment_status = "paid" if pi["status"] == "succeeded" else "unpaid"
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
            "payment_intent": pi["id"] if pi is not None else None,
            "customer_details": details,
            "collected_information": {
                "business_name": None,
                "individual_name": None,
                "shipping_details": None,
            },
        },
    )
    account.emit("checkout.session.completed", session)
    return session


def buyer_customer(account: Account, session: Obj, email: str, name: str) -> str | None:
    """The customer the payment belongs to: the session's own, or (customer_creation=always)
    a new one made from what the buyer typed, as Stripe does."""
    if session["customer"] or session.get("customer_creation") != "always":
        return session["customer"]  # type: ignore[no-any-return]
    params = {"email": email, "name": name} if name else {"email": email}
    call = Call(account, params, (), "", account.request_id or "", "POST", "/v1/customers")
    customer = create_customer(call)
    account.update(session, {"customer": customer["id"]})
    return customer["id"]  # type: ignore[no-any-return]


def success_redirect(session: Obj) -> str:
    return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])


# -- expiry sweep --------------------------------------------------------------------------------

# Per store: a heap of (expires_at, session id) so the sweep touches only sessions that are due.
_DUE: weakref.WeakKeyDictionary[Store, list[tuple[int, str]]] = weakref.WeakKeyDictionary()


def _schedule(account: Account, session: Obj) -> None:
    heap = _DUE.get(account.store)
    if heap is not None:
        heapq.heappush(heap, (session["expires_at"], session["id"]))


def expire_due(store: Store) -> int:
    """Expire every open session whose expires_at has passed; returns how many. The first call
    builds the schedule from the store (sessions restored from --db included)."""
    heap = _DUE.get(store)
    if heap is None:
        heap = _DUE[store] = [
            (s["expires_at"], s["id"])
            for account in list(store.accounts.values())
            for s in account.newest("checkout.session")
            if s["status"] == "open"
        ]
        heapq.heapify(heap)
    expired = 0
    moment = now()
    while heap and heap[0][0] <= moment:
        _, session_id = heapq.heappop(heap)
        account = store.owner(session_id)
        session = account.find(session_id) if account is not None else None
        if account is not None and session is not None and session["status"] == "open":
            expire(account, session)
            expired += 1
    if expired:
        store.flush()
    return expired
