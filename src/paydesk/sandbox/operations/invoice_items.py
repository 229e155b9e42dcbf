"""Invoice items: pending charges (or credits) that the customer's next invoice picks up."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.objects import invoice as shapes
from paydesk.sandbox.operations import invoices
from paydesk.sandbox.params import (
    apply_metadata,
    get_bool,
    get_currency,
    get_dict,
    get_int,
    get_list,
    get_str,
)


def _price(account: Account, p: dict[str, Any]) -> Obj | None:
    pricing = get_dict(p, "pricing") or {}
    price_id = get_str(pricing, "price") or get_str(p, "price")
    return account.get(price_id, "price", "pricing[price]") if price_id else None


def create(account: Account, now: int, customer: Obj, p: dict[str, Any]) -> Obj:
    item = shapes.invoice_item(account.new_id("ii"), now, customer)
    price = _price(account, p)
    quantity = get_int(p, "quantity", minimum=1) or 1
    if price is not None:
        amount = int(price["unit_amount"] or 0) * quantity
        currency = price["currency"]
    else:
        unit = get_int(p, "unit_amount")
        amount = unit * quantity if unit is not None else get_int(p, "amount")  # type: ignore[assignment]
        if amount is None:
            raise InvalidRequest(
                "Missing required param: amount (or pricing[price], or unit_amount).",
                param="amount",
                code="parameter_missing",
            )
        currency = get_currency(p) or "usd"
    period = get_dict(p, "period")
    item.update(
        amount=amount,
        net_amount=amount,
        currency=currency,
        description=get_str(p, "description") or (_describe(account, price)),
        discountable=get_bool(p, "discountable", amount > 0),
        quantity=quantity,
        quantity_decimal=str(quantity),
        metadata=apply_metadata({}, p),
        pricing=shapes.pricing(price, str(price["unit_amount_decimal"])) if price else None,
        tax_rates=_rates(account, p),
    )
    if period:
        item["period"] = {"end": get_int(period, "end"), "start": get_int(period, "start")}
    sub_id = get_str(p, "subscription")
    if sub_id:
        account.get(sub_id, "subscription", "subscription")
        item["parent"] = {
            "subscription_details": {"subscription": sub_id, "subscription_item": None},
            "type": "subscription_details",
        }
    account.insert(item)
    invoice_id = get_str(p, "invoice")
    if invoice_id:
        invoice = account.get(invoice_id, "invoice", "invoice")
        _onto_draft(account, invoice, item)
    account.emit("invoiceitem.created", item, now=now)
    return item


def _describe(account: Account, price: Obj | None) -> str | None:
    if price is None:
        return None
    product = account.find(price["product"])
    return str(product["name"]) if product else None


def _rates(account: Account, p: dict[str, Any]) -> list[str]:
    rates = [str(r) for r in get_list(p, "tax_rates") or []]
    for rate in rates:
        account.get(rate, "tax_rate", "tax_rates")
    return rates


def _onto_draft(account: Account, invoice: Obj, item: Obj) -> None:
    if invoice["status"] != "draft":
        raise InvalidRequest(
            f"Invoice {invoice['id']} is no longer editable: only draft invoices take new items.",
            param="invoice",
            code="invoice_not_editable",
        )
    invoices.add_item_line(account, invoice, item)
    invoices.refresh(account, invoice)


def update(account: Account, now: int, item: Obj, p: dict[str, Any]) -> Obj:
    _editable(account, item)
    changes: dict[str, Any] = {}
    if "description" in p:
        changes["description"] = get_str(p, "description") or None
    if "amount" in p:
        amount = get_int(p, "amount")
        changes.update(amount=amount, net_amount=amount)
    if "quantity" in p:
        changes["quantity"] = get_int(p, "quantity", minimum=1)
    if "discountable" in p:
        changes["discountable"] = get_bool(p, "discountable")
    if "metadata" in p:
        changes["metadata"] = apply_metadata(item["metadata"], p)
    if "tax_rates" in p:
        changes["tax_rates"] = _rates(account, p)
    previous = account.update(item, changes)
    if previous:
        account.emit("invoiceitem.updated", item, previous, now=now)
    return item


def _editable(account: Account, item: Obj) -> None:
    invoice = account.find(item["invoice"]) if item["invoice"] else None
    if invoice is not None and invoice["status"] != "draft":
        raise InvalidRequest(
            "This invoice item belongs to an invoice that is no longer a draft; it cannot be "
            "changed.",
            code="invoice_not_editable",
        )


def delete(account: Account, now: int, item: Obj) -> Obj:
    _editable(account, item)
    invoice = account.find(item["invoice"]) if item["invoice"] else None
    if invoice is not None:
        invoice["lines"]["data"] = [
            line
            for line in invoice["lines"]["data"]
            if (line["parent"].get("invoice_item_details") or {}).get("invoice_item") != item["id"]
        ]
        invoices.refresh(account, invoice)
    account.emit("invoiceitem.deleted", item, now=now)
    return account.delete(item)
