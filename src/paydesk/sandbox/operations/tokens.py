"""Card tokens (`POST /v1/tokens`), the cards they carry, and customers' saved cards (sources).

The legacy Charges API pays with a `source`: a token (`tok_visa`, or one made here), or a card
saved on a customer. Cards behave by number exactly like PaymentMethods (payment_methods.py).
"""

from __future__ import annotations

import datetime
from typing import Any

from paydesk.sandbox.account import Account, Obj, snapshot
from paydesk.sandbox.errors import CardError, InvalidRequest, missing_param
from paydesk.sandbox.expand import VIRTUAL
from paydesk.sandbox.listing import paginate
from paydesk.sandbox.operations.payment_methods import (
    brand,
    fingerprint,
    refuse_declining,
    test_number,
    validate_card,
)
from paydesk.sandbox.params import (
    apply_metadata,
    check_known,
    get_dict,
    get_int,
    get_str,
    req_str,
)
from paydesk.sandbox.routing import Call, api

# Cards (unlike PaymentMethods) name their brand the way people write it.
_BRAND_NAMES = {
    "visa": "Visa",
    "mastercard": "MasterCard",
    "amex": "American Express",
    "discover": "Discover",
    "jcb": "JCB",
    "diners": "Diners Club",
    "unionpay": "UnionPay",
}
_FUNDING = {"4000056655665556": "debit"}
_ADDRESS = ("city", "country", "line1", "line2", "state", "zip")


def _new_card(account: Account, digits: str, month: int, year: int, details: dict[str, Any]) -> Obj:
    card: Obj = {
        "id": account.new_id("card"),
        "object": "card",
        **{f"address_{k}": details.get(f"address_{k}") or None for k in _ADDRESS},
        "address_line1_check": "unchecked" if details.get("address_line1") else None,
        "address_zip_check": "unchecked" if details.get("address_zip") else None,
        "brand": _BRAND_NAMES.get(brand(digits), "Unknown"),
        "country": "US",
        "customer": None,
        "cvc_check": "unchecked" if details.get("cvc") else None,
        "dynamic_last4": None,
        "exp_month": month,
        "exp_year": year,
        "fingerprint": fingerprint(account, digits),
        "funding": _FUNDING.get(digits, "credit"),
        "last4": digits[-4:],
        "metadata": {},
        "name": details.get("name") or None,
        "networks": {"preferred": None},
        "tokenization_method": None,
        "regulated_status": "unregulated",
        "wallet": None,
    }
    return account.insert(card)


def card_from_hash(account: Account, details: dict[str, Any], param: str, *, now: int) -> Obj:
    """A card from raw details (`source[object]=card&source[number]=…`), checked as a
    token's card is: the legacy way to charge a card without tokenising it first."""
    kind = details.get("object", "card")
    if kind != "card":
        raise InvalidRequest(
            f"Invalid {param}[object]: only card hashes are supported", param=f"{param}[object]"
        )
    for name in ("number", "exp_month", "exp_year"):
        if not details.get(name):
            raise missing_param(f"{param}[{name}]")
    cvc = details.get("cvc")
    digits, month, year = validate_card(
        str(details["number"]),
        details["exp_month"],
        details["exp_year"],
        cvc if isinstance(cvc, str) else None,
        now=now,
    )
    return _new_card(account, digits, month, year, details)


def _test_card(account: Account, number: str, *, now: int) -> Obj:
    year = datetime.datetime.fromtimestamp(now, datetime.UTC).year + 3
    return _new_card(account, number, 12, year, {"cvc": "123"})


def _new_token(account: Account, card: Obj, *, now: int) -> Obj:
    token: Obj = {
        "id": account.new_id("tok"),
        "object": "token",
        "card": snapshot(card),
        "client_ip": None,
        "created": now,
        "livemode": False,
        "type": "card",
        "used": False,
    }
    return account.insert(token)


def _no_such_token(token_id: str, param: str) -> InvalidRequest:
    return InvalidRequest(
        f"No such token: '{token_id}'", param=param, code="resource_missing", status=404
    )


