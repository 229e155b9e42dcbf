"""Checkout Sessions: create (its line items, inline prices, the SetupIntent of a setup
session), expire (on time, lazily on read, or by the merchant), complete (the hosted page).

A session's line items and the PaymentIntent settings it will use live in a companion object
(`checkout.session_state`, never served) so the session itself stays exactly Stripe's shape.
The hosted page (pages/checkout.py) pays a session through `complete_session`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paydesk.sandbox.account import Account, Obj, snapshot
from paydesk.sandbox.errors import InvalidRequest, missing_param
from paydesk.sandbox.ids import new_id
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
from paydesk.sandbox.params import INT64_MAX, get_dict, get_int, get_str
from paydesk.sandbox.store import Store
from paydesk.sandbox.timers import cancel, on_timer, schedule

STATE = "checkout.session_state"
EXPIRY = "checkout.session.expire"


def state_of(account: Account, session: Obj) -> Obj:
    return account.get(session["id"] + "_state", STATE)


@dataclass(slots=True)
class NewSession:
    """A Checkout Session's create parameters, checked (routes/checkout_sessions.py)."""

    mode: str
    expires_at: int
    fields: dict[str, Any]  # the session's own fields, as they will read
    line_items: Any  # `line_items` as sent: checked here, where inline prices are made
    currency: str | None  # mode=setup (no line items)
    setup_intent_data: dict[str, Any] | None  # mode=setup
    pi_data: dict[str, Any]
    subscription_data: dict[str, Any] | None


def create_session(account: Account, now: int, base_url: str, request: NewSession) -> Obj:
    """A new open session (its expiry on the timer queue); mode=setup makes its SetupIntent."""
    items, currency, subtotal = _contents(account, now, request)
    session_id = new_id("cs_test", 58)  # Stripe's session ids are long
    url = f"{base_url}/c/pay/{session_id}"
    session = checkout_session(session_id, now, request.expires_at, request.mode, url)
    session.update(request.fields)
    session.update(amount_subtotal=subtotal, amount_total=subtotal, currency=currency)
    methods = session["payment_method_types"]
    if "card" in methods:
        session["payment_method_options"] = {"card": {"request_three_d_secure": "automatic"}}
    if session["customer"]:
        session["saved_payment_method_options"] = saved_payment_method_options()
    if request.setup_intent_data is not None:
        # Stripe makes the session's SetupIntent with it; the hosted page confirms it.
        si = create_setup_intent(
            account,
            now,
            customer=session["customer"],
            payment_method_types=methods,
            **request.setup_intent_data,
        )
        session["setup_intent"] = si["id"]
    account.insert(session)
    account.insert(
        {
            "id": session_id + "_state",
            "object": STATE,
            "line_items": items,
            "pi_data": request.pi_data,
            "subscription_data": request.subscription_data,
        }
    )
    schedule(account, EXPIRY, session_id, session["expires_at"])
    return session


def _contents(
    account: Account, now: int, request: NewSession
) -> tuple[list[Obj], str | None, int | None]:
    """(line items, currency, subtotal): a setup session sells nothing."""
    if request.mode == "setup":
        return [], request.currency, None
    items = _line_items(account, request.line_items, request.mode, now=now)
    if request.mode == "subscription" and not any(_recurring(account, item) for item in items):
        raise InvalidRequest(
            "You must provide at least one recurring price in `subscription` mode when using "
            "prices.",
            param="line_items",
        )
    return items, items[0]["currency"], sum(item["amount_subtotal"] for item in items)


def _recurring(account: Account, item: Obj) -> bool:
    return bool(account.get(item["price"], "price", "line_items").get("recurring"))


def _line_items(account: Account, raw: Any, mode: str, *, now: int) -> list[Obj]:
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


def update_session(account: Account, now: int, session: Obj, metadata: dict[str, str]) -> Obj:
    fresh(account, session, now=now)
    account.update(session, {"metadata": metadata})
    return session


def expire_by_merchant(account: Account, now: int, session: Obj) -> Obj:
    """`POST /v1/checkout/sessions/{id}/expire`: only an open session can be expired."""
    fresh(account, session, now=now)
    if session["status"] != "open":
        raise InvalidRequest(
            'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
            f'Session has a status of "{session["status"]}".',
        )
    return expire(account, session, now=now)


def line_items(account: Account, session: Obj) -> list[Obj]:
    """The session's items, each with its full price object (as Stripe serves them)."""
    items = []
    for stored in state_of(account, session)["line_items"]:
        item = snapshot(stored)
        price = account.find(stored["price"])
        item["price"] = snapshot(price) if price is not None else stored["price"]
        items.append(item)
    return items


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
