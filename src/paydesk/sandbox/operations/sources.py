"""Customers' saved cards (sources): save one from a token or a test card, update, delete."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.listing import one_page
from paydesk.sandbox.operations.payment_methods import fingerprint, refuse_declining, test_number
from paydesk.sandbox.operations.tokens import card_for_source


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


def source_of(account: Account, customer: Obj, source_id: str) -> Obj:
    """`customer`'s saved card `source_id` (404 for any other)."""
    card = account.find(source_id)
    if card is None or card.get("customer") != customer["id"] or card.get("deleted"):
        raise InvalidRequest(
            f"No such source: '{source_id}'", param="id", code="resource_missing", status=404
        )
    return card


def update_source(account: Account, now: int, card: Obj, changes: dict[str, Any]) -> Obj:
    previous = account.update(card, changes)
    if previous:
        account.emit("customer.source.updated", card, previous, now=now)
    return card


def delete_source(account: Account, now: int, customer: Obj, card: Obj) -> Obj:
    """Delete the saved card; the customer's newest card left becomes its default source."""
    account.emit("customer.source.deleted", card, now=now)
    stub = account.delete(card)
    if customer.get("default_source") == card["id"]:
        left = next(account.newest("card", lambda c: c.get("customer") == customer["id"]), None)
        previous = account.update(customer, {"default_source": left["id"] if left else None})
        account.emit("customer.updated", customer, previous, now=now)
    return stub


def sources(account: Account, customer: Obj) -> Obj:
    """The customer's cards as a list (`expand[]=sources`)."""
    cards = list(account.newest("card", lambda c: c.get("customer") == customer["id"]))
    return one_page(cards, f"/v1/customers/{customer['id']}/sources", counted=True)