def card_for_source(
    account: Account,
    source_id: str,
    customer: Obj | None = None,
    param: str = "source",
    *,
    now: int,
) -> Obj:
    """The card a charge or a customer takes from `source`: a Stripe test token (`tok_visa`,
    a fresh card each time, as on Stripe), a token made here (usable once), or a saved card."""
    number = test_number(source_id)
    if number is not None:
        return _test_card(account, number, now=now)
    obj = account.find(source_id)
    if obj is not None and obj.get("object") == "token":
        if obj["used"]:
            raise InvalidRequest(
                f"You cannot use a Stripe token more than once: {source_id}.",
                param=param,
                code="token_already_used",
            )
        account.update(obj, {"used": True})
        return account.get(obj["card"]["id"], "card", param)
    if obj is not None and obj.get("object") == "card" and not obj.get("deleted"):
        owner = obj.get("customer")
        if owner is not None and (customer is None or customer["id"] != owner):
            raise InvalidRequest(
                f"Customer {customer['id'] if customer else owner} does not have a linked "
                f"source with ID {source_id}.",
                param=param,
                code="resource_missing",
                status=404,
            )
        return obj
    raise _no_such_token(source_id, param)


def check_source(account: Account, source_id: str) -> None:
    """Refuse, before anything changes, a source whose card cannot be saved (it declines)."""
    number = test_number(source_id)
    obj = account.find(source_id) if number is None else None
    card_fingerprint = None
    if number is not None:
        card_fingerprint = fingerprint(account, number)
    elif obj is not None and obj.get("object") == "token":
        card_fingerprint = obj["card"]["fingerprint"]
    elif obj is not None and obj.get("object") == "card":
        card_fingerprint = obj.get("fingerprint")
    if card_fingerprint is not None:
        refuse_declining(account, str(card_fingerprint))


def add_source(
    account: Account,
    customer: Obj,
    source_id: str,
    *,
    created: bool = False,
    make_default: bool = False,
    now: int,
) -> Obj:
    """Save a token's card on `customer`; the first card saved becomes its default source, and
    so does any card given as `source` on a customer update (`make_default`).
    `created`: the customer is being created with it, so no customer.updated follows."""
    check_source(account, source_id)
    card = card_for_source(account, source_id, customer, now=now)
    if card.get("customer") != customer["id"]:
        account.update(card, {"customer": customer["id"]})
        account.emit("customer.source.created", card, now=now)
    if make_default or not customer.get("default_source"):
        previous = account.update(customer, {"default_source": card["id"]})
        if not created:
            account.emit("customer.updated", customer, previous, now=now)
    return card


@api.route("POST", "/v1/tokens")
def create_token(call: Call) -> Obj:
    p = call.params
    check_known(p, {"card", "customer"})
    card = p.get("card")
    if isinstance(card, str) and card:
        # `card=tok_visa` or a card id: Stripe tokenises an existing card again.
        number = test_number(card)
        if number is None:
            raise _no_such_token(card, "card")
        return _new_token(
            call.account, _test_card(call.account, number, now=call.now), now=call.now
        )
    details = get_dict(p, "card")
    if details is None:
        raise InvalidRequest(
            "You must supply either a card, customer, PII data, bank account, or account legal "
            "entity to create a token. If you're making this request with a library, be sure to "
            "pass all of the required parameters for creating a token. If you're making this "
            "request manually, be sure your POST parameters begin with the token type. For "
            "example, a PII token would require `pii[personal_id_number]`, while an account "
            "token would require a parameter beginning with `account[legal_entity]`. See the "
            "API reference for more information: https://stripe.com/docs/api#token_object",
        )
    for name in ("number", "exp_month", "exp_year"):
        if not details.get(name):
            raise missing_param(f"card[{name}]")
    cvc = details.get("cvc")
    digits, month, year = validate_card(
        str(details["number"]),
        details["exp_month"],
        details["exp_year"],
        cvc if isinstance(cvc, str) else None,
        now=call.now,
    )
    return _new_token(
        call.account, _new_card(call.account, digits, month, year, details), now=call.now
    )


