"""Cards and card tokens: a token's card (`POST /v1/tokens`), a card from raw details, and the
card a charge or a customer takes from a `source`.

The legacy Charges API pays with a `source`: a token (`tok_visa`, or one made here), or a card
saved on a customer. Cards behave by number exactly like PaymentMethods (payment_methods.py).
"""

from __future__ import annotations

import datetime
from typing import Any

from paydesk.sandbox.account import Account, Obj, snapshot
from paydesk.sandbox.errors import InvalidRequest, missing_param
from paydesk.sandbox.objects import card as model
from paydesk.sandbox.operations.payment_methods import (
    brand,
    fingerprint,
    test_number,
    validate_card,
)

_FUNDING = {"4000056655665556": "debit"}


def _new_card(account: Account, digits: str, month: int, year: int, details: dict[str, Any]) -> Obj:
    card = model.card(
        account.new_id("card"),
        model.BRAND_NAMES.get(brand(digits), "Unknown"),
        digits[-4:],
        month,
        year,
    )
    card.update({f"address_{k}": details.get(f"address_{k}") or None for k in model.ADDRESS})
    card.update(
        address_line1_check="unchecked" if details.get("address_line1") else None,
        address_zip_check="unchecked" if details.get("address_zip") else None,
        cvc_check="unchecked" if details.get("cvc") else None,
        fingerprint=fingerprint(account, digits),
        funding=_FUNDING.get(digits, "credit"),
        name=details.get("name") or None,
    )
    return account.insert(card)


def card_from_details(account: Account, details: dict[str, Any], param: str, *, now: int) -> Obj:
    """A card from `param[number|exp_month|exp_year|cvc|name|address_…]`, checked as Stripe
    checks a card (Luhn, test numbers only, expiry, CVC)."""
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


def card_from_hash(account: Account, details: dict[str, Any], param: str, *, now: int) -> Obj:
    """A card from raw details (`source[object]=card&source[number]=…`), checked as a
    token's card is: the legacy way to charge a card without tokenising it first."""
    kind = details.get("object", "card")
    if kind != "card":
        raise InvalidRequest(
            f"Invalid {param}[object]: only card hashes are supported", param=f"{param}[object]"
        )
    return card_from_details(account, details, param, now=now)


def _test_card(account: Account, number: str, *, now: int) -> Obj:
    year = datetime.datetime.fromtimestamp(now, datetime.UTC).year + 3
    return _new_card(account, number, 12, year, {"cvc": "123"})


def _new_token(account: Account, card: Obj, *, now: int) -> Obj:
    return account.insert(model.token(account.new_id("tok"), now, snapshot(card)))


def token_for_card(account: Account, details: dict[str, Any], *, now: int) -> Obj:
    """`POST /v1/tokens` with `card[number]…`: a new card and its token."""
    return _new_token(account, card_from_details(account, details, "card", now=now), now=now)


def token_for_test_card(account: Account, card_id: str, *, now: int) -> Obj:
    """`card=tok_visa` (or another test card's id): Stripe tokenises that card again."""
    number = test_number(card_id)
    if number is None:
        raise no_such_token(card_id, "card")
    return _new_token(account, _test_card(account, number, now=now), now=now)


def no_such_token(token_id: str, param: str) -> InvalidRequest:
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
    raise no_such_token(source_id, param)