@api.route("GET", "/v1/tokens/{id}")
def retrieve_token(call: Call) -> Obj:
    token = call.account.find(call.args[0])
    if token is None or token.get("object") != "token":
        raise _no_such_token(call.args[0], "token")
    return token


@api.route("POST", "/v1/customers/{id}/sources")
def create_customer_source(call: Call) -> Obj:
    check_known(call.params, {"source", "metadata", "validate"})
    customer = call.account.get(call.args[0], "customer")
    return add_source(call.account, customer, req_str(call.params, "source"), now=call.now)


@api.route("GET", "/v1/customers/{id}/sources/{source}")
def retrieve_customer_source(call: Call) -> Obj:
    customer = call.account.get(call.args[0], "customer")
    card = call.account.find(call.args[1])
    if card is None or card.get("customer") != customer["id"] or card.get("deleted"):
        raise InvalidRequest(
            f"No such source: '{call.args[1]}'", param="id", code="resource_missing", status=404
        )
    return card


@api.route("GET", "/v1/customers/{id}/sources")
def list_customer_sources(call: Call) -> Obj:
    customer = call.account.get(call.args[0], "customer")
    kind = get_str(call.params, "object")
    if kind not in (None, "card"):
        return {"object": "list", "data": [], "has_more": False, "url": call.path}
    call.params.pop("object", None)
    keep = lambda c: c.get("customer") == customer["id"]  # noqa: E731
    return paginate(call.account, "card", call.params, call.path, keep)


_SOURCE_UPDATE = {
    *(f"address_{k}" for k in _ADDRESS),
    "exp_month",
    "exp_year",
    "metadata",
    "name",
}


@api.route("POST", "/v1/customers/{id}/sources/{source}")
def update_customer_source(call: Call) -> Obj:
    p = call.params
    check_known(p, _SOURCE_UPDATE)
    account = call.account
    card = retrieve_customer_source(call)
    changes: dict[str, Any] = {}
    for name in ("name", *(f"address_{k}" for k in _ADDRESS)):
        if name in p:
            changes[name] = get_str(p, name) or None
    if "exp_month" in p:
        changes["exp_month"] = _expiry(p, "exp_month", 1, 12)
    if "exp_year" in p:
        year = _expiry(p, "exp_year", 0, 9999)
        changes["exp_year"] = year + 2000 if year < 100 else year
    if "metadata" in p:
        changes["metadata"] = apply_metadata(card.get("metadata") or {}, p)
    previous = account.update(card, changes)
    if previous:
        account.emit("customer.source.updated", card, previous, now=call.now)
    return card


def _expiry(p: dict[str, Any], name: str, low: int, high: int) -> int:
    value = get_int(p, name)
    if value is None or not low <= value <= high:
        field = "month" if name == "exp_month" else "year"
        raise CardError(
            f"Your card's expiration {field} is invalid.",
            code=f"invalid_expiry_{field}",
            param=name,
        )
    return value


def _sources(account: Account, customer: Obj) -> Obj:
    cards = list(account.newest("card", lambda c: c.get("customer") == customer["id"]))
    return {
        "object": "list",
        "data": cards,
        "has_more": False,
        "total_count": len(cards),
        "url": f"/v1/customers/{customer['id']}/sources",
    }


# A customer no longer carries its sources unless asked: `expand[]=sources` builds the list.
VIRTUAL[("customer", "sources")] = _sources


@api.route("DELETE", "/v1/customers/{id}/sources/{source}")
def delete_customer_source(call: Call) -> Obj:
    account = call.account
    customer = account.get(call.args[0], "customer")
    card = retrieve_customer_source(call)
    account.emit("customer.source.deleted", card, now=call.now)
    stub = account.delete(card)
    if customer.get("default_source") == card["id"]:
        left = next(account.newest("card", lambda c: c.get("customer") == customer["id"]), None)
        previous = account.update(customer, {"default_source": left["id"] if left else None})
        account.emit("customer.updated", customer, previous, now=call.now)
    return stub
